/**
 * Who is looking at "My organizations", and which organizations are theirs: read from this browser's
 * session only. Each identity the browser proved (web/kit/browser-session.ts) that still stands
 * (`entryStillValid`: a member not disabled or revoked since, a personal account that still exists, a
 * passcode within its 24 hours) brings the organizations whose accepted guest it is the bound home identity
 * of, unless that guest's sign-ins ended after the proof (a revoke, a disable, a reset redemption: the
 * person proves it again). A member account's entry brings its own tenant as the home organization.
 *
 * These entries are first factors only (the sign-in pages store them before any second factor): enough to
 * list organizations' names, not to leave one (pages.ts asks web/kit/second-factor-access.ts first).
 */
import { type GuestOrganization, listGuestOrganizations } from '../../directory/guest-organizations.js';
import { findTenant, type Tenant } from '../../directory/tenants.js';
import { findUser, type User } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { type BrowserSession, provenSinceSignInsEnded, type SignedInAccount } from '../kit/browser-session.js';
import { entryStillValid } from '../kit/earlier-sign-ins.js';

export interface MyOrganizations {
  /** The addresses of the identities the organizations were found through, for "Signed in as". */
  identities: string[];
  /** Member accounts' own tenants (cannot be left here). */
  homes: Array<{ tenant: Tenant; member: User }>;
  /** With the entry each was found through: its first factor is what a second factor must come after. */
  guestOf: Array<GuestOrganization & { entry: SignedInAccount }>;
}

/** undefined when the browser holds no identity that still stands. */
export async function myOrganizations(ctx: AppContext, session: BrowserSession | undefined): Promise<MyOrganizations | undefined> {
  const db = ctx.db.kysely;
  const found: MyOrganizations = { identities: [], homes: [], guestOf: [] };
  for (const entry of session?.accounts ?? []) {
    if (!entry.issuer || !entry.subject || !(await entryStillValid(ctx, entry))) continue;
    if (entry.email && !found.identities.includes(entry.email)) found.identities.push(entry.email);
    if (entry.tenantId && entry.userId && !found.homes.some((h) => h.member.id === entry.userId)) {
      const [tenant, member] = [await findTenant(db, entry.tenantId), await findUser(db, entry.tenantId, entry.userId)];
      if (tenant && member) found.homes.push({ tenant, member });
    }
    for (const org of await listGuestOrganizations(db, entry.issuer, entry.subject)) {
      if (!provenSinceSignInsEnded(org.guest, entry.authTime) || found.guestOf.some((g) => g.guest.id === org.guest.id)) continue;
      found.guestOf.push({ ...org, entry });
    }
  }
  return found.identities.length || found.homes.length || found.guestOf.length ? found : undefined;
}
