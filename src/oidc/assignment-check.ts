/**
 * App assignment at the OpenID provider (directory/app-assignments.ts): a remembered sign-in (the
 * provider's session cookie) or a refresh token of a user who may not use the app (its service principal
 * requires assignment, and neither the user nor any of their groups is assigned) must not get a code or a
 * token silently. At an authorization request the login prompt is shown, and the sign-in pages refuse with
 * Entra's AADSTS50105 page (web/sign-in/assignment-refusal.ts, which logs it); a refresh is refused with
 * invalid_grant and logged here as a non-interactive sign-in with error 50105.
 */
import { isUserAssignedToApp } from '../directory/app-assignments.js';
import { logSignIn } from '../directory/sign-in-log.js';
import type { AppContext } from '../platform/context.js';
import { addSignInCheck } from './sign-in-checks.js';

/** The OpenID feature's listener: installs the check on an app context. */
export function installAssignmentCheck(ctx: AppContext): void {
  addSignInCheck(ctx, async (signIn, use) => {
    if (await isUserAssignedToApp(ctx.db.kysely, signIn.tenantId, signIn.clientId, signIn.accountId)) return false;
    if (use === 'refresh') {
      logSignIn(ctx, { tenantId: signIn.tenantId, userId: signIn.accountId, appId: signIn.clientId, isInteractive: false, errorCode: 50105 });
    }
    return true;
  });
}
