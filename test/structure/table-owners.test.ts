/** Every table has exactly one owner, and docs/architecture.md shows the ownership table as it is. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSchemaTables } from '../../scripts/check-structure.js';
import { renderOwnershipTable, TABLE_OWNERS } from '../../scripts/table-owners.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('table ownership (scripts/table-owners.ts)', () => {
  const schemaTables = [...readSchemaTables(read('src/platform/storage/schema.ts')).values()].sort();
  const owned = Object.values(TABLE_OWNERS).flat();

  it("gives every table of the schema's DB interface exactly one owner", () => {
    for (const table of schemaTables)
      expect(
        owned.filter((t) => t === table),
        table,
      ).toHaveLength(1);
  });

  it('names no table the schema does not have', () => {
    expect(owned.filter((t) => !schemaTables.includes(t))).toEqual([]);
  });

  it('names owners that are folders of src/', () => {
    for (const owner of Object.keys(TABLE_OWNERS)) expect(owner).toMatch(/^src\/[a-z-]+\/([a-z-]+\/)?$/);
  });

  it('is the table docs/architecture.md shows', () => {
    expect(read('docs/architecture.md')).toContain(renderOwnershipTable());
  });
});
