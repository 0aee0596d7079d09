/**
 * How a deleted user is stored (migration 0013): the row stays for 30 days with `deleted_at` set, its UPN
 * prefixed with its object id (as Entra shows a deleted user's `userPrincipalName`, so that the name is
 * free for a new user or a new invitation), and its identities marked deleted too (they match nothing and
 * block nothing). Everything else hanging on the user (memberships, roles, owners, sponsors, manager,
 * MFA methods, app assignments) stays untouched until the purge, so a restore brings it all back.
 * In the caller's transaction; deleted-users.ts and users.ts hold the operations around these.
 */
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { Executor } from '../platform/storage/database.js';
import { markUsersChanged, recordMembershipChange, recordObjectDeleted } from './changes.js';
import { forgetMemberships } from './memberships.js';
import { deleteSearchTokens } from './search-tokens.js';

/** How long a deleted user can be restored before the housekeeping purges it (Entra: 30 days). */
export const DELETED_USER_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** The stored UPN of a deleted user: its object id without dashes, then its UPN (Entra's form). */
export function deletedUpn(id: string, upn: string): string {
  return `${id.replace(/-/g, '')}${upn}`;
}

/** The UPN a deleted user had, from its stored (prefixed) one. */
export function originalUpn(id: string, stored: string): string {
  const prefix = id.replace(/-/g, '');
  return stored.toLowerCase().startsWith(prefix.toLowerCase()) ? stored.slice(prefix.length) : stored;
}

async function groupsOf(trx: Executor, tenantId: string, userId: string): Promise<string[]> {
  const rows = await trx.selectFrom('group_members').select('group_id').where('tenant_id', '=', tenantId).where('member_id', '=', userId).execute();
  return rows.map((r) => r.group_id);
}

/**
 * Marks a live user deleted. Delta queries then report the user removed with reason `changed` (Graph's
 * word for a restorable deletion) and each group it was in with the member removed.
 * False when the user was not live (deleted meanwhile).
 */
export async function markUserDeleted(trx: Executor, tenantId: string, user: { id: string; userPrincipalName: string }, now: number): Promise<boolean> {
  const upn = deletedUpn(user.id, user.userPrincipalName);
  const result = await trx
    .updateTable('users')
    .set({ deleted_at: now, user_principal_name: upn, upn_lower: upn.toLowerCase() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', user.id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await trx.updateTable('user_identities').set({ deleted_at: now }).where('user_id', '=', user.id).execute();
  for (const groupId of await groupsOf(trx, tenantId, user.id)) {
    await recordMembershipChange(trx, tenantId, groupId, { id: user.id, type: 'user' }, 'member_removed', now);
  }
  await markUsersChanged(trx, tenantId, [user.id]);
  return true;
}

const conflict = (property: string) =>
  new FoyerError(
    'directory.restore_conflict',
    `The object cannot be restored: a conflicting object with the same value for property ${property} already exists. Change or delete the conflicting object first.`,
  );

/**
 * Brings a deleted user back, refusing (400) when a live object took what the user held meanwhile: its
 * userPrincipalName (another user, or a new invitation of the same address), its mail (a live user of the
 * tenant with the same address, whatever its UPN) or one of its identities (a new guest object that
 * redeemed with the same home identity). False when the user is not deleted.
 */
export async function markUserRestored(trx: Executor, tenantId: string, userId: string, now: number): Promise<boolean> {
  const row = await trx
    .selectFrom('users')
    .select(['id', 'user_principal_name', 'mail_lower'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  if (!row) return false;
  const upn = originalUpn(row.id, row.user_principal_name);
  const upnHolder = await trx.selectFrom('users').select('id').where('upn_lower', '=', upn.toLowerCase()).where('id', '<>', row.id).executeTakeFirst();
  if (upnHolder) throw conflict('userPrincipalName');
  if (row.mail_lower) {
    const mailHolder = await trx
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('mail_lower', '=', row.mail_lower)
      .where('deleted_at', 'is', null)
      .where('id', '<>', row.id)
      .executeTakeFirst();
    if (mailHolder) throw conflict('mail');
  }
  const identityHolder = await trx
    .selectFrom('user_identities as mine')
    .innerJoin('user_identities as live', (join) =>
      join
        .onRef('live.tenant_id', '=', 'mine.tenant_id')
        .onRef('live.issuer', '=', 'mine.issuer')
        .onRef('live.issuer_assigned_id', '=', 'mine.issuer_assigned_id'),
    )
    .select('live.user_id')
    .where('mine.user_id', '=', row.id)
    .where('live.deleted_at', 'is', null)
    .where('live.user_id', '<>', row.id)
    .executeTakeFirst();
  if (identityHolder) throw conflict('identities');
  await trx
    .updateTable('users')
    .set({ deleted_at: null, user_principal_name: upn, upn_lower: upn.toLowerCase() })
    .where('id', '=', row.id)
    .where('deleted_at', 'is not', null)
    .execute();
  await trx.updateTable('user_identities').set({ deleted_at: null }).where('user_id', '=', row.id).execute();
  for (const groupId of await groupsOf(trx, tenantId, row.id)) {
    await recordMembershipChange(trx, tenantId, groupId, { id: row.id, type: 'user' }, 'member_added', now);
  }
  await markUsersChanged(trx, tenantId, [row.id]);
  return true;
}

/**
 * Deletes a deleted user for good with everything hanging on it: memberships and search words here,
 * identities, role assignments, owned groups' links, sponsors, MFA methods and app assignments by
 * foreign key, and what features keep on `user.purged` (terms acceptances); reports lose this manager.
 * The invitation records stay, their links revoked since the deletion. Delta queries report it removed with reason
 * `deleted`. False when the user is not deleted (a live user is deleted first, never purged directly).
 */
export async function purgeDeletedUserRow(trx: Executor, tenantId: string, userId: string, now: number): Promise<boolean> {
  const row = await trx
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  if (!row) return false;
  // Its groups were told of the removal when it was deleted: only the user's own removal is logged now.
  await forgetMemberships(trx, userId);
  await recordObjectDeleted(trx, tenantId, { id: userId, type: 'user' }, now);
  await trx.deleteFrom('user_sponsors').where('sponsor_id', '=', userId).execute();
  await trx.deleteFrom('users').where('id', '=', userId).where('tenant_id', '=', tenantId).execute();
  await deleteSearchTokens(trx, userId);
  return true;
}

/** Deleted users whose 30 days are over (for the housekeeping), oldest first, at most `limit`. */
export async function findExpiredDeletedUsers(db: Executor, now: number, limit: number): Promise<{ tenantId: string; id: string }[]> {
  const rows = await db
    .selectFrom('users')
    .select(['tenant_id', 'id'])
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<=', now - DELETED_USER_RETENTION_MS)
    .orderBy('deleted_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id }));
}
