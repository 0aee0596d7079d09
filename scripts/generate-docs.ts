/**
 * Writes the generated reference pages (configuration, error codes) from the tables in the code, and the
 * generated resources section of docs/api.md from the resource descriptions.
 * `npm run docs:generate`; test/config/docs.test.ts fails when a page is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigurationDoc, renderErrorsDoc, withResourcesSection } from '../src/docs.js';

const docs = new URL('../docs/', import.meta.url);
writeFileSync(fileURLToPath(new URL('configuration.md', docs)), renderConfigurationDoc());
writeFileSync(fileURLToPath(new URL('errors.md', docs)), renderErrorsDoc());
const api = fileURLToPath(new URL('api.md', docs));
writeFileSync(api, withResourcesSection(readFileSync(api, 'utf8')));
console.log('wrote docs/configuration.md, docs/errors.md and the resources section of docs/api.md');
