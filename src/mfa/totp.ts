/**
 * Authenticator apps (RFC 6238 TOTP): SHA-1, 6 digits, 30-second steps, the profile every common app
 * reads from a QR code. A code is accepted for the current step and one step either side (RFC 6238 §5.2:
 * clocks drift and people type slowly), and each step at most once per app: the last step accepted is
 * kept and only a later one may follow, set by compare-and-set so two simultaneous submissions of one
 * code succeed once. The secret is sealed under an instance key at rest, since the server must read it.
 */
import { timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { seal, unseal } from '../platform/instance-keys.js';
import { type AuthenticationMethod, cleanDisplayName, countSecondFactorAttempt, secondFactorSucceeded, type Verdict } from './methods.js';

const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD_SECONDS = 30;
/** Steps accepted either side of the current one. */
const SKEW_STEPS = 1;
export const DEFAULT_TOTP_NAME = 'Authenticator app';

/** A new secret: 160 random bits (RFC 4226 §4 recommends 160), base32 as authenticator apps expect. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app reads from the QR code (Key Uri Format). */
export function totpUri(secret: string, o: { issuer: string; account: string }): string {
  return new TOTP({
    issuer: o.issuer,
    label: o.account,
    secret: Secret.fromBase32(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  }).toString();
}

/** The URI as a QR code, an `<svg>` drawn on the server (paths only: no script, no external reference). */
export async function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

function stepAt(epochMs: number): number {
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp: epochMs });
}

function codeForStep(secret: Secret, step: number): string {
  return TOTP.generate({ secret, algorithm: ALGORITHM, digits: DIGITS, period: PERIOD_SECONDS, timestamp: step * PERIOD_SECONDS * 1000 });
}

/** The code an app shows at `epochMs` (tests and the benchmark compute codes with it). */
export function totpCodeAt(secret: string, epochMs: number): string {
  return codeForStep(Secret.fromBase32(secret), stepAt(epochMs));
}

/** What a person types: digits, perhaps with spaces ("123 456"). Anything else is no code at all. */
function normalizeCode(code: string): string | undefined {
  const digits = code.replace(/\s+/g, '');
  return new RegExp(`^\\d{${DIGITS}}$`).test(digits) ? digits : undefined;
}

/**
 * The step `code` belongs to, among the steps within the skew of `now` that are later than `lastStep`,
 * or undefined. Every candidate is computed and compared in constant time, whichever matches.
 */
function matchingStep(secret: Secret, code: string, now: number, lastStep: number | null): number | undefined {
  const current = stepAt(now);
  const typed = Buffer.from(code);
  let found: number | undefined;
  for (let step = current - SKEW_STEPS; step <= current + SKEW_STEPS; step++) {
    const same = timingSafeEqual(typed, Buffer.from(codeForStep(secret, step)));
    if (same && (lastStep === null || step > lastStep) && found === undefined) found = step;
  }
  return found;
}

/** The secret being confirmed, as newTotpSecret made it (base32, at least 128 bits). */
function parseSecret(secret: string): Secret {
  const parsed = /^[A-Z2-7]+=*$/i.test(secret) ? Secret.fromBase32(secret) : undefined;
  if (!parsed || parsed.bytes.length < 16)
    throw new FoyerError('request.invalid_body', 'The authenticator key is not valid.', 'a TOTP secret must be base32 of at least 128 bits');
  return parsed;
}

/** Confirms a new authenticator app with a first code from it, then stores it (sealed secret, last step = the step used). */
export async function addTotpMethod(
  ctx: AppContext,
  r: { tenantId: string; userId: string; secret: string; code: string; displayName: string },
): Promise<Verdict<{ method: AuthenticationMethod }>> {
  // Not counted against the second-factor budget: the secret was just shown to this person, so a wrong
  // code here guesses nothing, and a fumbled setup must not lock them out of signing in.
  const secret = parseSecret(r.secret);
  const code = normalizeCode(r.code);
  const now = ctx.clock.now();
  const step = code === undefined ? undefined : matchingStep(secret, code, now, null);
  if (step === undefined) return { ok: false, reason: 'wrong-code' };
  const sealed = await seal(ctx, secret.base32);
  const method: AuthenticationMethod = {
    id: newId(),
    kind: 'softwareOath',
    displayName: cleanDisplayName(r.displayName, DEFAULT_TOTP_NAME),
    createdAt: now,
    lastUsedAt: null,
    aaguid: null,
    backedUp: null,
  };
  await ctx.db.transaction(async (trx) => {
    await trx
      .insertInto('authentication_methods')
      .values({
        id: method.id,
        tenant_id: r.tenantId,
        user_id: r.userId,
        kind: 'softwareOath',
        display_name: method.displayName,
        created_at: now,
        last_used_at: null,
        totp_secret: sealed,
        totp_last_step: step,
        credential_id: null,
        public_key: null,
        sign_count: null,
        transports: null,
        aaguid: null,
        backed_up: null,
      })
      .execute();
  });
  return { ok: true, method };
}

/** A code from any of the user's authenticator apps; ±1 step; each step accepted once per method (compare-and-set on totp_last_step: only a step greater than the last accepted one). */
export async function verifyTotp(ctx: AppContext, r: { tenantId: string; userId: string; code: string }): Promise<Verdict<{ methodId: string }>> {
  const apps = await ctx.db.kysely
    .selectFrom('authentication_methods')
    .select(['id', 'totp_secret', 'totp_last_step'])
    .where('tenant_id', '=', r.tenantId)
    .where('user_id', '=', r.userId)
    .where('kind', '=', 'softwareOath')
    .orderBy('created_at')
    .execute();
  if (apps.length === 0) return { ok: false, reason: 'no-method' };
  const locked = await countSecondFactorAttempt(ctx, r.tenantId, r.userId);
  if (locked) return locked;
  const code = normalizeCode(r.code);
  if (code === undefined) return { ok: false, reason: 'wrong-code' };
  const now = ctx.clock.now();
  for (const app of apps) {
    if (!app.totp_secret) continue;
    const secret = Secret.fromBase32(await unseal(ctx, app.totp_secret));
    const lastStep = app.totp_last_step === null ? null : Number(app.totp_last_step);
    const step = matchingStep(secret, code, now, lastStep);
    if (step === undefined) continue;
    // Only a step later than the last one accepted: a replayed code, or the loser of two simultaneous
    // submissions of the same code, changes nothing and is refused.
    const taken = await ctx.db.transaction(async (trx) =>
      trx
        .updateTable('authentication_methods')
        .set({ totp_last_step: step, last_used_at: now })
        .where('id', '=', app.id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst(),
    );
    if (Number(taken.numUpdatedRows) !== 1) continue;
    await secondFactorSucceeded(ctx, r.tenantId, r.userId);
    return { ok: true, methodId: app.id };
  }
  return { ok: false, reason: 'wrong-code' };
}
