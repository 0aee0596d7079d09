/**
 * The Graph resources the invitations feature serves, as it serves them: `invitation` at `/invitations`,
 * and the `policies` singleton with the policies that govern inviting (who may invite, which domains, how
 * long a link lives, which identity providers redeem, one-time passcodes by e-mail).
 */
import { allowInvitesFromValues, emailOtpStates } from '../directory/policies.js';
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

const invitationResource = defineResource({
  name: 'invitation',
  entitySet: 'invitations',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The invitation's id." },
    inviteRedeemUrl: {
      type: 'Edm.String',
      default: true,
      doc: 'The redemption link; only in the answer to the POST that made it (Foyer keeps no usable copy).',
    },
    invitedUserDisplayName: { type: 'Edm.String', default: true, create: 'optional', doc: "The guest's name." },
    invitedUserType: { type: 'Edm.String', default: true, create: 'optional', doc: 'Guest (the default) or Member.' },
    invitedUserEmailAddress: { type: 'Edm.String', nullable: false, default: true, create: 'required', doc: 'The address invited.' },
    sendInvitationMessage: { type: 'Edm.Boolean', default: true, create: 'optional', doc: 'Whether Foyer e-mails the link.' },
    resetRedemption: { type: 'Edm.Boolean', default: true, create: 'optional', doc: "Whether this resets an existing guest's redemption." },
    inviteRedirectUrl: { type: 'Edm.String', nullable: false, default: true, create: 'required', doc: 'Where the guest lands after redeeming.' },
    status: { type: 'Edm.String', default: true, doc: 'PendingAcceptance or Completed.' },
    invitedUserMessageInfo: {
      type: 'microsoft.graph.invitedUserMessageInfo',
      default: true,
      create: 'optional',
      doc: 'The message language, a customised message body and a copy recipient.',
    },
    messageDeliveryStatus: {
      type: 'microsoft.graph.invitationMessageDeliveryStatus',
      default: true,
      doc: 'Foyer extension: how sending the invitation e-mail went; null when none was sent.',
    },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'Foyer extension: when the invitation was made (not in the answer to POST).' },
    redemptionLinkStatus: {
      type: 'Edm.String',
      default: true,
      doc: 'Foyer extension: active, expired, superseded, redeemed or revoked (not in the answer to POST).',
    },
    redemptionLinkExpirationDateTime: {
      type: 'Edm.DateTimeOffset',
      default: true,
      doc: 'Foyer extension: when the link stops working; null when it never does (not in the answer to POST).',
    },
  },
  navigation: {
    invitedUser: {
      type: 'microsoft.graph.user',
      collection: false,
      expandable: false,
      doc: 'The guest (its id and user principal name are always shown).',
    },
  },
});

/** The `policies` singleton: the root of the policies below it. */
const policyRootResource = defineResource({
  name: 'policyRoot',
  singleton: 'policies',
  properties: {},
  navigation: {
    authorizationPolicy: contained('authorizationPolicy', 'Who may invite guests, and the role guests get.'),
    b2bManagementPolicy: contained('b2bManagementPolicy', 'Which domains may (or may not) be invited.'),
    invitationPolicy: contained('invitationPolicy', 'Foyer extension: how long a redemption link lives.'),
    crossTenantAccessPolicy: contained('crossTenantAccessPolicy', 'The defaults for guests from other organizations.'),
    authenticationMethodsPolicy: contained('authenticationMethodsPolicy', 'How guests may prove who they are.'),
    // Described by the governance feature (governance/external-identities-policy-resource.ts).
    externalIdentitiesPolicy: contained('externalIdentitiesPolicy', 'Whether guests may leave the organization by themselves.'),
  },
});

function contained(type: string, doc: string) {
  return { type: `microsoft.graph.${type}`, collection: false, expandable: false, containsTarget: true, doc } as const;
}

const authorizationPolicyResource = defineResource({
  name: 'authorizationPolicy',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: 'Always authorizationPolicy.' },
    displayName: { type: 'Edm.String', default: true, doc: 'Always Authorization Policy.' },
    description: { type: 'Edm.String', default: true, doc: "The policy's description." },
    allowInvitesFrom: {
      type: 'Edm.String',
      default: true,
      update: true,
      values: allowInvitesFromValues,
      doc: 'Who may invite guests.',
    },
    allowEmailVerifiedUsersToJoinOrganization: { type: 'Edm.Boolean', default: true, update: true, doc: 'Whether people may sign themselves up.' },
    guestUserRoleId: { type: 'Edm.Guid', default: true, update: true, doc: 'The role template guests get (one of three).' },
  },
});

const b2bManagementPolicyResource = defineResource({
  name: 'b2bManagementPolicy',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: 'Always b2bManagementPolicy.' },
    displayName: { type: 'Edm.String', default: true, doc: 'Always B2BManagementPolicy.' },
    invitationsAllowedAndBlockedDomainsPolicy: {
      type: 'microsoft.graph.invitationsAllowedAndBlockedDomainsPolicy',
      default: true,
      update: true,
      doc: 'An allow list or a deny list of invitee domains (example.com or *.example.com), not both.',
    },
  },
});

const invitationPolicyResource = defineResource({
  name: 'invitationPolicy',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: 'Always invitationPolicy.' },
    redemptionTicketLifetimeInDays: {
      type: 'Edm.Int32',
      default: true,
      update: true,
      doc: 'Days a redemption link works (1 to 3650); null: it never expires, as in Entra.',
    },
  },
});

const crossTenantAccessPolicyResource = defineResource({
  name: 'crossTenantAccessPolicy',
  properties: {},
  navigation: {
    default: contained('crossTenantAccessPolicyConfigurationDefault', 'The defaults for every other organization.'),
    partners: {
      type: 'microsoft.graph.crossTenantAccessPolicyConfigurationPartner',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'Settings for one other organization each, overriding the defaults (served by the MFA feature).',
    },
  },
});

const crossTenantDefaultResource = defineResource({
  name: 'crossTenantAccessPolicyConfigurationDefault',
  properties: {
    isServiceDefault: { type: 'Edm.Boolean', default: true, doc: 'Whether nothing was changed from the defaults.' },
    inboundTrust: {
      type: 'microsoft.graph.crossTenantAccessPolicyInboundTrust',
      default: true,
      update: true,
      doc: "Whether MFA done in the guest's home tenant is accepted here (isMfaAccepted, false by default); device claims are never trusted.",
    },
    invitationRedemptionIdentityProviderConfiguration: {
      type: 'microsoft.graph.defaultInvitationRedemptionIdentityProviderConfiguration',
      default: true,
      update: true,
      doc: 'Which identity providers redeem an invitation, in order, and the fallback.',
    },
  },
});

const authenticationMethodsPolicyResource = defineResource({
  name: 'authenticationMethodsPolicy',
  properties: {},
  navigation: {
    authenticationMethodConfigurations: {
      type: 'microsoft.graph.authenticationMethodConfiguration',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'The methods; Foyer serves email (one-time passcodes) only.',
    },
  },
});

const authenticationMethodConfigurationResource = defineResource({
  name: 'authenticationMethodConfiguration',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: 'The method: Email.' },
    state: { type: 'Edm.String', default: true, doc: 'Always enabled.' },
  },
});

const emailMethodResource = defineResource({
  name: 'emailAuthenticationMethodConfiguration',
  base: authenticationMethodConfigurationResource,
  properties: {
    allowExternalIdToUseEmailOtp: {
      type: 'Edm.String',
      default: true,
      update: true,
      values: emailOtpStates,
      doc: 'Whether guests may sign in with a one-time passcode by e-mail.',
    },
    includeTargets: { type: 'Collection(microsoft.graph.authenticationMethodTarget)', nullable: false, default: true, doc: 'Always empty.' },
    excludeTargets: { type: 'Collection(microsoft.graph.excludeTarget)', nullable: false, default: true, doc: 'Always empty.' },
  },
});

const nullableString = { type: 'Edm.String' } as const;

export const invitationsResources: ResourceSet = {
  resources: [
    invitationResource,
    policyRootResource,
    authorizationPolicyResource,
    b2bManagementPolicyResource,
    invitationPolicyResource,
    crossTenantAccessPolicyResource,
    crossTenantDefaultResource,
    authenticationMethodsPolicyResource,
    authenticationMethodConfigurationResource,
    emailMethodResource,
  ],
  complexTypes: [
    {
      name: 'invitedUserMessageInfo',
      properties: {
        messageLanguage: nullableString,
        customizedMessageBody: nullableString,
        ccRecipients: { type: 'Collection(microsoft.graph.recipient)', nullable: false },
      },
    },
    { name: 'recipient', properties: { emailAddress: { type: 'microsoft.graph.emailAddress' } } },
    { name: 'emailAddress', properties: { name: nullableString, address: nullableString } },
    {
      name: 'invitationMessageDeliveryStatus',
      properties: {
        state: nullableString,
        attempts: { type: 'Edm.Int32' },
        lastAttemptDateTime: { type: 'Edm.DateTimeOffset' },
        sentDateTime: { type: 'Edm.DateTimeOffset' },
        nextAttemptDateTime: { type: 'Edm.DateTimeOffset' },
        error: nullableString,
      },
    },
    {
      name: 'invitationsAllowedAndBlockedDomainsPolicy',
      properties: {
        allowedDomains: { type: 'Collection(Edm.String)', nullable: false },
        blockedDomains: { type: 'Collection(Edm.String)', nullable: false },
      },
    },
    {
      name: 'defaultInvitationRedemptionIdentityProviderConfiguration',
      properties: {
        primaryIdentityProviderPrecedenceOrder: { type: 'Collection(Edm.String)', nullable: false },
        fallbackIdentityProvider: nullableString,
      },
    },
    {
      name: 'crossTenantAccessPolicyInboundTrust',
      properties: {
        isMfaAccepted: { type: 'Edm.Boolean' },
        isCompliantDeviceAccepted: { type: 'Edm.Boolean' },
        isHybridAzureADJoinedDeviceAccepted: { type: 'Edm.Boolean' },
      },
    },
    { name: 'authenticationMethodTarget', properties: { id: nullableString, targetType: nullableString } },
    { name: 'excludeTarget', properties: { id: nullableString, targetType: nullableString } },
  ],
};
