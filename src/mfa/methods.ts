/**
 * A user's registered second factors, whatever their kind: listed, found, removed one by one by their
 * owner, or all at once by an administrator (after which the person registers again at their next
 * sign-in). Also the one attempt counter every second-factor check shares, so that guessing an
 * authenticator code, a recovery code or presenting passkeys all draw on the same budget.
 */
import type { AppContext } from '../platform/context.js';
import * as rateLimit from '../platform/rate-limit.js';
import type { Executor } from '../platform/storage/database.js';
import type { AuthenticationMethodsTable } from '../platform/storage/schema.js';

export type { Executor };

/** Graph's names: `softwareOathMethod` (an authenticator app) and `fido2AuthenticationMethod` (a passkey or security key). */
export type MethodKind = 'softwareOath' | 'fido2';

export interface AuthenticationMethod {
  id: string;
  kind: MethodKind;
  displayName: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** fido2: the authenticator model's AAGUID (all zeros when the authenticator does not say). */
  aaguid: string | null;
  /** fido2: whether the credential may leave the device (a synced passkey); null for an authenticator app. */
  backedUp: boolean | null;
}

/** The outcome of a second-factor check. `locked` carries how long until the attempt window ends. */
export type Verdict<T> = ({ ok: true } & T) | { ok: false; reason: 'wrong-code' | 'locked' | 'no-method'; retryAfterMs?: number };

/** The columns every listing reads: never the sealed secret or the public key. */
const PUBLIC_COLUMNS = ['id', 'kind', 'display_name', 'created_at', 'last_used_at', 'aaguid', 'backed_up'] as const;

type PublicRow = Pick<AuthenticationMethodsTable, (typeof PUBLIC_COLUMNS)[number]>;

export function toMethod(row: PublicRow): AuthenticationMethod {
  return {
    id: row.id,
    kind: row.kind,
    displayName: row.display_name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    aaguid: row.aaguid,
    backedUp: row.backed_up === null ? null : Number(row.backed_up) === 1,
  };
}

/** The user's methods, oldest first. */
export async function listMethods(db: Executor, tenantId: string, userId: string): Promise<AuthenticationMethod[]> {
  const rows = await db
    .selectFrom('authentication_methods')
    .select(PUBLIC_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toMethod);
}

export async function findMethod(db: Executor, tenantId: string, userId: string, methodId: string): Promise<AuthenticationMethod | undefined> {
  const row = await db
    .selectFrom('authentication_methods')
    .select(PUBLIC_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('id', '=', methodId)
    .executeTakeFirst();
  return row ? toMethod(row) : undefined;
}

/** Removes one method of the user; false when the user has no such method (another user's id included). */
export async function deleteMethod(db: Executor, tenantId: string, userId: string, methodId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('authentication_methods')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('id', '=', methodId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/**
 * Administrator reset: every method and every recovery code of the user; returns how many methods were
 * removed. Pass the transaction that records the audit event, so the reset and its record go together.
 */
export async function deleteAllMethods(db: Executor, tenantId: string, userId: string): Promise<number> {
  await db.deleteFrom('recovery_codes').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
  const result = await db.deleteFrom('authentication_methods').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** One counter per person for every second-factor check (TOTP, recovery code, passkey). */
function attemptKey(tenantId: string, userId: string): string {
  return `mfa:${tenantId}:${userId}`;
}

/**
 * Counts a second-factor attempt BEFORE anything is compared: parallel guesses then share the budget
 * (FOYER_SIGNIN_ATTEMPT_LIMIT per FOYER_SIGNIN_ATTEMPT_WINDOW) instead of all passing a check made before
 * any of them was counted. Returns the refusal when the budget is spent, else undefined.
 */
export async function countSecondFactorAttempt(
  ctx: AppContext,
  tenantId: string,
  userId: string,
): Promise<{ ok: false; reason: 'locked'; retryAfterMs: number } | undefined> {
  const windowMs = ctx.config.signInAttemptWindowSeconds * 1000;
  const limits = [{ key: attemptKey(tenantId, userId), limit: ctx.config.signInAttemptLimit }];
  const blocked = await rateLimit.attempt(ctx.db.kysely, limits, windowMs, ctx.clock.now());
  if (!blocked) return undefined;
  ctx.log.warn({ tenant: tenantId, user: userId }, 'second factor refused: too many attempts');
  return { ok: false, reason: 'locked', retryAfterMs: blocked.retryAfterMs };
}

/** A second factor was proven: the person's failures are forgotten. */
export async function secondFactorSucceeded(ctx: AppContext, tenantId: string, userId: string): Promise<void> {
  await rateLimit.reset(ctx.db.kysely, attemptKey(tenantId, userId));
}

/** Display names are the person's own words: trimmed, bounded, and a default when empty. */
export function cleanDisplayName(name: string, fallback: string): string {
  const trimmed = name.replace(/\s+/g, ' ').trim().slice(0, 100);
  return trimmed === '' ? fallback : trimmed;
}
