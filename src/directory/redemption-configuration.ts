/**
 * A tenant's `invitationRedemptionIdentityProviderConfiguration` (part of its B2B policy): the order in
 * which home realm discovery (redemption/home-realm.ts) tries the primary identity providers, and the
 * fallback. The directory keeps the policy; redemption decides with it.
 */
export const primaryProviders = ['azureActiveDirectory', 'externalFederation', 'socialIdentityProviders'] as const;
export type PrimaryProvider = (typeof primaryProviders)[number];
export const fallbackProviders = ['defaultConfiguredIdp', 'emailOneTimePasscode', 'microsoftAccount'] as const;
export type FallbackProvider = (typeof fallbackProviders)[number];

export interface RedemptionConfiguration {
  primaryIdentityProviderPrecedenceOrder: PrimaryProvider[];
  fallbackIdentityProvider: FallbackProvider;
}
