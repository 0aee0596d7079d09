/**
 * The MFA feature's check of a remembered sign-in (oidc/sign-in-checks.ts): a tenant's OpenID provider
 * that remembers a sign-in sends the person back through the sign-in pages when a Conditional Access policy
 * now asks this app's users for MFA and the sign-in had none, or when it is older than the policies'
 * shortest signInFrequency. The pages then decide, with everything they know, what the person must do.
 */
import { findUser } from '../directory/users.js';
import { addSignInCheck, type RememberedSignIn } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { policyOutcomeFor } from './policies.js';

export async function signInNeedsMfaAgain(ctx: AppContext, s: RememberedSignIn): Promise<boolean> {
  const user = await findUser(ctx.db.kysely, s.tenantId, s.accountId);
  if (!user) return false;
  const outcome = await policyOutcomeFor(ctx, s.tenantId, { id: user.id, userType: user.userType }, s.clientId);
  if (!outcome.requireMfa) return false;
  if (!s.amr.includes('mfa')) return true;
  const frequency = outcome.signInFrequencySeconds;
  return frequency !== undefined && ctx.clock.now() - s.authTime * 1000 >= frequency * 1000;
}

/** The feature's listener: installs the check on an app context. */
export function installMfaSignInCheck(ctx: AppContext): void {
  addSignInCheck(ctx, (s) => signInNeedsMfaAgain(ctx, s));
}
