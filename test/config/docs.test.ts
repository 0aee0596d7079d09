/** Generated parts of the docs: the resources section of docs/api.md is the one the descriptions render. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userResource } from '../../src/directory/resources/index.js';
import { RESOURCES_START, renderResourcesSection, withResourcesSection } from '../../src/docs.js';

describe('generated docs', () => {
  const apiDoc = readFileSync(join(resolve(import.meta.dirname, '../../docs'), 'api.md'), 'utf8');

  it('docs/api.md has the resources section the resource descriptions render (run `npm run docs:generate`)', () => {
    expect(apiDoc).toContain(RESOURCES_START);
    expect(apiDoc).toBe(withResourcesSection(apiDoc));
  });

  it('tells a stale resources section from a fresh one', () => {
    const stale = apiDoc.replace('| `jobTitle` |', '| `jobTitel` |');
    expect(stale).not.toBe(apiDoc);
    expect(withResourcesSection(stale)).toBe(apiDoc);
  });

  it('lists each user property with its type, default membership, filter operators, sorting and settability', () => {
    const section = renderResourcesSection();
    expect(section).toContain('| `userPrincipalName` | `Edm.String` | default | `eq` `ne` `in` `startswith` `endswith` | yes | create (required), update |');
    expect(section).toContain('| `createdDateTime` | `Edm.DateTimeOffset` | `$select` | `eq` `ne` `gt` `ge` `lt` `le` | advanced query | — |');
    expect(section).toContain('| `passwordProfile` | `microsoft.graph.passwordProfile` | not returned |');
    for (const name of userResource.unsupported ?? []) expect(section).toContain(`\`${name}\``);
  });
});
