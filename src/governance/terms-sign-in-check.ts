/**
 * Terms of use and a sign-in the OpenID provider remembers (oidc/sign-in-checks.ts): when the person owes
 * an answer (a new agreement, a new version, or an acceptance that expired), the remembered sign-in does not
 * do. At an authorization request the login prompt is shown, and the sign-in pages show the terms before
 * any code is issued; at a refresh the app is told to sign the person in again (invalid_grant), as Entra
 * re-evaluates its terms of use control when tokens are renewed.
 */
import { findUser } from '../directory/users.js';
import { addSignInCheck, type RememberedSignIn } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { agreementsDue } from './terms-acceptances.js';

export async function termsOwed(ctx: AppContext, s: Pick<RememberedSignIn, 'tenantId' | 'accountId'>): Promise<boolean> {
  const user = await findUser(ctx.db.kysely, s.tenantId, s.accountId);
  if (!user) return false;
  return (await agreementsDue(ctx, s.tenantId, user)).length > 0;
}

/** The feature's listener: installs the check on an app context. */
export function installTermsSignInCheck(ctx: AppContext): void {
  addSignInCheck(ctx, (s) => termsOwed(ctx, s));
}
