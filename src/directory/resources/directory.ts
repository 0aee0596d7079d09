/** Graph's `directory` singleton: what Foyer serves below it, the deleted users (`directory/deletedItems`). */
import { defineResource } from '../../platform/odata/resource.js';

export const directoryRootResource = defineResource({
  name: 'directory',
  singleton: 'directory',
  properties: {},
  navigation: {
    deletedItems: {
      type: 'microsoft.graph.directoryObject',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'Users deleted in the last 30 days, restorable until purged (Foyer keeps no deleted groups or applications).',
    },
  },
});
