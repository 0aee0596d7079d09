/**
 * The MFA feature's check of a refresh (oidc/sign-in-checks.ts): no pages, no browser, so the sign-in the
 * refresh token carries is refused when a Conditional Access policy now asks this app's users for MFA it
 * did not have, or it is older than the policies' shortest signInFrequency. (At an authorization request
 * the web kit's check decides, knowing the browser: web/kit/mfa-gate.ts.)
 */
import { findUser } from '../directory/users.js';
import { addSignInCheck, type RememberedSignIn, type SignInUse } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { policyOutcomeFor } from './policies.js';

export async function signInNeedsMfaAgain(ctx: AppContext, s: RememberedSignIn, use: SignInUse): Promise<boolean> {
  if (use !== 'refresh') return false;
  const user = await findUser(ctx.db.kysely, s.tenantId, s.accountId);
  if (!user) return false;
  const outcome = await policyOutcomeFor(ctx, s.tenantId, { id: user.id, userType: user.userType, creationType: user.creationType }, s.clientId);
  if (!outcome.requireMfa) return false;
  if (!s.amr.includes('mfa')) return true;
  const frequency = outcome.signInFrequencySeconds;
  return frequency !== undefined && ctx.clock.now() - s.authTime * 1000 >= frequency * 1000;
}

/** The feature's listener: installs the check on an app context. */
export function installMfaSignInCheck(ctx: AppContext): void {
  addSignInCheck(ctx, (s, use) => signInNeedsMfaAgain(ctx, s, use));
}
