/**
 * Checks that may send a browser with a live provider session back through the sign-in pages when an app
 * asks for a code. A tenant's OpenID provider remembers a sign-in (its session cookie) and, without these,
 * would hand every app a code for it without asking anything again; but whether a sign-in is still good
 * enough can change after it was made (a Conditional Access policy added, its `signInFrequency` passed).
 * The features that know (MFA, above this one) add a check per app context; each is asked on every
 * authorization request with a session, and any that answers true makes the provider show its login
 * prompt, which the sign-in pages resolve by single sign-on (through their own second-factor step).
 */
import { type AppContext, service } from '../platform/context.js';

export interface RememberedSignIn {
  tenantId: string;
  accountId: string;
  clientId: string;
  /** The methods the remembered sign-in used. */
  amr: readonly string[];
  /** When it was made (epoch seconds). */
  authTime: number;
  /** At an authorization request: the browser's cookies, by name (unsigned values). */
  cookie?: (name: string) => string | undefined;
}

/**
 * Where a remembered sign-in is about to be used: an authorization request (with the sign-in pages to send
 * the browser to), or a refresh-token grant (where the app can only be told to sign the person in again).
 */
export type SignInUse = 'authorize' | 'refresh';

/**
 * True: this sign-in does not do for this app as it stands. At `authorize` the provider shows the login
 * prompt, and the sign-in pages (which know the browser) decide what the person must do, often nothing
 * visible; at `refresh` the app gets invalid_grant and must sign the person in again.
 */
export type SignInCheck = (signIn: RememberedSignIn, use: SignInUse) => Promise<boolean>;

/** Why the login prompt shows although the provider remembers a sign-in. */
export const SIGN_IN_CHECK_REASON = 'conditional_access';

const CHECKS = Symbol('sign-in checks');

const checksOf = (ctx: AppContext) => service(ctx, CHECKS, () => [] as SignInCheck[]);

/** Called by a feature's listener, once per app context. */
export function addSignInCheck(ctx: AppContext, check: SignInCheck): void {
  checksOf(ctx).push(check);
}

export async function signInNeedsAnotherLook(ctx: AppContext, signIn: RememberedSignIn, use: SignInUse): Promise<boolean> {
  for (const check of checksOf(ctx)) if (await check(signIn, use)) return true;
  return false;
}
