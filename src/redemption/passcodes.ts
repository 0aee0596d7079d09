/**
 * E-mail one-time passcodes: a fresh 8-digit code, valid 30 minutes, one use, five tries.
 * Only the code's SHA-256 is stored; the code itself reaches the outbox sealed and is erased once sent.
 * A code belongs to one guest flow (one browser), so a code typed into another browser is worthless.
 * Sending is rate-limited per address and per client address; a new code retires the flow's older ones.
 */
import { randomInt } from 'node:crypto';
import { enqueueMail, outboxSignal } from '../mail/index.js';
import type { AppContext } from '../platform/context.js';
import { constantTimeEqual, newId, sha256 } from '../platform/ids.js';
import { seal } from '../platform/instance-keys.js';
import type { Locale } from '../platform/locale.js';
import * as rateLimit from '../platform/rate-limit.js';

export const PASSCODE_DIGITS = 8;
export const PASSCODE_TTL_MS = 30 * 60_000;
export const PASSCODE_MAX_ATTEMPTS = 5;
/** Codes one browser may ask for per window. */
export const PASSCODES_PER_FLOW = 5;
/** The window of FOYER_PASSCODE_SEND_LIMIT (per address) and FOYER_PASSCODE_SEND_IP_LIMIT (per client). */
export const PASSCODE_SEND_WINDOW_MS = 15 * 60_000;

export function newPasscode(): string {
  return String(randomInt(0, 10 ** PASSCODE_DIGITS)).padStart(PASSCODE_DIGITS, '0');
}

export interface PasscodeRequest {
  flowIdHash: string;
  tenantId: string;
  organizationName: string;
  address: string;
  locale: Locale;
  purpose: 'sign-in' | 'sign-up';
  clientIp: string;
  /** false: count and answer as if sent, but send nothing (an address no guest of this tenant has). */
  deliver: boolean;
}

/** Queues a new code, or answers how long to wait. */
export async function sendPasscode(ctx: AppContext, r: PasscodeRequest): Promise<{ sent: true } | { retryAfterMs: number }> {
  const now = ctx.clock.now();
  const lower = r.address.toLowerCase();
  const blocked = await rateLimit.attempt(
    ctx.db.kysely,
    [
      // Per flow (one browser), per client address (many addresses), and per address (several browsers)
      // only for codes that are really sent: asking for codes nobody receives uses up nobody's allowance.
      { key: `passcode:send-flow:${r.flowIdHash}`, limit: PASSCODES_PER_FLOW },
      { key: `passcode:send-ip:${r.clientIp}`, limit: ctx.config.passcodeSendIpLimit },
      ...(r.deliver ? [{ key: `passcode:send:${r.tenantId}:${lower}`, limit: ctx.config.passcodeSendLimit }] : []),
    ],
    PASSCODE_SEND_WINDOW_MS,
    now,
  );
  if (blocked) return { retryAfterMs: blocked.retryAfterMs };
  const code = newPasscode();
  const sealed = r.deliver ? await seal(ctx, code) : null;
  await ctx.db.transaction(async (trx) => {
    await trx.updateTable('passcodes').set({ used_at: now }).where('flow_id_hash', '=', r.flowIdHash).where('used_at', 'is', null).execute();
    await trx
      .insertInto('passcodes')
      .values({
        id: newId(),
        flow_id_hash: r.flowIdHash,
        address_lower: lower,
        // Undeliverable codes get a hash nothing matches: the page behaves the same, no code works.
        code_hash: r.deliver ? sha256(code) : `undeliverable:${newId()}`,
        attempts: 0,
        expires_at: now + PASSCODE_TTL_MS,
        used_at: null,
        created_at: now,
      })
      .execute();
    if (sealed) {
      await enqueueMail(trx, ctx, {
        tenantId: r.tenantId,
        invitationId: null,
        recipient: r.address,
        payload: {
          kind: 'passcode',
          to: { address: r.address, name: null },
          email: { locale: r.locale, organizationName: r.organizationName, purpose: r.purpose, minutes: PASSCODE_TTL_MS / 60_000 },
        },
        secret: sealed,
        now,
      });
    }
  });
  if (sealed) outboxSignal(ctx).emit('queued');
  return { sent: true };
}

export type PasscodeVerdict =
  | { ok: true; address: string }
  | { ok: false; reason: 'wrong'; attemptsLeft: number }
  | { ok: false; reason: 'expired' | 'locked' | 'none' };

/**
 * Checks a typed code against the flow's current code. The attempt is counted first, atomically, so
 * parallel guesses cannot get more than five tries between them; a right code is spent by a
 * compare-and-set, so two simultaneous submissions of it succeed once.
 */
export async function verifyPasscode(ctx: AppContext, flowIdHash: string, typed: string): Promise<PasscodeVerdict> {
  const now = ctx.clock.now();
  const db = ctx.db.kysely;
  const current = await db
    .selectFrom('passcodes')
    .selectAll()
    .where('flow_id_hash', '=', flowIdHash)
    .where('used_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!current) return { ok: false, reason: 'none' };
  if (current.expires_at <= now) return { ok: false, reason: 'expired' };
  const counted = await db
    .updateTable('passcodes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', current.id)
    .where('used_at', 'is', null)
    .where('attempts', '<', PASSCODE_MAX_ATTEMPTS)
    .returning('attempts')
    .executeTakeFirst();
  if (!counted) return { ok: false, reason: 'locked' };
  const code = typed.replace(/\s+/g, '');
  if (!/^\d{8}$/.test(code) || !constantTimeEqual(sha256(code), current.code_hash)) {
    const left = PASSCODE_MAX_ATTEMPTS - counted.attempts;
    return left > 0 ? { ok: false, reason: 'wrong', attemptsLeft: left } : { ok: false, reason: 'locked' };
  }
  const spent = await db.updateTable('passcodes').set({ used_at: now }).where('id', '=', current.id).where('used_at', 'is', null).executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) return { ok: false, reason: 'none' };
  return { ok: true, address: current.address_lower };
}
