/**
 * The governance feature: what an organization does with its guests after redemption. Terms of use and
 * their acceptances, access reviews of guests, and the tenant's external user leave settings (with the
 * one-time sign-in links of the guests' "My organizations" page, myaccount-links.ts).
 */
import { activities } from '../directory/audit-log.js';
import type { GraphSlots } from '../graph/index.js';
import type { MailSlots } from '../mail/index.js';
import type { Feature } from '../platform/feature.js';
import { reviewMail } from './access-review-mail.js';
import { accessReviewResources } from './access-review-resources.js';
import { accessReviewRoutes } from './access-review-routes.js';
import { runAccessReviews } from './access-review-run.js';
import { registerExternalIdentitiesPolicyRoutes } from './external-identities-policy.js';
import { externalIdentitiesPolicyResources } from './external-identities-policy-resource.js';
import { myAccountLinkMail } from './myaccount-link-mail.js';
import { purgeExpiredMyAccountLinks } from './myaccount-links.js';
import { subscribeTermsToDirectory } from './terms-directory-events.js';
import { termsResources } from './terms-resources.js';
import { termsRoutes } from './terms-routes.js';
import { installTermsSignInCheck } from './terms-sign-in-check.js';

export const governanceFeature: Feature<GraphSlots & MailSlots> = {
  name: 'governance',
  graphRoutes: [termsRoutes, registerExternalIdentitiesPolicyRoutes, accessReviewRoutes],
  graphResources: [externalIdentitiesPolicyResources, termsResources, accessReviewResources],
  cli: [],
  listeners: [installTermsSignInCheck, subscribeTermsToDirectory],
  // Access reviews start, end and apply on the housekeeping timer: each step is a compare-and-set, so every process may run it.
  housekeeping: [runAccessReviews, purgeExpiredMyAccountLinks],
  mailKinds: [reviewMail, myAccountLinkMail],
  auditActivities: [
    activities.createTermsOfUse,
    activities.editTermsOfUse,
    activities.deleteTermsOfUse,
    activities.acceptTermsOfUse,
    activities.declineTermsOfUse,
    activities.updateExternalIdentitiesPolicy,
    activities.createAccessReview,
    activities.deleteAccessReview,
    activities.approveAccessReviewDecision,
    activities.denyAccessReviewDecision,
    activities.accessReviewEnded,
    activities.applyAccessReviewDecision,
  ],
};
