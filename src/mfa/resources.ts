/**
 * The Graph resources the MFA feature serves: Conditional Access policies under
 * `identity/conditionalAccess/policies` (the `identity` singleton declares `conditionalAccess`), and the
 * partner-specific cross-tenant settings under `policies/crossTenantAccessPolicy/partners` (the
 * `crossTenantAccessPolicy` type declares `partners`).
 */
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

const conditionalAccessRootResource = defineResource({
  name: 'conditionalAccessRoot',
  properties: {},
  navigation: {
    policies: {
      type: 'microsoft.graph.conditionalAccessPolicy',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's Conditional Access policies.",
    },
  },
});

const conditionalAccessPolicyResource = defineResource({
  name: 'conditionalAccessPolicy',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The policy's id, assigned by Foyer." },
    displayName: { type: 'Edm.String', default: true, create: 'required', update: true, doc: "The policy's name." },
    state: {
      type: 'Edm.String',
      nullable: false,
      default: true,
      create: 'required',
      update: true,
      values: ['enabled', 'disabled', 'enabledForReportingButNotEnforced'],
      doc: 'enabled, disabled, or enabledForReportingButNotEnforced (report-only: evaluated and logged, never enforced).',
    },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When the policy was created.' },
    modifiedDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When the policy was last changed; null if never.' },
    conditions: {
      type: 'microsoft.graph.conditionalAccessConditionSet',
      nullable: false,
      default: true,
      create: 'required',
      update: true,
      doc: 'Whom (users, groups, roles, guests) and which apps the policy applies to, exclusions winning.',
    },
    grantControls: {
      type: 'microsoft.graph.conditionalAccessGrantControls',
      default: true,
      create: 'optional',
      update: true,
      doc: "What a sign-in must satisfy: Foyer's one control is mfa.",
    },
    sessionControls: {
      type: 'microsoft.graph.conditionalAccessSessionControls',
      default: true,
      create: 'optional',
      update: true,
      doc: 'How often the user signs in again (signInFrequency).',
    },
  },
  unsupported: ['description', 'templateId'],
});

const partnerResource = defineResource({
  name: 'crossTenantAccessPolicyConfigurationPartner',
  properties: {
    tenantId: { type: 'Edm.String', nullable: false, default: true, create: 'required', doc: "The partner organization's tenant id." },
    inboundTrust: {
      type: 'microsoft.graph.crossTenantAccessPolicyInboundTrust',
      default: true,
      create: 'optional',
      update: true,
      doc: "Whether MFA done in the partner's tenant is accepted here; null: the default's setting applies.",
    },
  },
  unsupported: [
    'isServiceProvider',
    'isInMultiTenantOrganization',
    'b2bCollaborationInbound',
    'b2bCollaborationOutbound',
    'b2bDirectConnectInbound',
    'b2bDirectConnectOutbound',
    'tenantRestrictions',
    'automaticUserConsentSettings',
  ],
});

const ids = { type: 'Collection(Edm.String)', nullable: false } as const;

export const mfaPolicyResources: ResourceSet = {
  resources: [conditionalAccessRootResource, conditionalAccessPolicyResource, partnerResource],
  complexTypes: [
    {
      name: 'conditionalAccessConditionSet',
      properties: {
        users: { type: 'microsoft.graph.conditionalAccessUsers' },
        applications: { type: 'microsoft.graph.conditionalAccessApplications' },
        clientAppTypes: ids,
      },
    },
    {
      name: 'conditionalAccessUsers',
      properties: { includeUsers: ids, excludeUsers: ids, includeGroups: ids, excludeGroups: ids, includeRoles: ids, excludeRoles: ids },
    },
    { name: 'conditionalAccessApplications', properties: { includeApplications: ids, excludeApplications: ids } },
    { name: 'conditionalAccessGrantControls', properties: { operator: { type: 'Edm.String' }, builtInControls: ids } },
    { name: 'conditionalAccessSessionControls', properties: { signInFrequency: { type: 'microsoft.graph.signInFrequencySessionControl' } } },
    {
      name: 'signInFrequencySessionControl',
      properties: {
        isEnabled: { type: 'Edm.Boolean' },
        value: { type: 'Edm.Int32' },
        type: { type: 'Edm.String' },
        authenticationType: { type: 'Edm.String' },
        frequencyInterval: { type: 'Edm.String' },
      },
    },
  ],
};
