/**
 * Who is reviewing: the person this browser signed in to one of the tenant's apps, a member through their
 * own account entry or a guest through their home identity (as the security-info page finds them; page
 * sets share no code, so the few lines are here too).
 *
 * An account entry alone is not enough: the sign-in pages store it right after the first factor, before
 * the sign-in's second-factor step. What must still be proven, and how, is the web kit's rule for pages
 * that let a signed-in person act in a tenant (web/kit/second-factor-access.ts, `secondFactorDue`): the
 * page shows and records only once it is settled, opens the MFA pages' challenge (`challengeGate`) when the
 * person has a method to prove, and asks a person with nothing to prove yet (MFA asked for, no method
 * registered) to sign in to an app first, as the sign-in there registers one.
 */
import type { Tenant } from '../../directory/tenants.js';
import { findUser, type User } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { type BrowserSession, type SignedInAccount, signInStillCounts } from '../kit/browser-session.js';
import { guestFromBrowserSession } from '../kit/guest-hand-back.js';
import { type SecondFactorDue, secondFactorDue } from '../kit/second-factor-access.js';

export type ReviewerAccess =
  /** Signed in, and the second factor is settled: the page may show and record. */
  | { kind: 'reviewer'; user: User }
  /** Signed in with a first factor only, and the person has a method to prove: the MFA pages' challenge. */
  | { kind: 'challenge'; user: User; due: Extract<SecondFactorDue, { kind: 'challenge' }> }
  /** Not signed in: sign in to one of the apps first. */
  | { kind: 'sign-in' }
  /** MFA is due and there is nothing to prove yet: sign in to one of the apps, which sets a method up. */
  | { kind: 'verify' };

/** The person of `tenant` this browser is signed in as, with the account entry that says so. */
async function signedInEntry(
  ctx: AppContext,
  session: BrowserSession | undefined,
  tenant: Tenant,
): Promise<{ user: User; entry: SignedInAccount } | undefined> {
  for (const account of session?.accounts ?? []) {
    if (account.tenantId !== tenant.id || !account.userId) continue;
    const user = await findUser(ctx.db.kysely, tenant.id, account.userId);
    // Guests are found through their home identity's entry below, as at the sign-in page.
    if (!user || user.creationType === 'Invitation' || !signInStillCounts(user, account.authTime)) continue;
    return { user, entry: account };
  }
  const guest = await guestFromBrowserSession(ctx, session, tenant.id, undefined);
  return guest && { user: guest.guest, entry: guest.entry };
}

/** Whether, and how far, this browser may use the review page of `tenant`. */
export async function reviewerAccess(ctx: AppContext, session: BrowserSession | undefined, tenant: Tenant): Promise<ReviewerAccess> {
  const found = await signedInEntry(ctx, session, tenant);
  if (!found) return { kind: 'sign-in' };
  const { user, entry } = found;
  const due = await secondFactorDue(ctx, session, user, entry);
  if (due.kind === 'settled') return { kind: 'reviewer', user };
  if (due.kind === 'verify') return { kind: 'verify' };
  return { kind: 'challenge', user, due };
}
