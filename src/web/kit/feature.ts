/**
 * The web kit's part in the registry: tidying the cookie-backed stores it owns, and its check of the sign-ins
 * the OpenID providers remember (mfa-gate.ts).
 */
import type { Feature } from '../../platform/feature.js';
import { purgeExpiredBrowserSessions } from './browser-session.js';
import { purgeExpiredFlows } from './guest-flows.js';
import { installRememberedSignInCheck, purgeExpiredGates } from './mfa-gate.js';

export const webKitFeature: Feature = {
  name: 'web kit',
  listeners: [installRememberedSignInCheck],
  housekeeping: [purgeExpiredBrowserSessions, purgeExpiredFlows, purgeExpiredGates],
};
