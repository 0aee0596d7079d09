/**
 * Recovery codes: ten single-use codes, shown once when the first method is registered and whenever the
 * person asks for new ones (which retires the old ten), for the day their phone or security key is lost.
 * Ten characters from an alphabet without look-alikes (no 0/o, 1/l/i), about 49 bits each, shown as
 * `xxxxx-xxxxx`; typed in any case, with or without the dash or spaces. Stored as SHA-256 of the code
 * bound to its owner, so one precomputed table does not serve every user; a guess is counted against the
 * person's second-factor budget before it is looked up.
 */
import { randomInt } from 'node:crypto';
import type { AppContext } from '../platform/context.js';
import { sha256 } from '../platform/ids.js';
import { countSecondFactorAttempt, type Executor, secondFactorSucceeded, type Verdict } from './methods.js';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const CODE_LENGTH = 10;
const CODES_PER_USER = 10;

function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** As shown: two groups of five. */
function displayed(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What was typed, as stored: lower case, dashes and spaces removed; undefined when it cannot be a code. */
function normalize(typed: string): string | undefined {
  const code = typed.toLowerCase().replace(/[\s-]+/g, '');
  if (code.length !== CODE_LENGTH) return undefined;
  for (const c of code) if (!ALPHABET.includes(c)) return undefined;
  return code;
}

function codeHash(tenantId: string, userId: string, code: string): string {
  return sha256(`${tenantId}:${userId}:${code}`);
}

/** Replaces the user's codes with ten new ones (returned once, stored as SHA-256). Format: 10 chars in groups like 'xxxxx-xxxxx' from an unambiguous alphabet; accept input case-insensitively with or without the dash/spaces. */
export async function issueRecoveryCodes(ctx: AppContext, tenantId: string, userId: string): Promise<string[]> {
  const codes = new Set<string>();
  while (codes.size < CODES_PER_USER) codes.add(newRecoveryCode());
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
    await trx.deleteFrom('recovery_codes').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
    await trx
      .insertInto('recovery_codes')
      .values([...codes].map((code) => ({ tenant_id: tenantId, user_id: userId, code_hash: codeHash(tenantId, userId, code), created_at: now, used_at: null })))
      .execute();
  });
  return [...codes].map(displayed);
}

/** How many of the user's codes are still unused. */
export async function recoveryCodesLeft(db: Executor, tenantId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll().as('left'))
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.left);
}

/** Spends one code (compare-and-set on used_at: two simultaneous uses of one code succeed once). */
export async function useRecoveryCode(ctx: AppContext, r: { tenantId: string; userId: string; code: string }): Promise<Verdict<{ left: number }>> {
  if ((await recoveryCodesLeft(ctx.db.kysely, r.tenantId, r.userId)) === 0) return { ok: false, reason: 'no-method' };
  const locked = await countSecondFactorAttempt(ctx, r.tenantId, r.userId);
  if (locked) return locked;
  const code = normalize(r.code);
  if (code === undefined) return { ok: false, reason: 'wrong-code' };
  const now = ctx.clock.now();
  const left = await ctx.db.transaction(async (trx) => {
    const spent = await trx
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('tenant_id', '=', r.tenantId)
      .where('user_id', '=', r.userId)
      .where('code_hash', '=', codeHash(r.tenantId, r.userId, code))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) return undefined;
    return recoveryCodesLeft(trx, r.tenantId, r.userId);
  });
  if (left === undefined) return { ok: false, reason: 'wrong-code' };
  await secondFactorSucceeded(ctx, r.tenantId, r.userId);
  return { ok: true, left };
}
