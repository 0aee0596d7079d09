/**
 * The facts home realm discovery (home-realm.ts) decides on, gathered from their owners: which tenant
 * verified the address's domain, the resource tenant's external providers and policy, whether a
 * personal account exists; and the guests an address or a proven identity may stand for.
 */
import { parseEmailAddress } from '../directory/domains.js';
import { findBoundIdentity, findUserIdsByMail, findVerifiedDomainTenant } from '../directory/guests.js';
import { readInvitationPolicies } from '../directory/policies.js';
import { findUser, type User } from '../directory/users.js';
import { checkInviteeDomain, findGuestIdsWithWorkingLink, invitationTicketVerdict, type RedemptionInvitation } from '../invitations/index.js';
import type { AppContext } from '../platform/context.js';
import { listExternalProviders } from './external-providers.js';
import { type BoundIdentity, type HomeRoute, resolveHome, routeForBoundIdentity } from './home-realm.js';
import type { LinkFacts } from './next-step.js';
import { findPersonalAccount } from './personal-accounts.js';

/** Where the address proves itself, for a new redemption or sign-in. */
export async function discoverHome(ctx: AppContext, tenantId: string, address: string, signUpAvailable: boolean): Promise<HomeRoute> {
  const parsed = parseEmailAddress(address)!;
  const db = ctx.db.kysely;
  const [domainTenantId, externalProviders, personal, policies] = await Promise.all([
    findVerifiedDomainTenant(db, parsed.domain),
    listExternalProviders(db, tenantId),
    findPersonalAccount(db, parsed.lower),
    readInvitationPolicies(db, tenantId),
  ]);
  return resolveHome(
    {
      domain: parsed.domain,
      ...(domainTenantId && domainTenantId !== tenantId ? { domainTenantId } : {}),
      externalProviders,
      personalAccount: personal !== undefined,
    },
    { configuration: policies.redemption, emailOtpEnabled: policies.emailOtp.allowExternalIdToUseEmailOtp !== 'disabled', signUpAvailable },
  );
}

/** An accepted guest's way home, from the identity bound at redemption. */
export async function boundRoute(ctx: AppContext, tenantId: string, guestId: string): Promise<{ route: HomeRoute; bound?: BoundIdentity }> {
  const bound = await findBoundIdentity(ctx.db.kysely, guestId);
  if (!bound) return { route: { kind: 'none' } };
  return { route: routeForBoundIdentity(bound, ctx.config.publicUrl, await listExternalProviders(ctx.db.kysely, tenantId)), bound };
}

/**
 * The pending guest of `tenantId` this address may redeem by signing in to an app: one whose current
 * addresses (mail, otherMails) include it, found through its working invitation link or its mail.
 * Links that were replaced or withdrawn (a reset to another address) count for nothing.
 */
export async function findPendingGuestByAddress(ctx: AppContext, tenantId: string, lower: string): Promise<User | undefined> {
  const db = ctx.db.kysely;
  const invited = await findGuestIdsWithWorkingLink(db, tenantId, lower);
  const byMail = await findUserIdsByMail(db, tenantId, lower);
  for (const id of new Set([...invited, ...byMail])) {
    const user = await findUser(db, tenantId, id);
    if (user?.creationType !== 'Invitation' || user.externalUserState !== 'PendingAcceptance') continue;
    if ([user.mail, ...user.otherMails].some((a) => a?.toLowerCase() === lower)) return user;
  }
  return undefined;
}

/** Does the tenant's B2B policy block guests from this address's domain now? */
export async function isDomainBlocked(ctx: AppContext, tenantId: string, lower: string): Promise<boolean> {
  const domain = lower.split('@')[1]!;
  return checkInviteeDomain(domain, (await readInvitationPolicies(ctx.db.kysely, tenantId)).b2bManagement) !== undefined;
}

/**
 * The facts linkRefusal (next-step.ts) judges a presented invitation by; undefined for an unknown link.
 * Asked in the order the decision needs them: no guest lookup for a dead ticket, no policy read but
 * for an active ticket of an enabled guest.
 */
export async function linkFacts(ctx: AppContext, inv: RedemptionInvitation | undefined, tenantId: string | undefined): Promise<LinkFacts | undefined> {
  if (!inv || !tenantId) return undefined;
  const verdict = invitationTicketVerdict(inv, ctx.clock.now());
  if (verdict === 'expired' || verdict === 'superseded' || verdict === 'revoked') return { verdict };
  const guest = await findUser(ctx.db.kysely, tenantId, inv.guestId);
  if (!guest) return { verdict };
  const domainBlocked = verdict === 'active' && guest.accountEnabled && (await isDomainBlocked(ctx, tenantId, inv.invitedEmailLower));
  return { verdict, guest: { enabled: guest.accountEnabled }, domainBlocked };
}
