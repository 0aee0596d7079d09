/**
 * Home realm discovery: where the person behind an e-mail address proves who they are. Pure:
 * the pages gather the facts, this decides, and test/redemption/home-realm.test.ts holds the table.
 *
 * The order follows Entra's `invitationRedemptionIdentityProviderConfiguration`, with Foyer's meaning
 * of each value:
 *   azureActiveDirectory    a tenant on this instance whose verified domain is the address's domain
 *   externalFederation      an external OpenID provider the resource tenant set up for that domain
 *   socialIdentityProviders an existing personal account (the instance's consumer directory)
 * then the fallback: `emailOneTimePasscode` and `defaultConfiguredIdp` mean a one-time passcode while the
 * tenant's e-mail OTP setting allows it, `microsoftAccount` means creating a personal account.
 */

import { domainMatches } from '../directory/domains.js';
import type { BoundIdentity } from '../directory/guests.js';
import type { RedemptionConfiguration } from '../directory/redemption-configuration.js';

export interface ExternalProviderFacts {
  id: string;
  issuer: string;
  domains: string[];
}

export interface HomeFacts {
  /** The address's domain, lower-cased. */
  domain: string;
  /** The tenant on this instance that verified `domain`, unless it is the resource tenant itself. */
  domainTenantId?: string;
  /** The resource tenant's external OpenID providers. */
  externalProviders: ExternalProviderFacts[];
  /** A personal account exists for the address. */
  personalAccount: boolean;
}

export interface HomeRules {
  configuration: RedemptionConfiguration;
  /** `allowExternalIdToUseEmailOtp` is not `disabled`. */
  emailOtpEnabled: boolean;
  /**
   * Creating a personal account is offered only where an invitation was presented (Entra: steps 8–10
   * are not available to a sign-in without the invitation link).
   */
  signUpAvailable: boolean;
}

export type HomeRoute =
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'external'; providerId: string }
  | { kind: 'personal' }
  | { kind: 'passcode' }
  | { kind: 'personal-signup' }
  | { kind: 'none' };

export function resolveHome(facts: HomeFacts, rules: HomeRules): HomeRoute {
  for (const provider of rules.configuration.primaryIdentityProviderPrecedenceOrder) {
    if (provider === 'azureActiveDirectory' && facts.domainTenantId) return { kind: 'tenant', tenantId: facts.domainTenantId };
    if (provider === 'externalFederation') {
      const external = facts.externalProviders.find((p) => p.domains.some((d) => domainMatches(facts.domain, d)));
      if (external) return { kind: 'external', providerId: external.id };
    }
    if (provider === 'socialIdentityProviders' && facts.personalAccount) return { kind: 'personal' };
  }
  const fallback = rules.configuration.fallbackIdentityProvider;
  if (fallback !== 'microsoftAccount' && rules.emailOtpEnabled) return { kind: 'passcode' };
  if (rules.signUpAvailable) return { kind: 'personal-signup' };
  return { kind: 'none' };
}

export type { BoundIdentity } from '../directory/guests.js';

export const PASSCODE_ISSUER = 'mail';

export function personalIssuer(publicUrl: string): string {
  return `${publicUrl}/consumers/v2.0`;
}

/**
 * Where a guest who already redeemed signs in: always their bound identity (a passcode guest who later
 * gets a personal account keeps using passcodes until an administrator resets the redemption, as in
 * Entra). `none` when the identity's provider no longer exists.
 */
export function routeForBoundIdentity(identity: BoundIdentity, publicUrl: string, externalProviders: ExternalProviderFacts[]): HomeRoute {
  if (identity.issuer === PASSCODE_ISSUER) return { kind: 'passcode' };
  if (identity.issuer === personalIssuer(publicUrl)) return { kind: 'personal' };
  const prefix = `${publicUrl}/`;
  if (identity.issuer.startsWith(prefix)) {
    const m = /^([0-9a-f-]{36})\/v2\.0$/.exec(identity.issuer.slice(prefix.length));
    if (m) return { kind: 'tenant', tenantId: m[1]! };
  }
  const external = externalProviders.find((p) => p.issuer === identity.issuer);
  return external ? { kind: 'external', providerId: external.id } : { kind: 'none' };
}

/** `alice@example.com` → `a••••@example.com`: enough for the person to recognise, not to harvest. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '••••';
  const local = address.slice(0, at);
  return `${local[0]}${'•'.repeat(Math.min(Math.max(local.length - 1, 3), 6))}${address.slice(at)}`;
}
