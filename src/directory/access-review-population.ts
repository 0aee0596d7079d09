/**
 * The guests an access review covers (governance/access-review-run.ts asks when an instance starts): the
 * tenant's guests, the guests among a group's transitive members, or the guests assigned to an app
 * (directly, or through a group they are a transitive member of). Deleted users are never in scope.
 * Also what applying a review's denials asks of a guest (still a guest, their change marker) and the
 * deletion of a denied guest once their time has come, checked and done in one directory write.
 */
import type { AppContext } from '../platform/context.js';
import type { Executor } from '../platform/storage/database.js';
import type { Actor } from './audit-log.js';
import { directoryTransaction } from './changes.js';
import { transitiveMemberRefsOf } from './memberships.js';
import { type User, userFromRow } from './user-rows.js';
import { beginAccountWrite, softDeleteUser } from './users.js';

/** Postgres and SQLite both take this many bound values comfortably in one `in (…)`. */
const CHUNK = 500;

/** Every guest of the tenant, by id. */
export async function listTenantGuests(db: Executor, tenantId: string): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('user_type', '=', 'Guest')
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map(userFromRow);
}

async function guestsAmong(db: Executor, tenantId: string, ids: readonly string[]): Promise<User[]> {
  const unique = [...new Set(ids)];
  const found: User[] = [];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_type', '=', 'Guest')
      .where('deleted_at', 'is', null)
      .where('id', 'in', unique.slice(i, i + CHUNK))
      .execute();
    found.push(...rows.map(userFromRow));
  }
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether the group exists in the tenant. */
export async function groupExists(db: Executor, tenantId: string, groupId: string): Promise<boolean> {
  const row = await db.selectFrom('groups').select('id').where('tenant_id', '=', tenantId).where('id', '=', groupId.toLowerCase()).executeTakeFirst();
  return row !== undefined;
}

/** The guests among the group's members and the members of groups nested in it. */
export async function listGroupGuests(db: Executor, tenantId: string, groupId: string): Promise<User[]> {
  const refs = await transitiveMemberRefsOf(db, tenantId, groupId.toLowerCase());
  return guestsAmong(
    db,
    tenantId,
    refs.filter((r) => r.type === 'user').map((r) => r.id),
  );
}

/** Whether the service principal (Graph's `servicePrincipals/{id}`) exists in the tenant. */
export async function servicePrincipalExists(db: Executor, tenantId: string, servicePrincipalId: string): Promise<boolean> {
  const row = await db
    .selectFrom('service_principals')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', servicePrincipalId.toLowerCase())
    .executeTakeFirst();
  return row !== undefined;
}

/** The guests assigned to the app (`servicePrincipals/{id}/appRoleAssignedTo`): directly, or through a group's transitive membership. */
export async function listAppAssignedGuests(db: Executor, tenantId: string, servicePrincipalId: string): Promise<User[]> {
  const rows = await db
    .selectFrom('app_role_assignments')
    .select(['user_id', 'group_id'])
    .where('tenant_id', '=', tenantId)
    .where('resource_id', '=', servicePrincipalId.toLowerCase())
    .execute();
  const ids = rows.flatMap((r) => (r.user_id ? [r.user_id] : []));
  for (const r of rows) {
    if (!r.group_id) continue;
    const refs = await transitiveMemberRefsOf(db, tenantId, r.group_id);
    ids.push(...refs.filter((m) => m.type === 'user').map((m) => m.id));
  }
  return guestsAmong(db, tenantId, ids);
}

/** What applying an access review's decision checks of the person: undefined once deleted. */
export interface ReviewedGuestState {
  userType: string;
  accountEnabled: boolean;
  /** The tenant's change counter at the user's last change (directory/changes.ts): any change moves it. */
  changeSeq: number;
}

export async function reviewedGuestState(db: Executor, tenantId: string, userId: string): Promise<ReviewedGuestState | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['user_type', 'account_enabled', 'change_seq'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row && { userType: row.user_type, accountEnabled: row.account_enabled === 1, changeSeq: Number(row.change_seq ?? 0) };
}

/**
 * Deletes (softly, as deleteUser does) a guest an access review denied and disabled, only if they are
 * still as the review left them: a guest, disabled, and not changed at all since (their change marker is
 * still `changeSeqAtApply`, read right after the disable). An administrator who enabled them again, even
 * if someone disabled them once more later, made them a member, or changed them in any other way, called
 * the deletion off: 'kept'. The check and the deletion are one directory write, after the tenant's change
 * counter is taken, so no other directory write (an enable) comes between them. 'gone': deleted already.
 */
export async function deleteDeniedGuest(
  ctx: AppContext,
  tenantId: string,
  userId: string,
  changeSeqAtApply: number,
  actor: Actor,
): Promise<'deleted' | 'kept' | 'gone'> {
  return directoryTransaction(ctx.db, async (trx) => {
    await beginAccountWrite(ctx, trx, tenantId, userId);
    const row = await trx
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', userId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) return 'gone';
    if (row.user_type !== 'Guest' || row.account_enabled !== 0 || Number(row.change_seq ?? 0) !== changeSeqAtApply) return 'kept';
    return (await softDeleteUser(ctx, trx, tenantId, userFromRow(row), actor)) ? 'deleted' : 'gone';
  });
}
