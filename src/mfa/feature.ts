/**
 * The MFA feature: second factors (authenticator apps, passkeys, recovery codes), Conditional Access
 * policies, inbound trust of a partner's MFA, and the administrator's reset of a user's methods.
 */
import { activities } from '../directory/audit-log.js';
import type { GraphSlots } from '../graph/index.js';
import type { MailSlots } from '../mail/index.js';
import type { Feature } from '../platform/feature.js';
import { registerMfaCli } from './cli.js';
import { methodResources } from './method-resources.js';
import { registerMethodRoutes } from './method-routes.js';
import { mfaPolicyRoutes } from './policy-routes.js';
import { mfaPolicyResources } from './resources.js';
import { installMfaSignInCheck } from './sign-in-check.js';

export const mfaFeature: Feature<GraphSlots & MailSlots> = {
  name: 'mfa',
  graphRoutes: [registerMethodRoutes, mfaPolicyRoutes],
  graphResources: [methodResources, mfaPolicyResources],
  cli: [registerMfaCli],
  listeners: [installMfaSignInCheck],
  auditActivities: [
    activities.userRegisteredSecurityInfo,
    activities.userDeletedSecurityInfo,
    activities.userChangedDefaultSecurityInfo,
    activities.adminDeletedSecurityInfo,
    activities.addConditionalAccessPolicy,
    activities.updateConditionalAccessPolicy,
    activities.deleteConditionalAccessPolicy,
    activities.addCrossTenantPartner,
    activities.deleteCrossTenantPartner,
  ],
};
