/** Graph's `group` resource as Foyer keeps it: security groups, whose members are users. */
import { defineResource } from '../../platform/odata/resource.js';
import { directoryObjectResource } from './directory-object.js';

const text = ['eq', 'ne', 'in', 'startswith'] as const;
const directoryObjects = 'microsoft.graph.directoryObject';

export const groupResource = defineResource({
  name: 'group',
  base: directoryObjectResource,
  entitySet: 'groups',
  properties: {
    displayName: { type: 'Edm.String', default: true, filter: text, sortable: true, create: 'required', update: true, doc: "The group's name." },
    description: { type: 'Edm.String', default: true, create: 'optional', update: true, doc: 'What the group is for.' },
    // Mail nicknames are ASCII letters, digits and . _ - (see the body schema).
    mailNickname: { type: 'Edm.String', default: true, filter: text, create: 'required', update: true, doc: "The group's mail alias." },
    // Graph does not list mailEnabled among a group's updatable properties.
    mailEnabled: { type: 'Edm.Boolean', default: true, filter: ['eq', 'ne'], create: 'optional', doc: 'Whether the group is mail-enabled (kept, not used).' },
    securityEnabled: {
      type: 'Edm.Boolean',
      default: true,
      filter: ['eq', 'ne'],
      create: 'optional',
      update: true,
      doc: 'Whether it is a security group (true by default).',
    },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, filter: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'], doc: 'When the group was created.' },
    groupTypes: {
      type: 'Collection(Edm.String)',
      nullable: false,
      default: true,
      create: 'optional',
      update: true,
      doc: 'Always empty: Foyer has security groups only (Unified and DynamicMembership are refused).',
    },
  },
  navigation: {
    appRoleAssignments: { type: 'microsoft.graph.appRoleAssignment', collection: true, expandable: false, doc: 'The apps the group is assigned to.' },
    members: { type: directoryObjects, collection: true, expandable: true, doc: 'Direct members.' },
    transitiveMembers: { type: directoryObjects, collection: true, expandable: false, doc: 'Members, directly or through nested groups.' },
    owners: { type: directoryObjects, collection: true, expandable: true, doc: "The group's owners." },
    memberOf: { type: directoryObjects, collection: true, expandable: true, doc: 'Groups this group is a direct member of.' },
    transitiveMemberOf: { type: directoryObjects, collection: true, expandable: false, doc: 'Groups this group belongs to, directly or through groups.' },
  },
  unsupported: ['allowExternalSenders', 'assignedLabels', 'autoSubscribeNewMembers', 'preferredDataLocation', 'uniqueName', 'visibility'],
});
