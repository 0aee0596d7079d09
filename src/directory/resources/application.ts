/**
 * Graph's `application` (an app registration) as Foyer keeps it, the `servicePrincipal` Foyer shows as an
 * app's owner, and the complex types they use.
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
  },
  navigation: {
    owners: { type: 'microsoft.graph.directoryObject', collection: true, expandable: false, doc: 'The app that registered this one, if any.' },
  },
});

/**
 * The owner of an app, as `/applications/{id}/owners` shows it. In Entra owners are service principals;
 * Foyer has none, so it shows the owning app's object id and client id.
 */
export const servicePrincipalResource = defineResource({
  name: 'servicePrincipal',
  base: directoryObjectResource,
  properties: {
    appId: { type: 'Edm.String', default: true, doc: "The owning app's client id." },
    displayName: { type: 'Edm.String', default: true, doc: "The owning app's name." },
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
