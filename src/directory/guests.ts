/**
 * Guests as redemption and guest sign-in need them: found by the home identity bound at redemption, by
 * their mail, and moved from PendingAcceptance to Accepted. The users and user_identities tables belong
 * to the directory; the guest flow calls these instead of querying them.
 */
import type { Executor } from '../platform/storage/database.js';
import { markUsersChanged } from './changes.js';
import { findUser, type User } from './users.js';

/** A guest's home identity, as `user_identities` records it at redemption. */
export interface BoundIdentity {
  issuer: string;
  issuerAssignedId: string;
}

/** The guest of `tenantId` whose bound home identity is `issuer`/`subject` (deleted ones excluded). */
export async function findGuestByIdentity(db: Executor, tenantId: string, issuer: string, subject: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('user_identities')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('issuer', '=', issuer)
    .where('issuer_assigned_id', '=', subject)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  const user = row ? await findUser(db, tenantId, row.user_id) : undefined;
  return user?.userType === 'Guest' || user?.creationType === 'Invitation' ? user : undefined;
}

/** The home identity bound to this guest at redemption, if it redeemed. */
export async function findBoundIdentity(db: Executor, guestId: string): Promise<BoundIdentity | undefined> {
  const identity = await db
    .selectFrom('user_identities')
    .select(['issuer', 'issuer_assigned_id'])
    .where('user_id', '=', guestId)
    .where('sign_in_type', '=', 'federated')
    .executeTakeFirst();
  return identity ? { issuer: identity.issuer, issuerAssignedId: identity.issuer_assigned_id } : undefined;
}

/** The id of the invited guest of `tenantId` who already redeemed and whose mail is this address. */
export async function findAcceptedGuestByMail(db: Executor, tenantId: string, lower: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('mail_lower', '=', lower)
    .where('creation_type', '=', 'Invitation')
    .where('external_user_state', '=', 'Accepted')
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.id;
}

/** Ids of the users of `tenantId` (of any kind, not deleted) whose mail is this address. */
export async function findUserIdsByMail(db: Executor, tenantId: string, lower: string): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('mail_lower', '=', lower)
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Moves a pending, enabled guest to Accepted and binds the home identity that proved it, inside the
 * caller's transaction. A compare-and-set: undefined when the guest is no longer pending (another
 * redemption won) or is disabled or deleted. A second guest of the tenant bound to the same identity
 * fails the unique index (the caller maps it to "identity taken").
 */
export async function acceptGuest(
  trx: Executor,
  a: { tenantId: string; guestId: string; issuer: string; subject: string; now: number },
): Promise<{ displayName: string; userPrincipalName: string } | undefined> {
  const accepted = await trx
    .updateTable('users')
    .set({ external_user_state: 'Accepted', external_user_state_change_at: a.now })
    .where('id', '=', a.guestId)
    .where('tenant_id', '=', a.tenantId)
    .where('external_user_state', '=', 'PendingAcceptance')
    .where('account_enabled', '=', 1)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (Number(accepted.numUpdatedRows) !== 1) return undefined;
  await markUsersChanged(trx, a.tenantId, [a.guestId]);
  await trx
    .insertInto('user_identities')
    .values({ user_id: a.guestId, tenant_id: a.tenantId, sign_in_type: 'federated', issuer: a.issuer, issuer_assigned_id: a.subject, created_at: a.now })
    .execute();
  const guest = await trx.selectFrom('users').select(['display_name', 'user_principal_name']).where('id', '=', a.guestId).executeTakeFirstOrThrow();
  return { displayName: guest.display_name, userPrincipalName: guest.user_principal_name };
}

/** The tenant on this instance that verified `domain`, if any (home realm discovery). */
export async function findVerifiedDomainTenant(db: Executor, domain: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenant_domains').select('tenant_id').where('domain', '=', domain).where('is_verified', '=', 1).executeTakeFirst();
  return row?.tenant_id;
}

/** Has `tenantId` verified `domain`? Its people are members, never guests. */
export async function isVerifiedDomainOf(db: Executor, tenantId: string, domain: string): Promise<boolean> {
  const row = await db
    .selectFrom('tenant_domains')
    .select('domain')
    .where('tenant_id', '=', tenantId)
    .where('domain', '=', domain)
    .where('is_verified', '=', 1)
    .executeTakeFirst();
  return row !== undefined;
}
