/**
 * Whom an invitation is for (a new guest, an existing one re-invited, or one whose redemption is reset)
 * and who sponsors them. The users and their sponsors belong to the directory; this decides, the
 * directory's functions read and write.
 */
import { findExistingUserIds, findUserForInvitation, findUsersByMailOrUpn } from '../directory/invited-users.js';
import { assertMayChangeUser } from '../directory/protection.js';
import { addSponsors, listSponsorIds } from '../directory/sponsors.js';
import type { Tenant } from '../directory/tenants.js';
import { listRoleIdsOf, type User } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { Executor } from '../platform/storage/database.js';
import { guestUserPrincipalName, type Inviter, MAX_SPONSORS } from './invitation-request.js';

export type Invitee = { kind: 'new' } | { kind: 'existing'; user: User };
export type InvitedUser = { id: string; userPrincipalName: string; preferredLanguage: string | null; displayName: string };

/**
 * Sponsors (Entra: up to 5 per guest). Named sponsors are added to the guest's; with none named, the
 * inviting person sponsors a NEW guest (re-inviting does not make every re-inviter a sponsor).
 */
export async function addInvitationSponsors(
  trx: Executor,
  tenant: Tenant,
  userId: string,
  isNew: boolean,
  named: string[],
  inviter: Inviter,
  now: number,
): Promise<void> {
  const wanted = named.length ? named : isNew && inviter.actor.kind === 'user' ? [inviter.actor.id] : [];
  if (wanted.length === 0) return;
  if (named.length) {
    const found = await findExistingUserIds(trx, tenant.id, named);
    const missing = named.find((s) => !found.includes(s));
    if (missing) throw new FoyerError('invitation.invalid_sponsors', `The sponsor '${missing}' is not a user of ${tenant.displayName}.`);
  }
  const current = await listSponsorIds(trx, userId);
  const total = new Set([...current, ...wanted]);
  if (total.size > MAX_SPONSORS) {
    throw new FoyerError(
      'invitation.invalid_sponsors',
      `A guest can have at most ${MAX_SPONSORS} sponsors; this one has ${current.length}, and ${wanted.length} more were named.`,
    );
  }
  await addSponsors(trx, tenant.id, userId, wanted, now);
}

/** Which user this invitation is for: an existing guest (re-invite), a reset target, or a new guest. */
export async function findInvitee(
  ctx: AppContext,
  trx: Executor,
  tenant: Tenant,
  address: { address: string; lower: string; local: string; domain: string },
  invitedUserId: string | null,
  reset: boolean,
  inviter: Inviter,
): Promise<Invitee> {
  if (invitedUserId) {
    // PostgreSQL: hold the guest while its tickets are replaced, so simultaneous re-invitations queue.
    const user = await findUserForInvitation(trx, ctx.db.dialect, tenant.id, invitedUserId);
    if (!user) {
      throw new FoyerError(
        'directory.not_found',
        `Resource '${invitedUserId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    const addresses = [user.mail, ...user.otherMails].filter((m): m is string => !!m).map((m) => m.toLowerCase());
    if (!addresses.includes(address.lower)) {
      throw new FoyerError(
        'invitation.reset_invalid',
        "The email you're using to invite this user doesn't match any emails on the user object. Please add this email to the user object and try again.",
      );
    }
    if (user.creationType !== 'Invitation') {
      throw new FoyerError(
        reset ? 'invitation.reset_invalid' : 'invitation.invitee_is_member',
        `${user.userPrincipalName} is a member of ${tenant.displayName}, not an invited user; its redemption status cannot be reset.`,
      );
    }
    if (reset) {
      const roles = new Set(await listRoleIdsOf(trx, tenant.id, user.id));
      // Entra: app-only calls cannot reset users who hold directory roles.
      if (roles.size && inviter.kind !== 'user') {
        throw new FoyerError('invitation.not_allowed', 'An app acting as itself cannot reset the redemption status of a user who holds a directory role.');
      }
      // A reset lets someone bind a new identity to the account: administrators are protected from
      // administrators below them, as for a password reset.
      if (inviter.kind === 'user') {
        assertMayChangeUser({ kind: 'user', permissions: inviter.permissions, roleIds: inviter.roleIds ?? new Set() }, roles, new Set(['redemption']));
      }
    }
    if (!reset) await assertMayReinvite(trx, tenant, user, inviter);
    return { kind: 'existing', user };
  }
  const guestUpn = guestUserPrincipalName(address.local, address.domain, tenant.initialDomain).toLowerCase();
  const users = await findUsersByMailOrUpn(trx, ctx.db.dialect, tenant.id, address.lower, guestUpn);
  const member = users.find((u) => u.creationType !== 'Invitation');
  if (member) {
    throw new FoyerError(
      'invitation.invitee_is_member',
      `${address.address} is already a member of ${tenant.displayName} (${member.userPrincipalName}); members cannot be invited as guests.`,
    );
  }
  const guest = users.find((u) => u.userPrincipalName.toLowerCase() === guestUpn) ?? users[0];
  if (reset) throw new FoyerError('invitation.reset_invalid', 'resetRedemption needs invitedUser.id.');
  if (!guest) return { kind: 'new' };
  await assertMayReinvite(trx, tenant, guest, inviter);
  return { kind: 'existing', user: guest };
}

/**
 * Re-inviting a guest who has not accepted yet replaces their link: whoever follows the new one binds
 * their identity to the account. For an account holding an administrator role that is what a reset of
 * their redemption does, so the same people may do it (directory/protection.ts: an administrator at
 * least as high, signed in; never an app acting as itself, nor the command line). An accepted guest's
 * new link only signs in the identity already bound, so re-inviting them stays open to every inviter.
 */
async function assertMayReinvite(trx: Executor, tenant: Tenant, user: User, inviter: Inviter): Promise<void> {
  if (user.externalUserState === 'Accepted') return;
  const roles = new Set(await listRoleIdsOf(trx, tenant.id, user.id));
  if (roles.size === 0) return;
  const actor =
    inviter.kind === 'user'
      ? { kind: 'user' as const, permissions: inviter.permissions, roleIds: inviter.roleIds ?? new Set<string>() }
      : { kind: 'app' as const, permissions: inviter.permissions, roleIds: new Set<string>() };
  try {
    assertMayChangeUser(actor, roles, new Set(['redemption']));
  } catch (err) {
    if (!(err instanceof FoyerError) || err.code !== 'auth.insufficient_privileges') throw err;
    throw new FoyerError(
      'invitation.not_allowed',
      `${user.userPrincipalName} holds an administrator role and has not accepted their invitation yet: a new link would let whoever follows it sign in as that administrator. Only someone who may reset this administrator's password or redemption status can re-invite them, signed in as themselves: not an app acting as itself, nor the command line.`,
      err.detail,
    );
  }
}
