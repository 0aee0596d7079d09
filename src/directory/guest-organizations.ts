/**
 * The organizations a person is a guest of, across the tenants of this instance, for the "My
 * organizations" page: found by the home identity bound at redemption (any kind: a member account of
 * another tenant, a personal account, an external provider's subject, an address proven by passcode),
 * or, to choose where a person signs in for that page, by the address an accepted guest has.
 */
import type { Executor } from '../platform/storage/database.js';
import { findHomedGuests } from './identities.js';
import { findTenant, type Tenant } from './tenants.js';
import { findUser, type User } from './users.js';

export interface GuestOrganization {
  tenant: Tenant;
  guest: User;
}

/**
 * The accepted, not deleted guests whose bound home identity is `issuer`/`subject`, with their tenants,
 * oldest redemption first. Disabled guests are included: the page shows them, with Leave refused.
 */
export async function listGuestOrganizations(db: Executor, issuer: string, subject: string): Promise<GuestOrganization[]> {
  const out: GuestOrganization[] = [];
  for (const account of await findHomedGuests(db, issuer, subject)) {
    const guest = await findUser(db, account.tenantId, account.userId);
    if (guest?.creationType !== 'Invitation' || guest.externalUserState !== 'Accepted') continue;
    const tenant = await findTenant(db, account.tenantId);
    if (tenant) out.push({ tenant, guest });
  }
  return out.sort((a, b) => since(a.guest) - since(b.guest));
}

/** When the person became this organization's guest: the redemption, else the guest's creation. */
export function since(guest: Pick<User, 'externalUserStateChangeDateTime' | 'createdAt'>): number {
  return guest.externalUserStateChangeDateTime ?? guest.createdAt;
}

/**
 * The accepted guest, in any tenant, whose mail is this address and who redeemed first (its tenant and
 * id); undefined when the address is no accepted guest anywhere.
 */
export async function findFirstAcceptedGuestByMail(db: Executor, lower: string): Promise<{ tenantId: string; guestId: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['tenant_id', 'id'])
    .where('mail_lower', '=', lower)
    .where('creation_type', '=', 'Invitation')
    .where('external_user_state', '=', 'Accepted')
    .where('deleted_at', 'is', null)
    .orderBy('external_user_state_change_at')
    .orderBy('id')
    .executeTakeFirst();
  return row ? { tenantId: row.tenant_id, guestId: row.id } : undefined;
}
