/**
 * What mfa/ publishes: the one module of this feature that other folders may import (the layer rules in
 * .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { type AppliedPolicy, appliedPolicies, type PolicyOutcome } from './conditional-access.js';
export { mfaFeature } from './feature.js';
export { type AuthenticationMethod, deleteAllMethods, deleteMethod, listMethods } from './methods.js';
export { combinedAmr, mfaStep } from './mfa-step.js';
export { addPasskey, passkeyAuthenticationOptions, passkeyRegistrationOptions, verifyPasskey } from './passkeys.js';
export { isMfaTrusted, policyOutcomeFor } from './policies.js';
export { issueRecoveryCodes, recoveryCodesLeft, useRecoveryCode } from './recovery-codes.js';
export { addTotpMethod, newTotpSecret, totpQrSvg, totpUri, verifyTotp } from './totp.js';
