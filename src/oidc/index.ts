/**
 * What oidc/ publishes: the one module of this feature that other folders may import (the layer rules in
 * .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { verifyAccessToken } from './access-tokens.js';
export { type HttpSlots, oidcFeature, type Routes } from './feature.js';
export { isOAuthClientEndpoint, sendOAuthErrorFor } from './oauth-errors.js';
export type { ProviderViews } from './provider.js';
export { ProviderRegistry } from './registry.js';
export { addSignInCheck, type RememberedSignIn, SIGN_IN_CHECK_REASON, type SignInCheck, type SignInUse } from './sign-in-checks.js';
