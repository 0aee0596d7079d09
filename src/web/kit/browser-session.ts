/**
 * The instance-wide browser session: which identities this browser has proven, in any tenant. It is
 * what gives single sign-on across tenants (a Fabrikam member who is a guest in Contoso does not type a
 * password again for Contoso's app). A cookie-backed store (cookie-store.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { CookieStore } from './cookie-store.js';

export interface SignedInAccount {
  /** The tenant whose directory holds the account ('' for identities outside every tenant). */
  tenantId: string;
  /** The account's object id there ('' for identities outside every tenant). */
  userId: string;
  /**
   * The identity as a guest's `identities` name it: the home tenant's issuer and object id, the
   * personal-account issuer and account id, an external provider's issuer and subject, or `mail` and
   * the address. Single sign-on into other tenants looks guests up by it.
   */
  issuer?: string;
  subject?: string;
  email?: string;
  /** Epoch ms after which this entry no longer counts (a passcode proves an address for 24 hours). */
  expiresAt?: number;
  /** How they proved it: `pwd`, `otp`, `mfa`. */
  amr: string[];
  /** Epoch seconds. */
  authTime: number;
}

/** A second factor this browser proved in a tenant, for one person there (a member or a guest). */
export interface SecondFactorProof {
  tenantId: string;
  userId: string;
  /** The second factor's methods (amr): `otp` for an authenticator app or a recovery code, `hwk`/`swk` for a passkey. */
  amr: string[];
  /** Epoch ms. */
  at: number;
}

export interface BrowserSession {
  idHash: string;
  accounts: SignedInAccount[];
  /** Second factors proven in this browser, newest first. */
  mfa: SecondFactorProof[];
  expiresAt: number;
}

interface SessionPayload {
  accounts: SignedInAccount[];
  mfa?: SecondFactorProof[];
}

/** At most this many identities are remembered per browser; the oldest go first. */
const MAX_ACCOUNTS = 10;

const sessions = new CookieStore<SessionPayload>('browser_sessions', 'foyer_session');

/**
 * Does a sign-in proven at `authTime` (epoch seconds) still count for this user? Not once the user is
 * gone or disabled, nor after a revocation of its sign-ins (`signInSessionsValidFrom`) that came later,
 * nor while the user owes a password change (forceChangePasswordNextSignIn): that change is made after a
 * password on the tenant's own sign-in page, and no earlier sign-in may skip it, here or in another tenant.
 */
export function signInStillCounts(
  user: Pick<User, 'accountEnabled' | 'signInSessionsValidFrom' | 'mustChangePassword'> | undefined,
  authTime: number,
): boolean {
  if (!user?.accountEnabled || user.mustChangePassword) return false;
  return provenSinceSignInsEnded(user, authTime);
}

/**
 * Was a sign-in proven at `authTime` (epoch seconds) after the user's sign-ins last ended (a revoke, a
 * new password, a disable, a reset redemption)? Whole seconds: one proven in the revocation's own second
 * does not count (the safe side). Whether the user is enabled is the caller's question.
 */
export function provenSinceSignInsEnded(user: Pick<User, 'signInSessionsValidFrom'>, authTime: number): boolean {
  return user.signInSessionsValidFrom === null || authTime * 1000 >= user.signInSessionsValidFrom;
}

export function sessionCookieName(ctx: AppContext): string {
  return sessions.cookieName(ctx);
}

export function readBrowserSession(ctx: AppContext, request: FastifyRequest): Promise<BrowserSession | undefined> {
  return readBrowserSessionCookie(ctx, request.cookies[sessions.cookieName(ctx)]);
}

/** The browser session a cookie value names. */
export async function readBrowserSessionCookie(ctx: AppContext, cookieValue: string | undefined): Promise<BrowserSession | undefined> {
  const record = await sessions.readValue(ctx, cookieValue);
  if (!record) return undefined;
  const now = ctx.clock.now();
  return {
    idHash: record.idHash,
    accounts: record.payload.accounts.filter((a) => (a.expiresAt ?? Infinity) > now),
    mfa: record.payload.mfa ?? [],
    expiresAt: record.expiresAt,
  };
}

/**
 * Records a freshly proven identity. The session gets a new id every time (no session fixation: an id
 * planted before sign-in is worthless after it); identities proven earlier in this browser are kept.
 */
export async function rememberAccount(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, account: SignedInAccount): Promise<void> {
  const previous = await readBrowserSession(ctx, request);
  const same = (a: SignedInAccount) =>
    account.issuer ? a.issuer === account.issuer && a.subject === account.subject : a.tenantId === account.tenantId && a.userId === account.userId;
  const accounts = [account, ...(previous?.accounts ?? []).filter((a) => !same(a))].slice(0, MAX_ACCOUNTS);
  await sessions.create(ctx, request, reply, { accounts, mfa: previous?.mfa ?? [] }, ctx.config.sessionTtlSeconds * 1000);
}

/**
 * Records a second factor proven in a tenant for one person there (the MFA pages). What counts as MFA is
 * decided from these proofs (web/kit/mfa-gate.ts), for the tenant itself and for tenants that trust its
 * MFA; the account entries (first factors) are left as they are. A new session id, as at every sign-in.
 */
export async function rememberSecondFactor(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, proof: SecondFactorProof): Promise<void> {
  const previous = await readBrowserSession(ctx, request);
  const mfa = [proof, ...(previous?.mfa ?? []).filter((p) => !(p.tenantId === proof.tenantId && p.userId === proof.userId))].slice(0, MAX_ACCOUNTS);
  await sessions.create(ctx, request, reply, { accounts: previous?.accounts ?? [], mfa }, ctx.config.sessionTtlSeconds * 1000);
}

/** The second factor this browser proved for a person of a tenant, unless it predates the end of their sign-ins. */
export function secondFactorFor(
  session: BrowserSession | undefined,
  user: Pick<User, 'id' | 'tenantId' | 'signInSessionsValidFrom'>,
): SecondFactorProof | undefined {
  const proof = session?.mfa.find((p) => p.tenantId === user.tenantId && p.userId === user.id);
  return proof && (user.signInSessionsValidFrom === null || proof.at >= user.signInSessionsValidFrom) ? proof : undefined;
}

/** Ends the browser session a cookie value names (sign-out). */
export async function endBrowserSession(ctx: AppContext, cookieValue: string | undefined): Promise<void> {
  await sessions.endByCookieValue(ctx, cookieValue);
}

/** Housekeeping: sessions past their expiry. */
export function purgeExpiredBrowserSessions(ctx: AppContext): Promise<void> {
  return sessions.purgeExpired(ctx);
}
