/**
 * The Graph resources the redemption feature serves: the `identity` singleton and, contained in it, the
 * external OpenID Connect providers a tenant trusts (`identity/identityProviders`).
 */
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

const identityProviderBaseResource = defineResource({
  name: 'identityProviderBase',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The provider's id, assigned by Foyer." },
    displayName: { type: 'Edm.String', default: true, create: 'required', doc: "The provider's name, shown on the sign-in page." },
  },
});

const oidcIdentityProviderResource = defineResource({
  name: 'oidcIdentityProvider',
  base: identityProviderBaseResource,
  properties: {
    issuer: { type: 'Edm.String', default: true, create: 'required', doc: "The provider's issuer URL (its discovery document is read from it)." },
    clientId: { type: 'Edm.String', default: true, create: 'required', doc: "Foyer's client id at the provider." },
    clientAuthentication: {
      type: 'microsoft.graph.oidcClientSecretAuthentication',
      selectable: false,
      create: 'optional',
      doc: "Foyer's client secret at the provider; never returned.",
    },
    scope: { type: 'Edm.String', default: true, create: 'optional', doc: 'The scopes Foyer asks for (openid is always among them).' },
    domains: {
      type: 'Collection(Edm.String)',
      nullable: false,
      default: true,
      create: 'required',
      doc: 'Foyer extension: the address domains whose home this provider is.',
    },
  },
});

/** The `identity` singleton: the root of the identity settings below it. */
const identityContainerResource = defineResource({
  name: 'identityContainer',
  singleton: 'identity',
  properties: {},
  navigation: {
    identityProviders: {
      type: 'microsoft.graph.identityProviderBase',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'The external identity providers the tenant trusts.',
    },
    conditionalAccess: {
      type: 'microsoft.graph.conditionalAccessRoot',
      collection: false,
      expandable: false,
      containsTarget: true,
      doc: 'The Conditional Access policies (served by the MFA feature).',
    },
  },
});

export const redemptionResources: ResourceSet = {
  resources: [identityContainerResource, identityProviderBaseResource, oidcIdentityProviderResource],
  complexTypes: [{ name: 'oidcClientSecretAuthentication', properties: { clientSecret: { type: 'Edm.String' } } }],
};
