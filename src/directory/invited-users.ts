/**
 * Users as the invitation feature makes and finds them: a new invited guest (or member), the existing
 * users an invited address matches, a reset redemption. The users and user_identities tables belong to
 * the directory; invitations call these instead of querying them.
 */
import type { AppContext } from '../platform/context.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import { markUsersChanged } from './changes.js';
import { publishDirectoryEvent } from './events.js';
import { insertUserRow, type User, userFromRow } from './user-rows.js';

/**
 * Creates an invited user, pending acceptance. Before redemption its only identity is its name here,
 * as Entra shows it (item 53); it has no password (it proves who it is at its home identity).
 */
export async function insertInvitedUser(
  trx: Executor,
  g: { id: string; tenantId: string; upn: string; issuer: string; mail: string; displayName: string; userType: 'Guest' | 'Member'; now: number },
): Promise<void> {
  await insertUserRow(trx, {
    id: g.id,
    tenantId: g.tenantId,
    upn: g.upn,
    issuer: g.issuer,
    mail: g.mail,
    displayName: g.displayName,
    passwordHash: null,
    now: g.now,
    extra: {
      other_mails: JSON.stringify([g.mail]),
      user_type: g.userType,
      creation_type: 'Invitation',
      external_user_state: 'PendingAcceptance',
      external_user_state_change_at: g.now,
    },
  });
}

/**
 * The user `id` of the tenant (not deleted). On PostgreSQL with `lock`, its row is held until the
 * transaction ends, so simultaneous re-invitations of one guest queue.
 */
export async function findUserForInvitation(trx: Executor, dialect: DialectName, tenantId: string, id: string): Promise<User | undefined> {
  let byId = trx.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id.toLowerCase()).where('deleted_at', 'is', null);
  if (dialect === 'postgres') byId = byId.forUpdate();
  const row = await byId.executeTakeFirst();
  return row ? userFromRow(row) : undefined;
}

/**
 * The users of the tenant whose mail is `mailLower` or whose UPN is `upnLower` (those by mail first),
 * held on PostgreSQL until the transaction ends.
 */
export async function findUsersByMailOrUpn(trx: Executor, dialect: DialectName, tenantId: string, mailLower: string, upnLower: string): Promise<User[]> {
  // Two index lookups: SQLite's planner would answer `mail = ? OR upn = ?` by reading every user of
  // the tenant.
  let mailQuery = trx.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('mail_lower', '=', mailLower).where('deleted_at', 'is', null);
  let upnQuery = trx.selectFrom('users').selectAll().where('upn_lower', '=', upnLower).where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  if (dialect === 'postgres') {
    mailQuery = mailQuery.forUpdate();
    upnQuery = upnQuery.forUpdate();
  }
  const byMail = await mailQuery.execute();
  const byUpn = await upnQuery.execute();
  return [...byMail, ...byUpn.filter((u) => !byMail.some((m) => m.id === u.id))].map(userFromRow);
}

/** Which of `ids` are users of the tenant (not deleted). */
export async function findExistingUserIds(trx: Executor, tenantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await trx.selectFrom('users').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).where('deleted_at', 'is', null).execute();
  return rows.map((r) => r.id);
}

/**
 * Back to PendingAcceptance with the same object id, UPN, groups and apps; the identity bound at the
 * last redemption is released so the person can redeem again, maybe with another one, and the guest's
 * sign-ins end. In the caller's transaction.
 */
export async function resetRedemption(ctx: Pick<AppContext, 'events'>, trx: Executor, tenantId: string, userId: string, now: number): Promise<void> {
  await trx
    .updateTable('users')
    .set({ external_user_state: 'PendingAcceptance', external_user_state_change_at: now, sign_in_sessions_valid_from: now })
    .where('id', '=', userId)
    .execute();
  await markUsersChanged(trx, tenantId, [userId]);
  await trx.deleteFrom('user_identities').where('user_id', '=', userId).where('sign_in_type', '<>', 'userPrincipalName').execute();
  await publishDirectoryEvent(ctx, 'user.signInsRevoked', { tx: trx, account: { tenantId, userId }, homedGuests: [] });
}

/** The userPrincipalName of each of `ids` that still exists (for listing invitations). */
export async function findUserPrincipalNames(db: Executor, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'user_principal_name']).where('id', 'in', unique).execute();
  return new Map(rows.map((r) => [r.id, r.user_principal_name]));
}
