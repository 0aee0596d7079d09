/**
 * Who may change security info, and when: the person this browser signed in to one of the tenant's apps
 * (a member's own account entry, or a guest through their home identity), and a change only while the
 * browser's proof of one of their existing methods is recent. A stolen session that is only signed in
 * with a password cannot add its own authenticator, nor remove the owner's.
 */
import type { Tenant } from '../../directory/tenants.js';
import { findUser, type User } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { type BrowserSession, secondFactorFor, signInStillCounts } from '../kit/browser-session.js';
import { guestFromBrowserSession } from '../kit/guest-hand-back.js';

/** How recent a second factor must be for a change: Entra asks again after ten minutes as well. */
export const RECENT_PROOF_MS = 10 * 60_000;

export interface SignedInPerson {
  user: User;
  /** The session entry's first factor, for a gate opened from here. */
  firstFactor: { amr: string[]; authTime: number };
}

/**
 * The person of `tenant` this browser is signed in as: the first of its member account entries that still
 * counts, else a guest whose home identity it proved; undefined when neither.
 */
export async function signedInPerson(ctx: AppContext, session: BrowserSession | undefined, tenant: Tenant): Promise<SignedInPerson | undefined> {
  for (const account of session?.accounts ?? []) {
    if (account.tenantId !== tenant.id || !account.userId) continue;
    const user = await findUser(ctx.db.kysely, tenant.id, account.userId);
    // Guests are found through their home identity's entry below, as at the sign-in page.
    if (!user || user.creationType === 'Invitation' || !signInStillCounts(user, account.authTime)) continue;
    return { user, firstFactor: { amr: account.amr.filter((m) => m !== 'mfa'), authTime: account.authTime } };
  }
  const guest = await guestFromBrowserSession(ctx, session, tenant.id, undefined);
  if (!guest) return undefined;
  return { user: guest.guest, firstFactor: { amr: guest.entry.amr.filter((m) => m !== 'mfa'), authTime: guest.entry.authTime } };
}

/** Did this browser prove one of the person's methods within the last ten minutes? */
export function recentlyProven(ctx: AppContext, session: BrowserSession | undefined, user: Pick<User, 'id' | 'tenantId' | 'signInSessionsValidFrom'>): boolean {
  const proof = secondFactorFor(session, user);
  return proof !== undefined && ctx.clock.now() - proof.at <= RECENT_PROOF_MS;
}
