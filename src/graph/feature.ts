/**
 * The Graph API's registry slot: the resources features add under `/graph/v1.0/` (the directory's own,
 * users, groups, organization and roles, are part of the API itself), and the API's own declaration.
 */
import type { Feature } from '../platform/feature.js';
import type { ResourceSet } from '../platform/odata/resource.js';
import { registerAppRoleAssignmentRoutes } from './app-role-assignment-routes.js';
import { registerAuditRoutes } from './audit-logs.js';
import { registerDeletedItemRoutes } from './deleted-items.js';
import type { GraphFeature } from './kit.js';
import { registerServicePrincipalRoutes } from './service-principals.js';

export interface GraphSlots {
  graphRoutes: readonly GraphFeature[];
  /** The resources those routes serve, for `$metadata` and the API reference's property tables. */
  graphResources: readonly ResourceSet[];
}

export const graphFeature: Feature<GraphSlots> = {
  name: 'graph',
  graphRoutes: [registerAuditRoutes, registerDeletedItemRoutes, registerServicePrincipalRoutes, registerAppRoleAssignmentRoutes],
};
