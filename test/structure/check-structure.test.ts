// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are TypeScript source, `${…}` included
/**
 * The structure checker (scripts/check-structure.ts): which table names it finds in Kysely calls and raw
 * SQL, which row-type imports it finds, and that it refuses a table or row type used outside its owner
 * and a file over 400 lines, on a fake `src/` tree (test/structure/fixtures/tables).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkStructure, countLines, findModuleState, findRowTypeReferences, findTableReferences, formatViolation } from '../../scripts/check-structure.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}/`, import.meta.url));
const TABLES = new Set(['users', 'groups', 'tenants', 'invitations', 'outbox', 'passcodes', 'audit_events', 'rate_limits']);

describe('findTableReferences', () => {
  const cases: Array<[string, string, string[]]> = [
    ['a Kysely select', `db.selectFrom('users').selectAll()`, ['users']],
    ['an alias and a join', `db.selectFrom('users as u').innerJoin('groups as g', 'g.id', 'u.group_id')`, ['users', 'groups']],
    [
      'every join and a schema prefix',
      `q.leftJoin('public.tenants as t', 'x', 'y').rightJoin('outbox', 'a', 'b').fullJoin("passcodes", 'c', 'd')`,
      ['tenants', 'outbox', 'passcodes'],
    ],
    ['an array of tables', `db.selectFrom(['users', 'groups as g'])`, ['users', 'groups']],
    ['a call broken over lines', `db\n  .updateTable(\n    'invitations'\n  )\n  .set({})`, ['invitations']],
    ['insert, delete and merge', `db.insertInto('outbox'); db.deleteFrom('passcodes'); db.mergeInto('tenants as t')`, ['outbox', 'passcodes', 'tenants']],
    ['raw SQL', 'sql`select * from users u join groups g on g.id = u.group_id`', ['users', 'groups']],
    [
      'raw SQL with a type and values',
      'sql<number>`update outbox set state = ${state} where id in (select id from outbox for update skip locked)`',
      ['outbox', 'outbox'],
    ],
    ['quoted names and insert into', 'sql`insert into "audit_events" (id) values (${id})`', ['audit_events']],
    ['a list of tables', 'sql`select 1 from users, groups g, tenants as t where true`', ['users', 'groups', 'tenants']],
    ['a nested template', 'sql`select ${sql`count(*)`} from ${sql.ref(column)}, rate_limits`', []],
    ['a nested template, then a table', 'sql`select ${sql`count(*)`} from rate_limits`', ['rate_limits']],
    ['an interpolated table is not a name', 'sql`delete from ${table} where id = ${id}`', []],
    ['sql.raw', `sql.raw('delete from rate_limits where expires_at < 0')`, ['rate_limits']],
    ['sql.table and a schema change', "sql`select * from ${sql.table('tenants')}`; db.schema.alterTable('users')", ['tenants', 'users']],
    ['prose about tables is not a query', `// read from users first, then update groups\nconst text = 'select from users';`, []],
    ['a name that is not a table', `db.selectFrom('kysely_migration')`, []],
  ];
  it.each(cases)('%s', (_name, source, expected) => {
    expect(
      findTableReferences(source)
        .map((r) => r.name)
        .filter((name) => TABLES.has(name)),
    ).toEqual(expected);
  });

  it('points at the line of the table name', () => {
    const source = `const a = 1;\nawait db\n  .selectFrom('users')\n  .execute();\nawait sql\`\n  update\n    groups set x = 1\`;`;
    const lines = findTableReferences(source).map((r) => source.slice(0, r.offset).split('\n').length);
    expect(lines).toEqual([3, 7]);
  });
});

describe('findRowTypeReferences', () => {
  const cases: Array<[string, string, string[]]> = [
    ['a type import', `import type { UsersTable } from '../platform/storage/schema.js';`, ['UsersTable']],
    ['a mixed import with an alias', `import { type GroupsTable as G, DB } from '../../platform/storage/schema.js';`, ['GroupsTable', 'DB']],
    ['a re-export', `export type { OutboxTable } from './storage/schema.js';`, ['OutboxTable']],
    ['an import from a part of the schema', `import type { UsersTable } from '../platform/storage/schema-directory.js';`, ['UsersTable']],
    ['an inline import type', `type Row = import('../platform/storage/schema.js').InvitationsTable;`, ['InvitationsTable']],
    ['a namespace import', `import type * as schema from '../platform/storage/schema.js';\ntype R = schema.PasscodesTable;`, ['PasscodesTable']],
    ['an indexed DB type', `type R = Selectable<DB['users']>;`, [`DB['users']`]],
    ['another module of the same name elsewhere', `import type { UsersTable } from './users-table.js';`, []],
  ];
  it.each(cases)('%s', (_name, source, expected) => {
    expect(findRowTypeReferences(source).map((r) => r.name)).toEqual(expected);
  });
});

describe('findModuleState', () => {
  const cases: Array<[string, string, number]> = [
    ['a top-level let', 'let cache;', 1],
    ['an exported let', 'export let current = 0;', 1],
    ['a top-level var', 'var seen = {};', 1],
    ['an empty Map', 'const providers = new Map<string, Provider>();', 1],
    ['an empty Set with a type', 'const seen: Set<string> = new Set();', 1],
    ['a WeakMap', 'export const byContext = new WeakMap<AppContext, Cache>();', 1],
    ['an LRUCache', 'const discovery = new LRUCache<string, Configuration>({ max: 500 });', 1],
    ['a constant lookup table', "const COMPARISONS = new Set(['eq', 'ne']);", 0],
    ['a let inside a function', 'function f() {\n  let x = 1;\n  const m = new Map();\n}', 0],
    ['a per-app cache', "const CACHE = Symbol('cache');\nconst cache = (ctx) => service(ctx, CACHE, () => new Map());", 0],
  ];
  it.each(cases)('%s', (_name, source, count) => {
    expect(findModuleState(source)).toHaveLength(count);
  });
});

describe('countLines', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
    ['a\nb\n', 2],
    ['a\n\n', 2],
  ])('%j has %i lines', (source, lines) => {
    expect(countLines(source)).toBe(lines);
  });
});

describe('checkStructure', () => {
  it('refuses a table used outside its owner, a row type imported outside its owner, a 401-line file and a module-level cache', () => {
    expect(checkStructure(fixture('tables')).map(formatViolation)).toEqual([
      "src/graph/audit-logs.ts:2  row type AuditEventsTable of table 'audit_events' is owned by src/directory/",
      "src/invitations/create-invitation.ts:7  table 'users' is owned by src/directory/",
      "src/invitations/create-invitation.ts:11  table 'users' is owned by src/directory/",
      'src/oidc/registry.ts:3  module-level mutable state: keep it on the app (service(ctx, key, create))',
      'src/web/guest/four-hundred-and-one-lines.ts:401  401 lines: a source file has at most 400',
    ]);
  });

  it('accepts each table used by its owner, migrations, and a file of exactly 400 lines', () => {
    expect(checkStructure(fixture('clean'))).toEqual([]);
    const owned = checkStructure(fixture('tables')).map((v) => v.file);
    expect(owned).not.toContain('src/directory/users.ts');
    expect(owned).not.toContain('src/platform/storage/migrations/0001-directory.ts');
    expect(owned).not.toContain('src/web/guest/four-hundred-lines.ts');
  });

  it('prints one line per violation and exits with 1 from the command line, 0 when all is well', () => {
    const run = (dir: string) => spawnSync(`${root}node_modules/.bin/tsx`, [`${root}scripts/check-structure.ts`, dir], { encoding: 'utf8' });
    const refused = run(fixture('tables'));
    expect(refused.status).toBe(1);
    expect(refused.stdout.trim().split('\n')).toHaveLength(5);
    expect(refused.stdout).toContain("src/invitations/create-invitation.ts:7  table 'users' is owned by src/directory/\n");
    expect(run(fixture('clean')).status).toBe(0);
  });
});
