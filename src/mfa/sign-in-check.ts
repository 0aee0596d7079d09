/**
 * The MFA feature's check of a refresh (oidc/sign-in-checks.ts): no pages, no browser, so the sign-in the
 * refresh token carries is refused when a Conditional Access policy now asks this app's users for MFA it
 * did not have, when it is older than the policies' shortest signInFrequency, or when its MFA can only have
 * come from a partner's (a guest without a method of this tenant's registered by then) whose MFA this
 * tenant no longer trusts. (At an authorization request the web kit's check decides, knowing the browser:
 * web/kit/mfa-gate.ts.)
 */
import { listIdentities } from '../directory/identities.js';
import { tenantOfIssuer } from '../directory/issuers.js';
import { findUser } from '../directory/users.js';
import { addSignInCheck, type RememberedSignIn, type SignInUse } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { listMethods } from './methods.js';
import { isMfaTrusted, policyOutcomeFor } from './policies.js';

export async function signInNeedsMfaAgain(ctx: AppContext, s: RememberedSignIn, use: SignInUse): Promise<boolean> {
  if (use !== 'refresh') return false;
  const user = await findUser(ctx.db.kysely, s.tenantId, s.accountId);
  if (!user) return false;
  const outcome = await policyOutcomeFor(ctx, s.tenantId, { id: user.id, userType: user.userType, creationType: user.creationType }, s.clientId);
  if (!outcome.requireMfa) return false;
  if (!s.amr.includes('mfa')) return true;
  const frequency = outcome.signInFrequencySeconds;
  if (frequency !== undefined && ctx.clock.now() - s.authTime * 1000 >= frequency * 1000) return true;
  return user.creationType === 'Invitation' && !(await mfaStillTrusted(ctx, s, user.id));
}

/**
 * A guest's sign-in with MFA: did this tenant's own method satisfy it (one registered by the end of that
 * second), or else does this tenant still trust the home tenant whose MFA did?
 */
async function mfaStillTrusted(ctx: AppContext, s: RememberedSignIn, guestId: string): Promise<boolean> {
  const db = ctx.db.kysely;
  const methods = await listMethods(db, s.tenantId, guestId);
  if (methods.some((m) => m.createdAt <= s.authTime * 1000 + 999)) return true;
  const identities = (await listIdentities(db, [guestId])).get(guestId) ?? [];
  for (const identity of identities) {
    const home = tenantOfIssuer(ctx.config.publicUrl, identity.issuer);
    if (home && home !== s.tenantId && (await isMfaTrusted(ctx, s.tenantId, home))) return true;
  }
  return false;
}

/** The feature's listener: installs the check on an app context. */
export function installMfaSignInCheck(ctx: AppContext): void {
  addSignInCheck(ctx, (s, use) => signInNeedsMfaAgain(ctx, s, use));
}
