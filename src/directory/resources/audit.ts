/** Graph's `directoryAudit` (one audit event), reached through the `auditLogs` singleton. */
import { type ComplexTypeDescription, defineResource } from '../../platform/odata/resource.js';

export const directoryAuditResource = defineResource({
  name: 'directoryAudit',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, filter: ['eq'], doc: "The event's id." },
    category: { type: 'Edm.String', default: true, filter: ['eq', 'ne', 'in'], doc: 'What kind of object changed: UserManagement, GroupManagement, Policy…' },
    correlationId: { type: 'Edm.String', default: true, filter: ['eq'], doc: 'Ties together the events of one operation.' },
    result: { type: 'Edm.String', default: true, filter: ['eq', 'ne'], values: ['success', 'failure'], doc: 'success or failure.' },
    resultReason: { type: 'Edm.String', default: true, doc: 'Why it failed; empty on success.' },
    activityDisplayName: { type: 'Edm.String', default: true, filter: ['eq', 'ne', 'in', 'startswith'], doc: 'What happened, such as "Invite external user".' },
    activityDateTime: { type: 'Edm.DateTimeOffset', default: true, filter: ['eq', 'gt', 'ge', 'lt', 'le'], sortable: true, doc: 'When it happened.' },
    loggedByService: { type: 'Edm.String', default: true, filter: ['eq', 'ne', 'in'], doc: 'The part of the service that wrote it.' },
    operationType: { type: 'Edm.String', default: true, doc: 'Add, Update, Delete…' },
    initiatedBy: { type: 'microsoft.graph.auditActivityInitiator', default: true, doc: 'The user or app that did it.' },
    targetResources: { type: 'Collection(microsoft.graph.targetResource)', nullable: false, default: true, doc: 'The objects it changed.' },
    additionalDetails: {
      type: 'Collection(microsoft.graph.keyValue)',
      nullable: false,
      default: true,
      doc: 'Further details, as names and values.',
    },
  },
});

/** The `auditLogs` singleton: the root of the audit logs. */
export const auditLogRootResource = defineResource({
  name: 'auditLogRoot',
  singleton: 'auditLogs',
  properties: {},
  navigation: {
    directoryAudits: {
      type: 'microsoft.graph.directoryAudit',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's audit events, newest first.",
    },
    signIns: {
      type: 'microsoft.graph.signIn',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's sign-in log, newest first (kept FOYER_SIGNIN_LOG_RETENTION_DAYS days).",
    },
  },
});

export const auditComplexTypes: readonly ComplexTypeDescription[] = [
  { name: 'auditActivityInitiator', properties: { user: { type: 'microsoft.graph.userIdentity' }, app: { type: 'microsoft.graph.appIdentity' } } },
  {
    name: 'userIdentity',
    properties: {
      id: { type: 'Edm.String' },
      displayName: { type: 'Edm.String' },
      userPrincipalName: { type: 'Edm.String' },
      ipAddress: { type: 'Edm.String' },
    },
  },
  {
    name: 'appIdentity',
    properties: {
      appId: { type: 'Edm.String' },
      displayName: { type: 'Edm.String' },
      servicePrincipalId: { type: 'Edm.String' },
      servicePrincipalName: { type: 'Edm.String' },
    },
  },
  {
    name: 'targetResource',
    properties: {
      id: { type: 'Edm.String' },
      displayName: { type: 'Edm.String' },
      type: { type: 'Edm.String' },
      userPrincipalName: { type: 'Edm.String' },
      groupType: { type: 'Edm.String' },
      modifiedProperties: { type: 'Collection(microsoft.graph.modifiedProperty)', nullable: false },
    },
  },
  { name: 'modifiedProperty', properties: { displayName: { type: 'Edm.String' }, oldValue: { type: 'Edm.String' }, newValue: { type: 'Edm.String' } } },
  { name: 'keyValue', properties: { key: { type: 'Edm.String' }, value: { type: 'Edm.String' } } },
];
