/**
 * The Graph resources of a person's authentication methods: the `authentication` object contained in each
 * user (`users/{id}/authentication`), and below it the methods, by Graph's types: the password (members
 * who have one), authenticator apps (`softwareOathAuthenticationMethod`) and passkeys or security keys
 * (`fido2AuthenticationMethod`). What they hold is Graph's shape; what Foyer does not know is null.
 */
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

/** The base of every method: only an id, as in Graph v1.0. */
export const authenticationMethodResource = defineResource({
  name: 'authenticationMethod',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The method's id (the password's is Graph's fixed one)." },
  },
});

export const passwordAuthenticationMethodResource = defineResource({
  name: 'passwordAuthenticationMethod',
  base: authenticationMethodResource,
  properties: {
    password: { type: 'Edm.String', default: true, doc: 'Always null: a password is never returned.' },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'Null: Foyer does not keep when a password was set.' },
  },
});

export const softwareOathAuthenticationMethodResource = defineResource({
  name: 'softwareOathAuthenticationMethod',
  base: authenticationMethodResource,
  properties: {
    secretKey: { type: 'Edm.String', default: true, doc: "Always null: the authenticator app's key is shown once, at registration, and never again." },
  },
});

export const fido2AuthenticationMethodResource = defineResource({
  name: 'fido2AuthenticationMethod',
  base: authenticationMethodResource,
  properties: {
    displayName: { type: 'Edm.String', default: true, doc: 'The name the person gave the passkey or security key.' },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When it was registered.' },
    aaGuid: { type: 'Edm.String', default: true, doc: "The authenticator model's AAGUID, as the authenticator stated it (all zeros when it does not say)." },
    model: { type: 'Edm.String', default: true, doc: 'Null: Foyer keeps no metadata service of authenticator models.' },
    attestationCertificates: {
      type: 'Collection(Edm.String)',
      default: true,
      doc: 'Empty: Foyer asks for no attestation, so it holds no attestation certificates.',
    },
    attestationLevel: {
      type: 'Edm.String',
      default: true,
      values: ['attested', 'notAttested'],
      doc: 'Always notAttested: Foyer asks for no attestation.',
    },
  },
});

/** `users/{id}/authentication`: reached only through its user, so no id of its own. */
const authenticationResource = defineResource({
  name: 'authentication',
  properties: {},
  navigation: {
    methods: {
      type: 'microsoft.graph.authenticationMethod',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'Every method the person can sign in with: the password, authenticator apps and passkeys.',
    },
    softwareOathMethods: {
      type: 'microsoft.graph.softwareOathAuthenticationMethod',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'Authenticator apps (TOTP); an administrator may delete them.',
    },
    fido2Methods: {
      type: 'microsoft.graph.fido2AuthenticationMethod',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'Passkeys and security keys (WebAuthn); an administrator may delete them.',
    },
  },
});

export const methodResources: ResourceSet = {
  resources: [
    authenticationResource,
    authenticationMethodResource,
    passwordAuthenticationMethodResource,
    softwareOathAuthenticationMethodResource,
    fido2AuthenticationMethodResource,
  ],
  complexTypes: [],
};
