import { type Kysely, sql } from 'kysely';
import { newId } from '../../ids.js';
import type { DialectName } from '../database.js';

/**
 * App assignment (Graph's `servicePrincipal` and `appRoleAssignment`):
 * - `service_principals`: one per app registration, with its own object id (Graph's servicePrincipal
 *   `id`, distinct from the application's) and `appRoleAssignmentRequired`. Its name is its
 *   application's. Every existing app gets one here; new apps get theirs when they are registered.
 * - `app_role_assignments`: a user or a group given access to an app (its service principal, the
 *   assignment's `resourceId`), with the app role (Foyer has only default access, the zero GUID). A user's
 *   rows stay while the user is soft-deleted and go with the user's row when it is purged; a group's go
 *   with the group.
 * - `applications.group_membership_claims`: Graph's `groupMembershipClaims` ("None", "SecurityGroup",
 *   "All" …), whether ID tokens carry a `groups` claim; null is Graph's null (no claim).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('service_principals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('application_id', 'text', (c) => c.notNull().unique().references('applications.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (c) => c.notNull().unique())
    .addColumn('app_role_assignment_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('service_principals_tenant').on('service_principals').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('app_role_assignments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('resource_id', 'text', (c) => c.notNull().references('service_principals.id').onDelete('cascade'))
    // Exactly one of the two is set: the principal is a user or a group.
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('group_id', 'text', (c) => c.references('groups.id').onDelete('cascade'))
    .addColumn('app_role_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('app_role_assignments_one_principal', sql`(user_id is null) <> (group_id is null)`)
    .execute();
  // One assignment of a role to a principal (NULLs are distinct on both backends, so a group's row never
  // collides with a user's).
  await db.schema.createIndex('app_role_assignments_user').on('app_role_assignments').columns(['resource_id', 'app_role_id', 'user_id']).unique().execute();
  await db.schema.createIndex('app_role_assignments_group').on('app_role_assignments').columns(['resource_id', 'app_role_id', 'group_id']).unique().execute();
  await db.schema.createIndex('app_role_assignments_of_user').on('app_role_assignments').columns(['user_id']).execute();
  await db.schema.createIndex('app_role_assignments_of_group').on('app_role_assignments').columns(['group_id']).execute();

  await db.schema.alterTable('applications').addColumn('group_membership_claims', 'text').execute();

  const apps = await sql<{ id: string; tenant_id: string; app_id: string; created_at: number | string }>`
    select id, tenant_id, app_id, created_at from applications`.execute(db);
  for (const app of apps.rows) {
    await sql`insert into service_principals (id, tenant_id, application_id, app_id, app_role_assignment_required, created_at)
      values (${newId()}, ${app.tenant_id}, ${app.id}, ${app.app_id}, 0, ${Number(app.created_at)})`.execute(db);
  }
}
