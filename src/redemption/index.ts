/**
 * What redemption/ publishes: the one module of this feature that other folders may import (the layer rules in
 * .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { boundRoute, discoverHome, findPendingGuestByAddress, isDomainBlocked, linkFacts } from './discovery.js';
export { beginExternalSignIn, findExternalProvider, finishExternalSignIn } from './external-providers.js';
export { redemptionFeature } from './feature.js';
export type { GuestFlow, ProvenIdentity } from './flow-state.js';
export { type HomeRoute, maskAddress, PASSCODE_ISSUER, personalIssuer } from './home-realm.js';
export { acceptStep, type FlowFacts, linkRefusal, lostRedemption, nextStep, type Refusal } from './next-step.js';
export { sendPasscode, verifyPasscode } from './passcodes.js';
export { createPersonalAccount, findPersonalAccount, findPersonalAccountById } from './personal-accounts.js';
export { completeRedemption } from './redeem.js';
