/**
 * Is a second factor due before a page lets a signed-in person act in a tenant (leave it, decide a
 * review)? A browser-session entry alone is not enough: the sign-in pages store it right after the first
 * factor (a password, a home identity, a passcode), before the sign-in's second-factor step, so a browser
 * that stopped there has proven that first factor and nothing more.
 *
 * The rule, for `user` of their own tenant: a second factor is due when they have a method registered there
 * (mfa listMethods) or the tenant's Conditional Access policies ask them for MFA, evaluated as for any app
 * (the policies for All applications). It is settled by a second factor this browser proved for them at or
 * after the entry's sign-in (with a method they still have, within the policies' sign-in frequency), or, for
 * a guest whose home tenant on this instance the tenant trusts for MFA, by the home account's second factor
 * proven in this browser after that sign-in (the MFA gate's own `proofThatCounts` and `trustedHomeMfaAt`,
 * web/kit/mfa-gate.ts). Otherwise the page opens the gate in challenge mode (`challengeGate`), which comes
 * back to the page; when MFA is asked for and there is no method to prove, the person signs in to one of the
 * tenant's apps first (which registers one).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../directory/users.js';
import { listMethods, policyOutcomeFor } from '../../mfa/index.js';
import type { AppContext } from '../../platform/context.js';
import type { BrowserSession, SignedInAccount } from './browser-session.js';
import { type FirstFactor, openGate, proofThatCounts, trustedHomeMfaAt } from './mfa-gate.js';

export type SecondFactorDue =
  /** Nothing is due, or this browser proved it: the page may act. */
  | { kind: 'settled' }
  /** The person has a method to prove: the MFA pages' challenge (`challengeGate`). */
  | { kind: 'challenge'; firstFactor: { amr: string[]; authTime: number } }
  /** MFA is asked for and the person has no method yet: sign in to one of the tenant's apps first. */
  | { kind: 'verify' };

/** The part of the browser-session entry the person was found through that matters here. */
export type EntrySignIn = Pick<SignedInAccount, 'amr' | 'authTime' | 'issuer' | 'subject'>;

/** Whether a proof (epoch ms) was made at or after `sinceMs` and is fresh enough. */
function countsSince(at: number | undefined, sinceMs: number, fresh: (at: number) => boolean): boolean {
  return at !== undefined && at >= sinceMs && fresh(at);
}

/** The guest's home identity, as the MFA gate takes it, when the entry names one. */
function homeIdentityOf(entry: EntrySignIn): FirstFactor['homeIdentity'] {
  return entry.issuer && entry.subject ? { issuer: entry.issuer, subject: entry.subject } : undefined;
}

/**
 * What `user` (a member or a guest, in their own tenant `user.tenantId`) must still prove in this browser,
 * given the entry they were found through (its first factor's amr and auth_time, and for a guest the home
 * identity's issuer and subject).
 */
export async function secondFactorDue(ctx: AppContext, session: BrowserSession | undefined, user: User, entry: EntrySignIn): Promise<SecondFactorDue> {
  const methods = await listMethods(ctx.db.kysely, user.tenantId, user.id);
  const who = { id: user.id, userType: user.userType, creationType: user.creationType };
  const outcome = await policyOutcomeFor(ctx, user.tenantId, who, undefined);
  if (methods.length === 0 && !outcome.requireMfa) return { kind: 'settled' };
  const since = entry.authTime * 1000;
  const now = ctx.clock.now();
  const frequency = outcome.signInFrequencySeconds;
  const fresh = (at: number) => frequency === undefined || now - at < frequency * 1000;
  if (countsSince(proofThatCounts(session, user, methods)?.at, since, fresh)) return { kind: 'settled' };
  if (outcome.requireMfa && countsSince(await trustedHomeMfaAt(ctx, user.tenantId, session, homeIdentityOf(entry)), since, fresh)) return { kind: 'settled' };
  if (methods.length === 0) return { kind: 'verify' };
  return { kind: 'challenge', firstFactor: { amr: entry.amr.filter((m) => m !== 'mfa'), authTime: entry.authTime } };
}

/**
 * Sends the browser to the MFA pages' challenge for `user`, which come back to `continueTo`: an internal
 * path the page builds itself (never one taken from the request).
 */
export function challengeGate(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  user: Pick<User, 'id' | 'tenantId'>,
  due: Extract<SecondFactorDue, { kind: 'challenge' }>,
  continueTo: `/${string}`,
): Promise<FastifyReply> {
  return openGate(ctx, request, reply, {
    tenantId: user.tenantId,
    userId: user.id,
    continueTo: { kind: 'url', url: continueTo },
    appId: null,
    firstFactor: due.firstFactor,
    mode: 'challenge',
    policies: { enforced: [] },
  });
}
