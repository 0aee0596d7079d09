/**
 * Deleted users (Graph's `directory/deletedItems`): `deleteUser` (users.ts) keeps a user restorable for
 * 30 days; here they are listed, found, restored with everything they had, and purged, by an
 * administrator or by the housekeeping once the 30 days are over. Storage is deleted-user-rows.ts.
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { CollectionQuery } from '../platform/odata/query.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import { type Actor, activities, recordAudit } from './audit-log.js';
import { beginDirectoryWrite, directoryTransaction } from './changes.js';
import { DELETED_USER_RETENTION_MS, findExpiredDeletedUsers, markUserRestored, originalUpn, purgeDeletedUserRow } from './deleted-user-rows.js';
import { publishDirectoryEvent } from './events.js';
import { listUsers, type UserPage } from './user-list.js';
import { type User, userFromRow } from './user-rows.js';
import { requireUser } from './users.js';

export { DELETED_USER_RETENTION_MS } from './deleted-user-rows.js';

/** A deleted user: `deletedAt` (Graph's `deletedDateTime`) is set; `userPrincipalName` is prefixed with its id, as Entra shows it. */
export type DeletedUser = User & { deletedAt: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (id: string) =>
  new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

/** `directory/deletedItems/{id}`: the deleted user of the tenant with this object id. */
export async function findDeletedUser(db: Executor, tenantId: string, id: string): Promise<DeletedUser | undefined> {
  if (!UUID.test(id.trim())) return undefined;
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id.trim().toLowerCase())
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  return row ? (userFromRow(row) as DeletedUser) : undefined;
}

export async function requireDeletedUser(db: Executor, tenantId: string, id: string): Promise<DeletedUser> {
  const user = await findDeletedUser(db, tenantId, id);
  if (!user) throw notFound(id);
  return user;
}

/** A page of the tenant's deleted users, with the OData options `GET /users` takes (and `deletedDateTime` to sort by). */
export async function listDeletedUsers(db: Executor, dialect: DialectName, tenantId: string, query: CollectionQuery): Promise<UserPage> {
  return listUsers(db, dialect, tenantId, query, undefined, true);
}

function audit(trx: Executor, ctx: AppContext, tenantId: string, user: User, activity: 'restoreUser' | 'hardDeleteUser', actor: Actor | undefined) {
  return recordAudit(trx, {
    tenantId,
    activity: activities[activity],
    category: 'UserManagement',
    service: 'Core Directory',
    operationType: activity === 'restoreUser' ? 'Update' : 'Delete',
    result: 'success',
    actor: actor ?? { kind: 'system', displayName: 'Foyer' },
    targets: [{ id: user.id, type: 'User', displayName: user.displayName, userPrincipalName: user.userPrincipalName }],
    correlationId: newId(),
    at: ctx.clock.now(),
  });
}

/**
 * Graph's `POST directory/deletedItems/{id}/restore`: the user comes back with its UPN, identities,
 * memberships, roles, sponsors, manager and reports, MFA methods and app assignments; a guest signs in
 * again with the same home identity. Its sign-ins ended at the deletion stay ended, and so do the
 * invitation links the deletion revoked (a guest who had not redeemed is invited again). Refused (400
 * `directory.restore_conflict`) when a live object took its UPN, its mail or an identity meanwhile.
 */
export async function restoreUser(ctx: AppContext, tenantId: string, id: string, actor?: Actor): Promise<User> {
  const deleted = await requireDeletedUser(ctx.db.kysely, tenantId, id);
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    if (!(await markUserRestored(trx, tenantId, deleted.id, ctx.clock.now()))) throw notFound(id); // restored or purged meanwhile
    await audit(trx, ctx, tenantId, { ...deleted, userPrincipalName: originalUpn(deleted.id, deleted.userPrincipalName) }, 'restoreUser', actor);
  });
  return requireUser(ctx.db.kysely, tenantId, deleted.id);
}

/** Graph's `DELETE directory/deletedItems/{id}`: the deleted user goes for good, now (a live user is deleted first). */
export async function purgeUser(ctx: AppContext, tenantId: string, id: string, actor?: Actor): Promise<DeletedUser> {
  const deleted = await requireDeletedUser(ctx.db.kysely, tenantId, id);
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    if (!(await purgeDeletedUserRow(trx, tenantId, deleted.id, ctx.clock.now()))) throw notFound(id);
    await publishDirectoryEvent(ctx, 'user.purged', { tx: trx, account: { tenantId, userId: deleted.id } });
    await audit(trx, ctx, tenantId, deleted, 'hardDeleteUser', actor);
  });
  return deleted;
}

/**
 * Housekeeping: purges the users deleted more than 30 days ago, each in its own transaction (a purge
 * takes its tenant's change counter like any directory write), a bounded batch per run.
 */
export async function purgeExpiredDeletedUsers(ctx: AppContext): Promise<number> {
  const expired = await findExpiredDeletedUsers(ctx.db.kysely, ctx.clock.now(), 500);
  let purged = 0;
  for (const { tenantId, id } of expired) {
    const done = await directoryTransaction(ctx.db, async (trx) => {
      await beginDirectoryWrite(trx, tenantId);
      const row = await findDeletedUser(trx, tenantId, id);
      // Restored (and maybe deleted again) since it was found: its new 30 days count.
      if (!row || row.deletedAt > ctx.clock.now() - DELETED_USER_RETENTION_MS) return false;
      if (!(await purgeDeletedUserRow(trx, tenantId, id, ctx.clock.now()))) return false;
      await publishDirectoryEvent(ctx, 'user.purged', { tx: trx, account: { tenantId, userId: id } });
      await audit(trx, ctx, tenantId, row, 'hardDeleteUser', { kind: 'system', displayName: 'Foyer' });
      return true;
    });
    if (done) purged++;
  }
  return purged;
}
