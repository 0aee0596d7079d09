import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The sign-in log moves to the directory and grows to Graph's `signIn`:
 * - `users` gains `last_sign_in_at` and `last_successful_sign_in_at` (Graph's `signInActivity`, epoch ms),
 *   kept by the sign-in log's batched writer; null until the user's first sign-in.
 * - `sign_in_records` is rebuilt (SQLite cannot relax a NOT NULL in place): `user_id` may be null (an
 *   account name that matched no user is logged with the name as typed), and each entry carries the
 *   user's and the app's names, the client's address, how the client signed in, the home and resource
 *   tenants, the cross-tenant access type and whether the sign-in was interactive. Existing entries are
 *   kept (interactive browser sign-ins), filled in from their users, and give the users their last
 *   sign-in times.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await db.schema.alterTable('users').addColumn('last_sign_in_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('last_successful_sign_in_at', 'bigint').execute();

  if (dialect === 'postgres') {
    await sql`alter table sign_in_records alter column user_id drop not null`.execute(db);
    for (const column of newTextColumns) await db.schema.alterTable('sign_in_records').addColumn(column, 'text').execute();
    await db.schema
      .alterTable('sign_in_records')
      .addColumn('is_interactive', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await sql`update sign_in_records set resource_tenant_id = tenant_id, client_app_used = 'Browser'`.execute(db);
    await addIndexes(db);
    await fillFromUsers(db);
    return;
  }
  await db.schema.dropIndex('sign_in_records_tenant').execute();
  await db.schema.alterTable('sign_in_records').renameTo('sign_in_records_0012').execute();
  await db.schema
    .createTable('sign_in_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    /** Null when the account name matched no user of the tenant (or for an app's own sign-in). */
    .addColumn('user_id', 'text')
    .addColumn('user_display_name', 'text')
    /** The account name as the user typed it when it matched no one. */
    .addColumn('user_principal_name', 'text')
    /** 'Member' | 'Guest' | null */
    .addColumn('user_type', 'text')
    .addColumn('app_id', 'text')
    .addColumn('app_display_name', 'text')
    .addColumn('ip_address', 'text')
    /** 'Browser' | 'Mobile Apps and Desktop clients' | … (Graph's clientAppUsed) */
    .addColumn('client_app_used', 'text')
    .addColumn('home_tenant_id', 'text')
    .addColumn('resource_tenant_id', 'text')
    /** 'none' | 'b2bCollaboration' | … (Graph's signInAccessType) */
    .addColumn('cross_tenant_access_type', 'text')
    .addColumn('is_interactive', 'integer', (c) => c.notNull().defaultTo(1))
    /** 0 on success, else Entra's AADSTS number (50126: wrong password, 50074: strong authentication required …). */
    .addColumn('error_code', 'integer', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    /** JSON: the methods used (amr). */
    .addColumn('amr', 'text', (c) => c.notNull())
    /** JSON: Graph's appliedConditionalAccessPolicies. */
    .addColumn('applied_policies', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into sign_in_records (id, tenant_id, created_at, user_id, app_id, resource_tenant_id, client_app_used, is_interactive, error_code, failure_reason, amr, applied_policies)
    select id, tenant_id, created_at, user_id, app_id, tenant_id, 'Browser', 1, error_code, failure_reason, amr, applied_policies from sign_in_records_0012`.execute(
    db,
  );
  await db.schema.dropTable('sign_in_records_0012').execute();
  await db.schema.createIndex('sign_in_records_tenant').on('sign_in_records').columns(['tenant_id', 'created_at']).execute();
  await addIndexes(db);
  await fillFromUsers(db);
}

/**
 * The entries kept from 0012 get what the writer now records with each entry (the user's names and type,
 * the home tenant and access type), so filters match what the API shows, and the users their
 * `signInActivity` from those entries (all interactive), so nobody looks inactive after the upgrade.
 */
async function fillFromUsers(db: Kysely<unknown>): Promise<void> {
  const of = (column: string) => sql.raw(`(select u.${column} from users u where u.id = sign_in_records.user_id)`);
  await sql`update sign_in_records set user_display_name = ${of('display_name')}, user_principal_name = ${of('user_principal_name')},
    user_type = ${of('user_type')} where user_id is not null`.execute(db);
  await sql`update sign_in_records set
    cross_tenant_access_type = case when user_type = 'Guest' then 'b2bCollaboration' else 'none' end,
    home_tenant_id = case when user_type = 'Member' then tenant_id else home_tenant_id end
    where cross_tenant_access_type is null`.execute(db);
  await sql`update users set
    last_sign_in_at = (select max(s.created_at) from sign_in_records s where s.user_id = users.id),
    last_successful_sign_in_at = (select max(s.created_at) from sign_in_records s where s.user_id = users.id and s.error_code = 0)
    where exists (select 1 from sign_in_records s where s.user_id = users.id)`.execute(db);
}

const newTextColumns = [
  'user_display_name',
  'user_principal_name',
  'user_type',
  'app_display_name',
  'ip_address',
  'client_app_used',
  'home_tenant_id',
  'resource_tenant_id',
  'cross_tenant_access_type',
];

async function addIndexes(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('sign_in_records_user').on('sign_in_records').columns(['tenant_id', 'user_id', 'created_at']).execute();
  await db.schema.createIndex('sign_in_records_created').on('sign_in_records').column('created_at').execute();
}
