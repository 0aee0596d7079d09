/**
 * The password change a member owes after an administrator set their password with Graph's
 * `forceChangePasswordNextSignIn` (or `foyer user set-password --force-change`): the sign-in page has
 * just checked the current password, and the member chooses a new one before the sign-in goes on.
 *
 * The new password meets the one password policy (password-policy.ts) and differs from the current one
 * (otherwise the change would change nothing the administrator asked for). The change is a compare-and-set
 * on the password hash the sign-in proved and on the debt itself, so a reset by an administrator, or the
 * same change from another window, in between wins and this one is refused as stale. Like every new
 * password (`foyer user set-password`, Graph's passwordProfile), it ends the sign-ins made before it
 * (signInSessionsValidFromDateTime moves, sessions and refresh tokens go).
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { sha256 } from '../platform/ids.js';
import { directoryTransaction } from './changes.js';
import { assertPasswordAcceptable, type PasswordRule, passwordRuleOf } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { beginAccountWrite, endSignIns, findUser, type User } from './users.js';

/**
 * What a sign-in page keeps of the password it checked: a digest of the stored hash (never the hash, nor
 * the password). It matches only while that password is still the member's.
 */
export function passwordProofTag(passwordHash: string): string {
  return sha256(`password-proof:${passwordHash}`);
}

export type PasswordChangeOutcome =
  /** `authTime`: the epoch second to stamp the sign-in the change completes with. */
  | { kind: 'changed'; user: User; authTime: number }
  /** The new password breaks a rule of the policy, or is the current one. */
  | { kind: 'refused'; rule: PasswordRule | 'same_as_current' }
  /** Nothing to change any more: changed meanwhile, reset by an administrator, disabled or deleted. */
  | { kind: 'stale' };

/**
 * Replaces the password `proofTag` proved with `newPassword`, and clears the debt. `proofTag` comes from
 * passwordProofTag() at the moment the current password was checked.
 */
export async function changeOwedPassword(
  ctx: AppContext,
  tenantId: string,
  userId: string,
  proofTag: string,
  newPassword: string,
): Promise<PasswordChangeOutcome> {
  const row = await ctx.db.kysely
    .selectFrom('users')
    .select(['password_hash', 'must_change_password', 'account_enabled'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  const current = row?.password_hash;
  if (!row || !current || row.must_change_password !== 1 || row.account_enabled !== 1 || passwordProofTag(current) !== proofTag) return { kind: 'stale' };
  const user = (await findUser(ctx.db.kysely, tenantId, userId))!;
  try {
    assertPasswordAcceptable(ctx, newPassword, user);
  } catch (err) {
    const rule = err instanceof FoyerError ? passwordRuleOf(err.code) : undefined;
    if (rule) return { kind: 'refused', rule };
    throw err;
  }
  if (await verifyPassword(current, newPassword)) return { kind: 'refused', rule: 'same_as_current' };
  const passwordHash = await hashPassword(newPassword);
  // Sign-ins end at the start of this second, and the sign-in the change completes is stamped with the same
  // second (sign-in times are whole seconds): so it counts, for single sign-on and for its tokens, while
  // every sign-in before the reset or creation that set the debt has ended long before.
  const now = ctx.clock.now();
  const from = now - (now % 1000);
  const changed = await directoryTransaction(ctx.db, async (trx) => {
    await beginAccountWrite(ctx, trx, tenantId, userId);
    const result = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, must_change_password: 0 })
      .where('id', '=', userId)
      .where('tenant_id', '=', tenantId)
      .where('password_hash', '=', current)
      .where('must_change_password', '=', 1)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await endSignIns(ctx, trx, tenantId, userId, from);
    return true;
  });
  if (!changed) return { kind: 'stale' };
  return { kind: 'changed', user: (await findUser(ctx.db.kysely, tenantId, userId))!, authTime: from / 1000 };
}
