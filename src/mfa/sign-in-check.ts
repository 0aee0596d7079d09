/**
 * The MFA feature's check of a remembered sign-in (oidc/sign-in-checks.ts).
 * - At an authorization request, whenever a Conditional Access policy asks this app's users for MFA: the
 *   sign-in pages decide again with everything they know (a method reset since, a partner's trust
 *   withdrawn, signInFrequency passed, the second factor this browser proved), usually by single sign-on
 *   without showing anything.
 * - At a refresh (no pages, no browser): when the sign-in the token carries had no second factor, or is
 *   older than the policies' shortest signInFrequency.
 */
import { findUser } from '../directory/users.js';
import { addSignInCheck, type RememberedSignIn, type SignInUse } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { policyOutcomeFor } from './policies.js';

export async function signInNeedsMfaAgain(ctx: AppContext, s: RememberedSignIn, use: SignInUse): Promise<boolean> {
  const user = await findUser(ctx.db.kysely, s.tenantId, s.accountId);
  if (!user) return false;
  const outcome = await policyOutcomeFor(ctx, s.tenantId, { id: user.id, userType: user.userType, creationType: user.creationType }, s.clientId);
  if (!outcome.requireMfa) return false;
  if (use === 'authorize' || !s.amr.includes('mfa')) return true;
  const frequency = outcome.signInFrequencySeconds;
  return frequency !== undefined && ctx.clock.now() - s.authTime * 1000 >= frequency * 1000;
}

/** The feature's listener: installs the check on an app context. */
export function installMfaSignInCheck(ctx: AppContext): void {
  addSignInCheck(ctx, (s, use) => signInNeedsMfaAgain(ctx, s, use));
}
