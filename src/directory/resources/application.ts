/**
 * Graph's `application` (an app registration) as Foyer keeps it, its `servicePrincipal`, the
 * `appRoleAssignment`s of users and groups to it, and the complex types they use.
 */
import { type ComplexTypeDescription, defineResource } from '../../platform/odata/resource.js';
import { directoryObjectResource } from './directory-object.js';

const exact = ['eq', 'ne', 'in'] as const;

// Every property Foyer keeps for an app is small, so a list shows them all unless `$select` says otherwise.
export const applicationResource = defineResource({
  name: 'application',
  base: directoryObjectResource,
  entitySet: 'applications',
  properties: {
    appId: { type: 'Edm.String', default: true, filter: exact, doc: 'The client id the app signs in with, assigned by Foyer.' },
    displayName: { type: 'Edm.String', default: true, filter: [...exact, 'startswith'], sortable: true, doc: "The app's name." },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, filter: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'], doc: 'When the app was registered.' },
    signInAudience: { type: 'Edm.String', default: true, doc: 'Always AzureADMyOrg: an app signs in people of its own tenant.' },
    isFallbackPublicClient: { type: 'Edm.Boolean', default: true, doc: 'Whether the app is a public client (PKCE, no secrets).' },
    web: { type: 'microsoft.graph.webApplication', default: true, doc: "A confidential client's redirect URIs." },
    publicClient: { type: 'microsoft.graph.publicClientApplication', default: true, doc: "A public client's redirect URIs." },
    spa: { type: 'microsoft.graph.spaApplication', default: true, doc: 'Always empty: Foyer registers single-page apps as public clients.' },
    passwordCredentials: {
      type: 'Collection(microsoft.graph.passwordCredential)',
      nullable: false,
      default: true,
      doc: "The app's client secrets, without the secret itself (only addPassword's answer holds it).",
    },
    keyCredentials: { type: 'Collection(microsoft.graph.keyCredential)', nullable: false, default: true, doc: 'Always empty: Foyer keeps no certificates.' },
    groupMembershipClaims: {
      type: 'Edm.String',
      default: true,
      update: true,
      doc: "Whether ID and access tokens carry a `groups` claim with the user's groups, nested ones included: SecurityGroup, All (or ApplicationGroup, DirectoryRole), or None/null for no claim.",
    },
  },
  navigation: {
    owners: { type: 'microsoft.graph.directoryObject', collection: true, expandable: false, doc: 'The app that registered this one, if any.' },
  },
});

/**
 * An app's service principal: its instance in the tenant, which users and groups are assigned to
 * (`appRoleAssignedTo`) and which can require assignment. Foyer makes one with every app registration;
 * its name is its application's. It is also what `/applications/{id}/owners` shows as an app's owner.
 */
export const servicePrincipalResource = defineResource({
  name: 'servicePrincipal',
  base: directoryObjectResource,
  entitySet: 'servicePrincipals',
  properties: {
    appId: { type: 'Edm.String', default: true, filter: exact, doc: "The application's client id." },
    displayName: { type: 'Edm.String', default: true, filter: [...exact, 'startswith'], sortable: true, doc: "The application's name." },
    appDisplayName: { type: 'Edm.String', default: true, doc: "The application's name (as displayName)." },
    appOwnerOrganizationId: { type: 'Edm.Guid', default: true, doc: 'The tenant that registered the application: always this one.' },
    accountEnabled: { type: 'Edm.Boolean', default: true, doc: 'Always true: Foyer does not disable service principals.' },
    appRoleAssignmentRequired: {
      type: 'Edm.Boolean',
      nullable: false,
      default: true,
      filter: ['eq', 'ne'],
      update: true,
      doc: 'Whether only users assigned to the app (directly or through a group, nested groups included) may sign in to it (AADSTS50105 otherwise).',
    },
    servicePrincipalType: { type: 'Edm.String', default: true, doc: 'Always Application.' },
    servicePrincipalNames: { type: 'Collection(Edm.String)', nullable: false, default: true, doc: "The application's client id." },
    createdDateTime: { type: 'Edm.DateTimeOffset', doc: 'When the service principal was created (with its application, or by the upgrade to 0015).' },
  },
  navigation: {
    appRoleAssignedTo: {
      type: 'microsoft.graph.appRoleAssignment',
      collection: true,
      expandable: false,
      doc: 'The users and groups assigned to the app.',
    },
  },
});

/** A user or a group assigned to an app (Graph's `appRoleAssignment`), with default access. */
export const appRoleAssignmentResource = defineResource({
  name: 'appRoleAssignment',
  base: directoryObjectResource,
  properties: {
    appRoleId: {
      type: 'Edm.Guid',
      nullable: false,
      default: true,
      doc: 'The app role: always the zero GUID, default access (Foyer apps define no app roles).',
    },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When the assignment was made.' },
    principalDisplayName: { type: 'Edm.String', default: true, doc: "The assigned user's or group's name." },
    principalId: { type: 'Edm.Guid', default: true, doc: 'The assigned user or group.' },
    principalType: { type: 'Edm.String', default: true, doc: 'User or Group.' },
    resourceDisplayName: { type: 'Edm.String', default: true, doc: "The app's name." },
    resourceId: { type: 'Edm.Guid', default: true, doc: "The app's service principal id." },
  },
});

const redirectUris = { redirectUris: { type: 'Collection(Edm.String)', nullable: false } } as const;

export const applicationComplexTypes: readonly ComplexTypeDescription[] = [
  {
    name: 'passwordCredential',
    properties: {
      customKeyIdentifier: { type: 'Edm.String' },
      displayName: { type: 'Edm.String' },
      endDateTime: { type: 'Edm.DateTimeOffset' },
      hint: { type: 'Edm.String' },
      keyId: { type: 'Edm.Guid' },
      secretText: { type: 'Edm.String' },
      startDateTime: { type: 'Edm.DateTimeOffset' },
    },
  },
  { name: 'keyCredential', properties: { keyId: { type: 'Edm.Guid' }, displayName: { type: 'Edm.String' }, type: { type: 'Edm.String' } } },
  {
    name: 'webApplication',
    properties: {
      homePageUrl: { type: 'Edm.String' },
      logoutUrl: { type: 'Edm.String' },
      ...redirectUris,
      implicitGrantSettings: { type: 'microsoft.graph.implicitGrantSettings' },
    },
  },
  {
    name: 'implicitGrantSettings',
    properties: { enableAccessTokenIssuance: { type: 'Edm.Boolean' }, enableIdTokenIssuance: { type: 'Edm.Boolean' } },
  },
  { name: 'publicClientApplication', properties: { ...redirectUris } },
  { name: 'spaApplication', properties: { ...redirectUris } },
];
