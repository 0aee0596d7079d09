/** The sign-in methods a guest may prove a home identity with; the flow's home route picks one. */
import type { HomeRoute } from '../../../redemption/index.js';
import { externalProviderMethod } from './external-provider.js';
import type { SignInMethod } from './method.js';
import { passcodeMethod } from './passcode.js';
import { passwordMethod } from './password.js';
import { personalAccountMethod } from './personal-account.js';
import { signUpMethod } from './sign-up.js';

export const signInMethods: readonly SignInMethod[] = [passwordMethod, personalAccountMethod, passcodeMethod, externalProviderMethod, signUpMethod];

/** The method that proves identities of this home, if any. */
export function methodFor(route: HomeRoute): SignInMethod | undefined {
  return signInMethods.find((m) => (m.routes as readonly string[]).includes(route.kind));
}
