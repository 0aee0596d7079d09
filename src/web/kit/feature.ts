/** The web kit's part in the registry: tidying the cookie-backed stores it owns. */
import type { Feature } from '../../platform/feature.js';
import { purgeExpiredBrowserSessions } from './browser-session.js';
import { purgeExpiredFlows } from './guest-flows.js';
import { purgeExpiredGates } from './mfa-gate.js';

export const webKitFeature: Feature = {
  name: 'web kit',
  housekeeping: [purgeExpiredBrowserSessions, purgeExpiredFlows, purgeExpiredGates],
};
