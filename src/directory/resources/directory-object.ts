/**
 * Graph's `directoryObject` (the base type of users, groups, the organization and directory roles),
 * `directoryRole`, and the complex types the directory's resources use.
 */
import { type ComplexTypeDescription, defineResource } from '../../platform/odata/resource.js';

export const directoryObjectResource = defineResource({
  name: 'directoryObject',
  entitySet: 'directoryObjects',
  properties: {
    id: {
      type: 'Edm.String',
      nullable: false,
      doc: 'The object id (a GUID), assigned by Foyer.',
      default: true,
      filter: ['eq', 'ne', 'in'],
      sortable: true,
    },
    // Set only on deleted users, as `directory/deletedItems` lists them; live objects have null.
    deletedDateTime: { type: 'Edm.DateTimeOffset', doc: 'When the object was deleted: set on deleted users (`directory/deletedItems`), null on live objects.' },
  },
});

export const directoryRoleResource = defineResource({
  name: 'directoryRole',
  base: directoryObjectResource,
  entitySet: 'directoryRoles',
  properties: {
    displayName: { type: 'Edm.String', default: true, doc: "The role's name." },
    description: { type: 'Edm.String', default: true, doc: 'What the role may do.' },
    roleTemplateId: { type: 'Edm.String', default: true, doc: "Entra's role template id (also the role's id in Foyer)." },
  },
  navigation: {
    members: { type: 'microsoft.graph.directoryObject', collection: true, expandable: false, doc: 'Who holds the role.' },
  },
});

export const objectIdentityType: ComplexTypeDescription = {
  name: 'objectIdentity',
  properties: {
    signInType: { type: 'Edm.String', filter: ['eq'] },
    issuer: { type: 'Edm.String', filter: ['eq'] },
    issuerAssignedId: { type: 'Edm.String', filter: ['eq'] },
  },
};

export const passwordProfileType: ComplexTypeDescription = {
  name: 'passwordProfile',
  properties: {
    password: { type: 'Edm.String' },
    forceChangePasswordNextSignIn: { type: 'Edm.Boolean' },
    forceChangePasswordNextSignInWithMfa: { type: 'Edm.Boolean' },
  },
};

export const verifiedDomainType: ComplexTypeDescription = {
  name: 'verifiedDomain',
  properties: {
    capabilities: { type: 'Edm.String' },
    isDefault: { type: 'Edm.Boolean' },
    isInitial: { type: 'Edm.Boolean' },
    name: { type: 'Edm.String' },
    type: { type: 'Edm.String' },
  },
};

export const privacyProfileType: ComplexTypeDescription = {
  name: 'privacyProfile',
  properties: {
    contactEmail: { type: 'Edm.String' },
    statementUrl: { type: 'Edm.String' },
  },
};

/** Every complex type the described resources use. */
export const complexTypes: readonly ComplexTypeDescription[] = [objectIdentityType, passwordProfileType, verifiedDomainType, privacyProfileType];
