import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Deleted users (Graph's `directory/deletedItems`): `DELETE /users/{id}` keeps the row for 30 days with
 * `users.deleted_at` set, so that it can be restored with everything hanging on it.
 *
 * - A deleted user's UPN is prefixed with its object id without dashes (as Entra shows a deleted user's
 *   `userPrincipalName`), so the unique `upn_lower` never stops a new user, or a new invitation of the
 *   same address, from taking the name; restoring takes the prefix off again.
 * - `user_identities` keeps a copy of its user's `deleted_at`: a deleted user's identities must neither
 *   match at sign-in or redemption nor stop a new object from binding the same home identity. Graph's
 *   uniqueness of issuer + issuerAssignedId per tenant becomes a partial unique index over live
 *   identities; the primary key it was cannot be dropped in SQLite, so the table is rebuilt.
 * - `users_deleted`: the housekeeping finds the users deleted more than 30 days ago without a scan.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('user_identities_next')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('sign_in_type', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('issuer_assigned_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await sql`insert into user_identities_next (user_id, tenant_id, sign_in_type, issuer, issuer_assigned_id, created_at, deleted_at)
    select i.user_id, i.tenant_id, i.sign_in_type, i.issuer, i.issuer_assigned_id, i.created_at, u.deleted_at
    from user_identities i join users u on u.id = i.user_id`.execute(db);
  await db.schema.dropTable('user_identities').execute();
  await db.schema.alterTable('user_identities_next').renameTo('user_identities').execute();
  await sql`create unique index user_identities_live on user_identities (tenant_id, issuer, issuer_assigned_id) where deleted_at is null`.execute(db);
  await db.schema.createIndex('user_identities_user').on('user_identities').column('user_id').execute();
  await sql`create index users_deleted on users (deleted_at) where deleted_at is not null`.execute(db);
}
