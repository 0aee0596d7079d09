/**
 * A guest leaving an organization by themselves (Entra's My Account → Organizations → Leave). Whether they
 * may is one pure decision (`leaveDecision`); leaving soft-deletes the guest object through the directory's
 * `deleteUser`, which ends the guest's sessions and tokens and audits Entra's "Delete external user" with
 * the guest as the actor, so the resource tenant's log says who removed the account: the guest themselves.
 */
import type { Actor } from '../directory/audit-log.js';
import { deleteUser, findUser, type User } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { readExternalIdentitiesPolicy } from './external-identities-policy.js';

/**
 * Why Leave is refused: the organization does not allow it (its leave setting), the guest account is
 * disabled, or the guest holds the organization's last Global Administrator role (the directory keeps one:
 * only another administrator can take it over, so the person is sent to the organization's administrator).
 */
export type LeaveRefusal = 'not-allowed' | 'disabled' | 'last-administrator';

export interface LeaveFacts {
  /** The tenant's `allowExternalIdentitiesToLeave`. */
  allowedByPolicy: boolean;
  /** The guest account's `accountEnabled`. */
  accountEnabled: boolean;
}

/**
 * May this guest leave? As in Entra: not when the organization's leave setting says No, and not when the
 * account is disabled (an administrator has already acted on it; the organization's privacy contact decides).
 */
export function leaveDecision(f: LeaveFacts): { allowed: true } | { allowed: false; refusal: Exclude<LeaveRefusal, 'last-administrator'> } {
  if (!f.allowedByPolicy) return { allowed: false, refusal: 'not-allowed' };
  if (!f.accountEnabled) return { allowed: false, refusal: 'disabled' };
  return { allowed: true };
}

/** The decision for one guest of a tenant, read from the directory now. */
export async function mayLeave(ctx: AppContext, guest: Pick<User, 'tenantId' | 'accountEnabled'>) {
  const policy = await readExternalIdentitiesPolicy(ctx.db.kysely, guest.tenantId);
  return leaveDecision({ allowedByPolicy: policy.allowExternalIdentitiesToLeave, accountEnabled: guest.accountEnabled });
}

/** The guest as the audit log names them when they act themselves. */
export function guestActor(guest: User, ipAddress: string | null): Actor {
  return { kind: 'user', id: guest.id, displayName: guest.displayName, userPrincipalName: guest.userPrincipalName, mail: guest.mail, ipAddress };
}

export type LeaveResult = { ok: true; guest: User } | { ok: false; refusal: LeaveRefusal | 'gone' };

/**
 * The guest `guestId` of `tenantId` leaves: decided again here (the page's answer may be minutes old), then
 * soft-deleted with the guest as the actor. The caller has established that this person is that guest.
 */
export async function leaveOrganization(ctx: AppContext, tenantId: string, guestId: string, ipAddress: string | null): Promise<LeaveResult> {
  const guest = await findUser(ctx.db.kysely, tenantId, guestId);
  if (guest?.creationType !== 'Invitation') return { ok: false, refusal: 'gone' };
  const decision = await mayLeave(ctx, guest);
  if (!decision.allowed) return { ok: false, refusal: decision.refusal };
  try {
    await deleteUser(ctx, tenantId, guest.id, guestActor(guest, ipAddress));
  } catch (e) {
    // Deleted meanwhile (another window, an administrator): the outcome the person asked for.
    if (e instanceof FoyerError && e.code === 'directory.not_found') return { ok: false, refusal: 'gone' };
    // An invited user made the tenant's last Global Administrator: the directory refuses to delete them.
    if (e instanceof FoyerError && e.code === 'directory.last_global_administrator') return { ok: false, refusal: 'last-administrator' };
    throw e;
  }
  return { ok: true, guest };
}
