import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `GET /users/$count` and `GET /groups/$count` without `$filter` or `$search` in constant time.
 *
 * `directory_object_counts` holds each tenant's number of live users (`deleted_at is null`, the rows
 * `GET /users` lists) and of groups. The database keeps it, not the code: triggers on `users` and
 * `groups` add one on an insert, take one away on a delete, and move it when an update changes whether a
 * user is live (or, should it ever happen, its tenant), so that no write path, raw SQL included, can
 * forget it. An insert upserts the tenant's row, created on its first object; a decrement is a plain
 * update (during a tenant's cascading deletion the row may already be gone, and must not come back).
 * Deleting a tenant deletes its rows by foreign key.
 *
 * On PostgreSQL the triggers are created before the existing rows are counted: `create trigger` locks
 * the table against writes until this migration commits, so no write falls between the count and the
 * triggers. Concurrent writers of one tenant queue on its count row, as they already queue on its
 * change counter (directory/changes.ts).
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('directory_object_counts')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('object_type', 'text', (c) => c.notNull().check(sql`object_type in ('user', 'group')`))
    .addColumn('live_count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('directory_object_counts_pk', ['tenant_id', 'object_type'])
    .execute();

  for (const statement of dialect === 'postgres' ? postgresTriggers() : sqliteTriggers()) await statement.execute(db);

  await sql`insert into directory_object_counts (tenant_id, object_type, live_count)
    select tenant_id, 'user', count(*) from users where deleted_at is null group by tenant_id`.execute(db);
  await sql`insert into directory_object_counts (tenant_id, object_type, live_count)
    select tenant_id, 'group', count(*) from "groups" group by tenant_id`.execute(db);
}

/** One more `type` in the tenant (its row created on the first object); one fewer (a plain update). */
const add = (tenant: string, type: 'user' | 'group') =>
  `insert into directory_object_counts (tenant_id, object_type, live_count) values (${tenant}, '${type}', 1)
     on conflict (tenant_id, object_type) do update set live_count = directory_object_counts.live_count + 1;`;
const remove = (tenant: string, type: 'user' | 'group') =>
  `update directory_object_counts set live_count = live_count - 1 where tenant_id = ${tenant} and object_type = '${type}';`;

function sqliteTriggers() {
  return [
    sql.raw(`create trigger users_count_insert after insert on users for each row when new.deleted_at is null
      begin ${add('new.tenant_id', 'user')} end`),
    sql.raw(`create trigger users_count_delete after delete on users for each row when old.deleted_at is null
      begin ${remove('old.tenant_id', 'user')} end`),
    sql.raw(`create trigger users_count_update_old after update of deleted_at, tenant_id on users for each row
      when old.deleted_at is null and (new.deleted_at is not null or new.tenant_id <> old.tenant_id)
      begin ${remove('old.tenant_id', 'user')} end`),
    sql.raw(`create trigger users_count_update_new after update of deleted_at, tenant_id on users for each row
      when new.deleted_at is null and (old.deleted_at is not null or new.tenant_id <> old.tenant_id)
      begin ${add('new.tenant_id', 'user')} end`),
    sql.raw(`create trigger groups_count_insert after insert on "groups" for each row begin ${add('new.tenant_id', 'group')} end`),
    sql.raw(`create trigger groups_count_delete after delete on "groups" for each row begin ${remove('old.tenant_id', 'group')} end`),
    sql.raw(`create trigger groups_count_update after update of tenant_id on "groups" for each row when new.tenant_id <> old.tenant_id
      begin ${remove('old.tenant_id', 'group')} ${add('new.tenant_id', 'group')} end`),
  ];
}

/**
 * PostgreSQL counts per statement, from the statement's transition tables: one upsert per tenant a
 * statement touched, however many rows it wrote (a row trigger would rewrite the one count row once per
 * row, leaving a dead version of it each time, which makes a bulk insert quadratic). A trigger with
 * transition tables takes one event and no column list, hence three triggers per table.
 */
function postgresTriggers() {
  /** Adds each tenant's `delta` (from a query of `tenant_id, delta`) to its count, creating the row if need be. */
  const apply = (type: 'user' | 'group', deltas: string) =>
    `insert into directory_object_counts (tenant_id, object_type, live_count)
       select tenant_id, '${type}', sum(delta) from (${deltas}) d group by tenant_id having sum(delta) <> 0
       on conflict (tenant_id, object_type) do update set live_count = directory_object_counts.live_count + excluded.live_count;`;
  /** Takes each tenant's deleted rows away; a plain update, as the tenant's row may be gone with the tenant. */
  const subtract = (type: 'user' | 'group', rows: string) =>
    `update directory_object_counts c set live_count = c.live_count - d.n
       from (select tenant_id, count(*) as n from ${rows} group by tenant_id) d
       where c.tenant_id = d.tenant_id and c.object_type = '${type}';`;
  const counter = (name: string, type: 'user' | 'group', live: string) =>
    sql.raw(`create function ${name}() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          ${apply(type, `select tenant_id, 1 as delta from new_rows where ${live}`)}
        elsif tg_op = 'DELETE' then
          ${subtract(type, `old_rows where ${live}`)}
        else
          ${apply(type, `select tenant_id, 1 as delta from new_rows where ${live} union all select tenant_id, -1 from old_rows where ${live}`)}
        end if;
        return null;
      end $$`);
  const triggers = (table: string, fn: string) => [
    sql.raw(`create trigger ${table}_count_insert after insert on "${table}" referencing new table as new_rows
      for each statement execute function ${fn}()`),
    sql.raw(`create trigger ${table}_count_delete after delete on "${table}" referencing old table as old_rows
      for each statement execute function ${fn}()`),
    sql.raw(`create trigger ${table}_count_update after update on "${table}" referencing old table as old_rows new table as new_rows
      for each statement execute function ${fn}()`),
  ];
  return [
    counter('directory_count_users', 'user', 'deleted_at is null'),
    counter('directory_count_groups', 'group', 'true'),
    ...triggers('users', 'directory_count_users'),
    ...triggers('groups', 'directory_count_groups'),
  ];
}
