/** The invitations feature: its Graph resources, its e-mail, its commands and the audit events it writes. */
import { activities } from '../directory/audit-log.js';
import type { GraphSlots } from '../graph/index.js';
import type { MailSlots } from '../mail/index.js';
import type { Feature } from '../platform/feature.js';
import { registerInvitationCli } from './cli.js';
import { subscribeInvitationsToDirectory } from './directory-events.js';
import { registerInvitationRoutes } from './graph-routes.js';
import { invitationMail } from './invitation-mail.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { invitationsResources } from './resources.js';

export const invitationsFeature: Feature<GraphSlots & MailSlots> = {
  name: 'invitations',
  listeners: [subscribeInvitationsToDirectory],
  graphRoutes: [registerInvitationRoutes, registerPolicyRoutes],
  graphResources: [invitationsResources],
  mailKinds: [invitationMail],
  cli: [registerInvitationCli],
  auditActivities: [
    activities.invite,
    activities.inviteWithReset,
    activities.emailNotSentUnsubscribed,
    activities.emailUnsubscribed,
    activities.emailSubscribed,
    activities.bulkInviteFinished,
    activities.invitationEmailSent,
    activities.invitationEmailFailed,
    activities.updateAuthorizationPolicy,
    activities.updateB2bManagementPolicy,
    activities.updateInvitationPolicy,
    activities.updateCrossTenantAccessPolicy,
    activities.updateAuthenticationMethodPolicy,
  ],
};
