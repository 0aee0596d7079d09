/**
 * One password check for every page that asks for a password (a tenant's own sign-in, a guest proving
 * their home account, a personal account), so the limits are the same and shared: failures are counted
 * in the database before the password is checked, per account from one client address
 * (FOYER_SIGNIN_ATTEMPT_LIMIT per FOYER_SIGNIN_ATTEMPT_WINDOW), and five times that per account and per
 * client address; past a limit the password is not checked at all. Unknown accounts cost the same
 * hashing time as known ones.
 */
import type { AppContext } from '../platform/context.js';
import * as rateLimit from '../platform/rate-limit.js';
import { verifyDecoy, verifyPassword } from './passwords.js';

export type PasswordVerdict = { ok: true } | { ok: false } | { ok: false; retryAfterMs: number };

/**
 * `accountKey` names the account across pages (`{tenantId}:{userId}`, `consumers:{id}`), or the typed
 * address when there is no such account, so guessing against one account is counted once wherever it
 * happens.
 */
export async function checkPassword(
  ctx: AppContext,
  clientIp: string,
  accountKey: string,
  passwordHash: string | null | undefined,
  password: string,
): Promise<PasswordVerdict> {
  const windowMs = ctx.config.signInAttemptWindowSeconds * 1000;
  const limit = ctx.config.signInAttemptLimit;
  const now = ctx.clock.now();
  const limits = [
    { key: `signin:account-ip:${accountKey}:${clientIp}`, limit },
    { key: `signin:account:${accountKey}`, limit: limit * 5 },
    { key: `signin:ip:${clientIp}`, limit: limit * 5 },
  ];
  const blocked = await rateLimit.attempt(ctx.db.kysely, limits, windowMs, now);
  if (blocked) return { ok: false, retryAfterMs: blocked.retryAfterMs };
  const ok = passwordHash ? await verifyPassword(passwordHash, password) : await verifyDecoy(password);
  if (!ok) return { ok: false };
  // A success clears the account's failures and does not count against the client address.
  await Promise.all([
    rateLimit.reset(ctx.db.kysely, limits[0]!.key),
    rateLimit.reset(ctx.db.kysely, limits[1]!.key),
    rateLimit.release(ctx.db.kysely, limits[2]!.key, windowMs, now),
  ]);
  return { ok: true };
}
