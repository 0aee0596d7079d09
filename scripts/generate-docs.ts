/**
 * Writes the generated reference pages (configuration, error codes) from the tables in the code.
 * `npm run docs:generate`; test/config/docs.test.ts fails when a page is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigurationDoc, renderErrorsDoc } from '../src/docs.js';

const docs = new URL('../docs/', import.meta.url);
writeFileSync(fileURLToPath(new URL('configuration.md', docs)), renderConfigurationDoc());
writeFileSync(fileURLToPath(new URL('errors.md', docs)), renderErrorsDoc());
console.log('wrote docs/configuration.md and docs/errors.md');
