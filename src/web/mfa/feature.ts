/** The MFA page set: registering and proving a second factor (web/kit/mfa-gate.ts opens the way here). */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { registerMfaPages } from './pages.js';

export const mfaPages: Feature<HttpSlots> = {
  name: 'mfa pages',
  routes: [registerMfaPages],
};
