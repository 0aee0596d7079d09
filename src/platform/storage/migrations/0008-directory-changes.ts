import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Change tracking for Graph's delta queries (`/users/delta`, `/groups/delta`).
 *
 * Every write to a user, a group or a membership takes the next value of its tenant's change counter
 * (`directory_change_counters`, bumped by `update … set value = value + 1` inside the write's
 * transaction). A counter, not a timestamp: two transactions can commit in the other order than their
 * clocks read, and a reader that saw the later one would skip the earlier one for good. The counter row
 * stays locked from the bump to the commit, so once a value is visible every smaller one has committed,
 * and "the changes after n" never misses one.
 *
 * A changed user or group carries the value on its row (`change_seq`). What leaves no row carries it in
 * `directory_changes`: a deleted user or group, and every membership added or ended (a membership's own
 * row may be gone, and a group's delta must say which members came and went). Entries older than the
 * retention are removed by housekeeping; `pruned_through` remembers the newest change so forgotten, and a
 * delta token from before it must start over.
 *
 * Rows from before this migration carry 0: the first round of a delta lists them all anyway.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('directory_change_counters')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addColumn('pruned_through', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  for (const table of ['users', 'groups']) {
    await db.schema
      .alterTable(table)
      .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
  }
  // "What changed after n" for one tenant reads these indexes, not the tenant's rows.
  await db.schema.createIndex('users_tenant_change').on('users').columns(['tenant_id', 'change_seq']).execute();
  await db.schema.createIndex('groups_tenant_change').on('groups').columns(['tenant_id', 'change_seq']).execute();
  await db.schema
    .createTable('directory_changes')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('change_seq', 'bigint', (c) => c.notNull())
    // 'user' or 'group': the object deleted, or the group whose membership changed
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    // 'deleted', 'member_added' or 'member_removed'
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('member_type', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('directory_changes_tenant_seq').on('directory_changes').columns(['tenant_id', 'change_seq']).execute();
  await db.schema.createIndex('directory_changes_created').on('directory_changes').column('created_at').execute();
}
