/** Every Graph resource the directory describes, in the order `$metadata` and the API reference list them. */
import type { ComplexTypeDescription, ResourceDescription } from '../../platform/odata/resource.js';
import { applicationComplexTypes, applicationResource, appRoleAssignmentResource, servicePrincipalResource } from './application.js';
import { auditComplexTypes, auditLogRootResource, directoryAuditResource } from './audit.js';
import { directoryRootResource } from './directory.js';
import { complexTypes as directoryComplexTypes, directoryObjectResource, directoryRoleResource } from './directory-object.js';
import { groupResource } from './group.js';
import { organizationalBrandingResource, organizationResource } from './organization.js';
import { signInComplexTypes, signInResource } from './sign-in.js';
import { userResource } from './user.js';

export { applicationResource, appRoleAssignmentResource, servicePrincipalResource } from './application.js';
export { auditLogRootResource, directoryAuditResource } from './audit.js';
export { directoryRootResource } from './directory.js';
export { directoryObjectResource, directoryRoleResource } from './directory-object.js';
export { groupResource } from './group.js';
export { organizationalBrandingResource, organizationResource } from './organization.js';
export { signInResource } from './sign-in.js';
export { userResource } from './user.js';

export const graphResources: readonly ResourceDescription[] = [
  directoryObjectResource,
  userResource,
  groupResource,
  organizationResource,
  organizationalBrandingResource,
  directoryRoleResource,
  applicationResource,
  servicePrincipalResource,
  appRoleAssignmentResource,
  auditLogRootResource,
  directoryAuditResource,
  signInResource,
  directoryRootResource,
];

/** Every complex type the directory's resources use. */
export const complexTypes: readonly ComplexTypeDescription[] = [
  ...directoryComplexTypes,
  ...applicationComplexTypes,
  ...auditComplexTypes,
  ...signInComplexTypes,
];
