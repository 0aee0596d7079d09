import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Directory relationships beyond "a user is in a group": groups as members of groups (nested groups),
 * group owners, and each user's manager.
 *
 * - `group_members` gains `member_type` ('user' or 'group'). Its `member_id` no longer references
 *   `users` (a member may be a group), so the table is rebuilt (SQLite cannot drop a foreign key) and
 *   the directory deletes a removed user's or group's links itself. Existing rows are users.
 * - `group_owners`: one row per (group, owner); owners are users, removed with either side.
 * - `users.manager_id`: at most one manager per user, cleared when the manager is deleted; indexed for
 *   `directReports`.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('group_members_next')
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('member_type', 'text', (c) => c.notNull().check(sql`member_type in ('user', 'group')`))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_member_links_pk', ['group_id', 'member_id'])
    .execute();
  await sql`insert into group_members_next (group_id, member_id, member_type, tenant_id, created_at)
    select group_id, member_id, 'user', tenant_id, created_at from group_members`.execute(db);
  await db.schema.dropTable('group_members').execute();
  await db.schema.alterTable('group_members_next').renameTo('group_members').execute();
  await db.schema.createIndex('group_member_links_member').on('group_members').columns(['member_id', 'group_id']).execute();

  await db.schema
    .createTable('group_owners')
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_owners_pk', ['group_id', 'owner_id'])
    .execute();
  await db.schema.createIndex('group_owners_owner').on('group_owners').column('owner_id').execute();

  await db.schema
    .alterTable('users')
    .addColumn('manager_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('users_manager').on('users').column('manager_id').execute();
}
