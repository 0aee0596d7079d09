/** Who holds which directory role in a tenant. */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { Executor } from '../platform/storage/database.js';
import { beginDirectoryWrite, directoryTransaction } from './changes.js';
import { type DirectoryRole, directoryRoles, roleByTemplateId } from './roles.js';
import { assertNotLastGlobalAdmin, requireUser, type User, userFromRow } from './users.js';

export function requireRole(id: string): DirectoryRole {
  const role = roleByTemplateId(id);
  if (!role) throw new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  return role;
}

export async function listRoleMembers(db: Executor, tenantId: string, roleId: string): Promise<User[]> {
  const role = requireRole(roleId);
  const rows = await db
    .selectFrom('role_assignments')
    .innerJoin('users', 'users.id', 'role_assignments.principal_id')
    .selectAll('users')
    .where('role_assignments.tenant_id', '=', tenantId)
    .where('role_assignments.role_template_id', '=', role.id)
    .where('users.deleted_at', 'is', null)
    .orderBy('users.id')
    .execute();
  return rows.map(userFromRow);
}

export async function assignRole(ctx: AppContext, tenantId: string, roleId: string, userId: string): Promise<void> {
  const role = requireRole(roleId);
  const user = await requireUser(ctx.db.kysely, tenantId, userId);
  // A directory write like any other: it queues on the tenant's change counter (changes.ts), and sees a
  // delete of the user committed meanwhile (404, not a foreign-key error).
  const result = await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    await requireUser(trx, tenantId, user.id);
    return trx
      .insertInto('role_assignments')
      .values({ tenant_id: tenantId, role_template_id: role.id, principal_id: user.id, created_at: ctx.clock.now() })
      .onConflict((oc) => oc.columns(['tenant_id', 'role_template_id', 'principal_id']).doNothing())
      .executeTakeFirst();
  });
  if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) {
    throw new FoyerError(
      'directory.member_already_in_group',
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
  }
}

export async function unassignRole(ctx: AppContext, tenantId: string, roleId: string, userId: string): Promise<void> {
  const role = requireRole(roleId);
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    if (role.id === directoryRoles.globalAdministrator.id) await assertNotLastGlobalAdmin(trx, tenantId, userId.toLowerCase());
    const result = await trx
      .deleteFrom('role_assignments')
      .where('tenant_id', '=', tenantId)
      .where('role_template_id', '=', role.id)
      .where('principal_id', '=', userId.toLowerCase())
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) {
      throw new FoyerError('directory.not_found', `Resource '${userId}' does not hold the role '${role.displayName}'.`);
    }
  });
}
