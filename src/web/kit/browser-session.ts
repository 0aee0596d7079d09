/**
 * The instance-wide browser session: which identities this browser has proven, in any tenant. It is
 * what gives single sign-on across tenants (a Fabrikam member who is a guest in Contoso does not type a
 * password again for Contoso's app). The cookie holds a random id; the database keeps only its hash.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { randomToken, sha256 } from '../../platform/ids.js';

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

export interface BrowserSession {
  idHash: string;
  accounts: SignedInAccount[];
  expiresAt: number;
}

/**
 * Does a sign-in proven at `authTime` (epoch seconds) still count for this user? Not once the user is
 * gone or disabled, nor after a password reset or a disable (`tokensRevokedAt`) that came later.
 */
export function signInStillCounts(user: Pick<User, 'accountEnabled' | 'tokensRevokedAt'> | undefined, authTime: number): boolean {
  if (!user?.accountEnabled) return false;
  return user.tokensRevokedAt === null || authTime * 1000 >= user.tokensRevokedAt;
}

/** `__Host-` binds the cookie to this exact origin over https (no Domain, Path=/, Secure). */
export function sessionCookieName(ctx: AppContext): string {
  return ctx.config.publicUrl.startsWith('https:') ? '__Host-foyer_session' : 'foyer_session';
}

export async function readBrowserSession(ctx: AppContext, request: FastifyRequest): Promise<BrowserSession | undefined> {
  const value = request.cookies[sessionCookieName(ctx)];
  if (!value || value.length > 100) return undefined;
  const idHash = sha256(value);
  const row = await ctx.db.kysely.selectFrom('browser_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  if (!row || row.expires_at <= ctx.clock.now()) return undefined;
  const payload = JSON.parse(row.payload) as { accounts: SignedInAccount[] };
  const now = ctx.clock.now();
  return { idHash, accounts: payload.accounts.filter((a) => (a.expiresAt ?? Infinity) > now), expiresAt: row.expires_at };
}

/**
 * Records a freshly proven identity. The session gets a new id every time (no session fixation: an id
 * planted before sign-in is worthless after it); identities proven earlier in this browser are kept.
 */
export async function rememberAccount(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, account: SignedInAccount): Promise<void> {
  const previous = await readBrowserSession(ctx, request);
  const same = (a: SignedInAccount) =>
    account.issuer ? a.issuer === account.issuer && a.subject === account.subject : a.tenantId === account.tenantId && a.userId === account.userId;
  const now = ctx.clock.now();
  const accounts = [account, ...(previous?.accounts ?? []).filter((a) => !same(a) && (a.expiresAt ?? Infinity) > now)].slice(0, 10);
  const id = randomToken(32);
  const expiresAt = now + ctx.config.sessionTtlSeconds * 1000;
  await ctx.db.transaction(async (trx) => {
    if (previous) await trx.deleteFrom('browser_sessions').where('id_hash', '=', previous.idHash).execute();
    await trx
      .insertInto('browser_sessions')
      .values({ id_hash: sha256(id), payload: JSON.stringify({ accounts }), created_at: now, expires_at: expiresAt })
      .execute();
  });
  reply.setCookie(sessionCookieName(ctx), id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.publicUrl.startsWith('https:'),
    maxAge: ctx.config.sessionTtlSeconds,
  });
}

/** Ends the browser session a cookie value names (sign-out). */
export async function endBrowserSession(ctx: AppContext, cookieValue: string | undefined): Promise<void> {
  if (cookieValue) await ctx.db.kysely.deleteFrom('browser_sessions').where('id_hash', '=', sha256(cookieValue)).execute();
}
