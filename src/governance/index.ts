/**
 * What governance/ publishes: the one module of this feature that other folders may import (the layer
 * rules in .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { type ReviewPageItem, recordReviewerDecision, reviewForReviewer } from './access-review-page.js';
export { governanceFeature } from './feature.js';
export { type LeaveRefusal, leaveDecision, leaveOrganization, mayLeave } from './leave.js';
export { MYACCOUNT_LINK_TTL_MS, peekMyAccountLink, requestMyAccountLink, spendMyAccountLink } from './myaccount-links.js';
export { type AgreementAcceptance, agreementsDue, firstAgreementDue, recordAnswer } from './terms-acceptances.js';
export { chooseFile } from './terms-rules.js';
export { type Agreement, findAgreement } from './terms-store.js';
