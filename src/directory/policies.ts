/**
 * The tenant policies that govern invitations, stored as JSON in `tenant_policies` and exposed under
 * `/graph/v1.0/policies/…` in Graph's shapes: `authorizationPolicy` (who may invite),
 * `b2bManagementPolicy` (which invitee domains), and Foyer's own `invitationPolicy` (ticket lifetime).
 * A tenant that never set a policy gets Entra's defaults.
 */
import type { Executor } from '../platform/storage/database.js';
import type { RedemptionConfiguration } from './redemption-configuration.js';

export const allowInvitesFromValues = ['none', 'adminsAndGuestInviters', 'adminsGuestInvitersAndAllMembers', 'everyone'] as const;
export type AllowInvitesFrom = (typeof allowInvitesFromValues)[number];

/** Role template ids `guestUserRoleId` takes (Entra's values). */
export const guestUserRoles = {
  sameAsMembers: 'a0b1b346-4d3e-4e8b-98f8-753987be4970',
  limited: '10dae51f-b6af-4016-8d66-8c2a99b929b3',
  restricted: '2af84b1e-32c8-42b7-82bc-daa82404023b',
} as const;

export interface AuthorizationPolicy {
  allowInvitesFrom: AllowInvitesFrom;
  allowEmailVerifiedUsersToJoinOrganization: boolean;
  guestUserRoleId: string;
}

export interface B2bManagementPolicy {
  invitationsAllowedAndBlockedDomainsPolicy: { allowedDomains: string[]; blockedDomains: string[] };
}

export interface InvitationPolicy {
  /** Days a redemption ticket stays good; null: it never expires (Entra's behaviour). */
  redemptionTicketLifetimeInDays: number | null;
}

export const emailOtpStates = ['default', 'enabled', 'disabled'] as const;

/** `policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email` (the part guests use). */
export interface EmailOtpPolicy {
  allowExternalIdToUseEmailOtp: (typeof emailOtpStates)[number];
}

/** `policies/crossTenantAccessPolicy/default` → `inboundTrust`: whether MFA done in another tenant is accepted here. */
export interface InboundTrust {
  isMfaAccepted: boolean;
}

/** `policies/externalIdentitiesPolicy`: may guests leave the organization by themselves (the "My organizations" page). */
export interface ExternalIdentitiesPolicy {
  allowExternalIdentitiesToLeave: boolean;
}

export interface InvitationPolicies {
  authorization: AuthorizationPolicy;
  b2bManagement: B2bManagementPolicy;
  invitation: InvitationPolicy;
  /** `policies/crossTenantAccessPolicy/default` → `invitationRedemptionIdentityProviderConfiguration`. */
  redemption: RedemptionConfiguration;
  emailOtp: EmailOtpPolicy;
  /** `policies/crossTenantAccessPolicy/default` → `inboundTrust` (stored apart from the redemption order). */
  inboundTrust: InboundTrust;
  externalIdentities: ExternalIdentitiesPolicy;
}

/** Entra's defaults: everyone may invite (item 30), any domain (item 41). Tickets: 30 days (Foyer). */
export const defaultPolicies: InvitationPolicies = {
  authorization: {
    allowInvitesFrom: 'everyone',
    allowEmailVerifiedUsersToJoinOrganization: true,
    guestUserRoleId: guestUserRoles.limited,
  },
  b2bManagement: { invitationsAllowedAndBlockedDomainsPolicy: { allowedDomains: [], blockedDomains: [] } },
  invitation: { redemptionTicketLifetimeInDays: 30 },
  // Foyer's order (Entra's own default puts externalFederation first); one-time passcode fallback,
  // which Entra turns on by default (item 83).
  redemption: {
    primaryIdentityProviderPrecedenceOrder: ['azureActiveDirectory', 'externalFederation', 'socialIdentityProviders'],
    fallbackIdentityProvider: 'defaultConfiguredIdp',
  },
  emailOtp: { allowExternalIdToUseEmailOtp: 'default' },
  // Entra's default: MFA done in another tenant is not trusted.
  inboundTrust: { isMfaAccepted: false },
  // Entra's default: guests may leave.
  externalIdentities: { allowExternalIdentitiesToLeave: true },
};

const NAMES = {
  authorization: 'authorizationPolicy',
  b2bManagement: 'b2bManagementPolicy',
  invitation: 'invitationPolicy',
  redemption: 'crossTenantAccessPolicy/default',
  emailOtp: 'authenticationMethodConfigurations/email',
  inboundTrust: 'crossTenantAccessPolicy/default/inboundTrust',
  externalIdentities: 'externalIdentitiesPolicy',
} as const;
type PolicyKey = keyof typeof NAMES;

/** Entra caps the domain policy at 25 KB (item 43); Foyer applies the same cap to each stored policy. */
export const MAX_POLICY_CHARS = 25_000;

/** Every policy in one query (they are read on every invitation). */
export async function readInvitationPolicies(db: Executor, tenantId: string): Promise<InvitationPolicies> {
  const rows = await db
    .selectFrom('tenant_policies')
    .select(['name', 'body'])
    .where('tenant_id', '=', tenantId)
    .where('name', 'in', Object.values(NAMES))
    .execute();
  const stored = new Map(rows.map((r) => [r.name, JSON.parse(r.body) as object]));
  return {
    authorization: { ...defaultPolicies.authorization, ...(stored.get(NAMES.authorization) as Partial<AuthorizationPolicy>) },
    b2bManagement: { ...defaultPolicies.b2bManagement, ...(stored.get(NAMES.b2bManagement) as Partial<B2bManagementPolicy>) },
    invitation: { ...defaultPolicies.invitation, ...(stored.get(NAMES.invitation) as Partial<InvitationPolicy>) },
    redemption: { ...defaultPolicies.redemption, ...(stored.get(NAMES.redemption) as Partial<RedemptionConfiguration>) },
    emailOtp: { ...defaultPolicies.emailOtp, ...(stored.get(NAMES.emailOtp) as Partial<EmailOtpPolicy>) },
    inboundTrust: { ...defaultPolicies.inboundTrust, ...(stored.get(NAMES.inboundTrust) as Partial<InboundTrust>) },
    externalIdentities: { ...defaultPolicies.externalIdentities, ...(stored.get(NAMES.externalIdentities) as Partial<ExternalIdentitiesPolicy>) },
  };
}

export async function writeInvitationPolicy<K extends PolicyKey>(
  db: Executor,
  tenantId: string,
  key: K,
  value: InvitationPolicies[K],
  now: number,
): Promise<void> {
  const body = JSON.stringify(value);
  await db
    .insertInto('tenant_policies')
    .values({ tenant_id: tenantId, name: NAMES[key], body, updated_at: now })
    .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet({ body, updated_at: now }))
    .execute();
}
