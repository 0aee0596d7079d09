/**
 * The Graph description of `policies/externalIdentitiesPolicy` (the `policies` singleton, described by the
 * invitation feature, names it), for `$metadata` and the API reference's property table.
 */
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

const externalIdentitiesPolicyResource = defineResource({
  name: 'externalIdentitiesPolicy',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: 'Always externalIdentitiesPolicy.' },
    displayName: { type: 'Edm.String', default: true, doc: 'Always External Identities Policy.' },
    description: { type: 'Edm.String', default: true, doc: "The policy's description." },
    deletedDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'Always null.' },
    allowExternalIdentitiesToLeave: {
      type: 'Edm.Boolean',
      nullable: false,
      default: true,
      update: true,
      doc: 'Whether guests may leave the organization from their My organizations page (default true).',
    },
    allowDeletedIdentitiesDataRemoval: {
      type: 'Edm.Boolean',
      nullable: false,
      default: true,
      update: true,
      doc: 'Always false: Foyer takes no requests to remove a departed guest’s data; setting it true is refused.',
    },
  },
});

export const externalIdentitiesPolicyResources: ResourceSet = { resources: [externalIdentitiesPolicyResource], complexTypes: [] };
