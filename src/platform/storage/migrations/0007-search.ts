import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The tokenizer as this migration indexes with, frozen here (a copy of platform/odata/search.ts as it was
 * when the migration was written): a migration must do the same on every install, whatever the live code
 * later becomes. Words: runs of letters or of digits, split at a lower-to-upper change, lower-cased, cut
 * to 64 code points (never inside a surrogate pair); a run of several words is also indexed joined.
 */
function valueTokens(value: string | null | undefined): string[] {
  if (!value) return [];
  const cut = (w: string) => Array.from(w).slice(0, 64).join('');
  const tokens = new Set<string>();
  for (const run of value.split(/\s+/u)) {
    const words: string[] = [];
    for (const part of run.match(/\p{L}+|\p{N}+/gu) ?? []) {
      for (const w of part.split(/(?<=\p{Ll})(?=\p{Lu})/u)) words.push(cut(w.toLowerCase()));
    }
    for (const w of words) if (w) tokens.add(w);
    if (words.length > 1) tokens.add(cut(words.join('')));
  }
  return [...tokens];
}

/**
 * `$search` and `$count` on users and groups, backed by indexes.
 *
 * `directory_search_tokens`: the words of each user's and group's `displayName` and each group's
 * `description` (see platform/odata/search.ts), one row per word, so that Graph's word-prefix search
 * ("displayName:ali" finds "Rosa Alinsky") is a range read of one index on both backends, never a scan
 * of the tenant with `like '% ali%'`. The directory rewrites an object's rows in the transaction that
 * changes its name. The token is `collate "C"` on PostgreSQL, as the other searchable columns: a byte
 * order, the same as SQLite's, in which a prefix is one contiguous range.
 *
 * The other searched properties are matched as `startswith` on their lower-cased columns; the names a
 * directory searches by (given name, surname) get the index mail and userPrincipalName already have.
 * `users_tenant_live` lets `GET /users/$count` count a tenant's listed users from the index alone (and
 * lists them in id order without reading deleted rows); `users_tenant_live_kind` does the same for the
 * counts people ask most (`userType eq 'Guest'`, `accountEnabled eq false`), which would otherwise read
 * every row of the tenant.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const searchable = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('directory_search_tokens')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('property', 'text', (c) => c.notNull())
    .addColumn('token', searchable, (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('directory_search_tokens_pk', ['tenant_id', 'object_type', 'property', 'token', 'object_id'])
    .execute();
  await db.schema.createIndex('directory_search_tokens_object').on('directory_search_tokens').column('object_id').execute();
  await db.schema.createIndex('users_tenant_given_name').on('users').columns(['tenant_id', 'given_name_lower']).execute();
  await db.schema.createIndex('users_tenant_surname').on('users').columns(['tenant_id', 'surname_lower']).execute();
  await db.schema.createIndex('users_tenant_live').on('users').columns(['tenant_id', 'deleted_at', 'id']).execute();
  await db.schema.createIndex('users_tenant_live_kind').on('users').columns(['tenant_id', 'deleted_at', 'user_type', 'account_enabled']).execute();

  // The words of the objects that exist already, a page at a time.
  for (const [table, objectType] of [
    ['users', 'user'],
    ['groups', 'group'],
  ] as const) {
    let after = '';
    for (;;) {
      const columns = table === 'groups' ? sql`id, tenant_id, display_name, description` : sql`id, tenant_id, display_name, null as description`;
      const rows = (
        await sql<{
          id: string;
          tenant_id: string;
          display_name: string;
          description: string | null;
        }>`select ${columns} from ${sql.table(table)} where id > ${after} order by id limit 500`.execute(db)
      ).rows;
      if (rows.length === 0) break;
      const tokens = rows.flatMap((r) => [
        ...valueTokens(r.display_name).map((token) => ({ tenant_id: r.tenant_id, object_type: objectType, property: 'displayName', token, object_id: r.id })),
        ...valueTokens(r.description).map((token) => ({ tenant_id: r.tenant_id, object_type: objectType, property: 'description', token, object_id: r.id })),
      ]);
      for (let i = 0; i < tokens.length; i += 500) {
        await (db as Kysely<{ directory_search_tokens: (typeof tokens)[number] }>)
          .insertInto('directory_search_tokens')
          .values(tokens.slice(i, i + 500))
          .execute();
      }
      after = rows[rows.length - 1]!.id;
    }
  }
}
