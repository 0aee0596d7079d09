/** Graph's `signIn` (one entry of the sign-in log), reached through the `auditLogs` singleton, and users' `signInActivity`. */
import { type ComplexTypeDescription, defineResource } from '../../platform/odata/resource.js';

const times = ['eq', 'gt', 'ge', 'lt', 'le'] as const;
const text = ['eq', 'ne', 'in', 'startswith'] as const;

export const signInResource = defineResource({
  name: 'signIn',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, filter: ['eq'], doc: "The entry's id." },
    createdDateTime: { type: 'Edm.DateTimeOffset', nullable: false, default: true, filter: times, sortable: true, doc: 'When the sign-in was attempted.' },
    userDisplayName: { type: 'Edm.String', default: true, filter: text, doc: "The user's name when the entry was written." },
    userPrincipalName: {
      type: 'Edm.String',
      default: true,
      filter: text,
      doc: "The user's sign-in name; the name as typed when it matched no user of the tenant.",
    },
    userId: {
      type: 'Edm.String',
      default: true,
      filter: ['eq', 'ne', 'in'],
      doc: "The user's id; empty when the typed name matched no user, or for an app's own sign-in.",
    },
    userType: { type: 'Edm.String', default: true, filter: ['eq', 'ne'], values: ['member', 'guest'], doc: 'member or guest.' },
    appId: { type: 'Edm.String', default: true, filter: ['eq', 'ne', 'in'], doc: "The app's client id." },
    appDisplayName: { type: 'Edm.String', default: true, filter: text, doc: "The app's name." },
    ipAddress: {
      type: 'Edm.String',
      default: true,
      filter: ['eq', 'startswith'],
      doc: "The client's address, as Foyer saw it (behind FOYER_TRUST_PROXY, the forwarded one).",
    },
    clientAppUsed: {
      type: 'Edm.String',
      default: true,
      filter: ['eq', 'ne'],
      doc: 'Browser for sign-in pages; Mobile Apps and Desktop clients for an app signing in as itself.',
    },
    isInteractive: { type: 'Edm.Boolean', default: true, filter: ['eq', 'ne'], doc: "Whether a person signed in (false: an app's own token)." },
    status: {
      type: 'microsoft.graph.signInStatus',
      default: true,
      doc: "errorCode 0 on success, else the AADSTS number and Entra's failureReason; filter on status/errorCode.",
    },
    homeTenantId: { type: 'Edm.String', default: true, filter: ['eq', 'ne'], doc: "The tenant of the user's home account, when it is on this instance." },
    resourceTenantId: { type: 'Edm.String', default: true, filter: ['eq'], doc: 'The tenant signed in to (this one).' },
    crossTenantAccessType: {
      type: 'Edm.String',
      default: true,
      filter: ['eq', 'ne'],
      values: ['none', 'b2bCollaboration'],
      doc: 'b2bCollaboration for guests, none for members.',
    },
    appliedConditionalAccessPolicies: {
      type: 'Collection(microsoft.graph.appliedConditionalAccessPolicy)',
      nullable: false,
      default: true,
      doc: 'The Conditional Access policies evaluated, report-only ones included, and their result.',
    },
    conditionalAccessStatus: {
      type: 'Edm.String',
      nullable: false,
      default: true,
      values: ['success', 'failure', 'notApplied', 'unknownFutureValue'],
      doc: 'From the enforced policies applied: failure if one failed, else success if one succeeded, else notApplied.',
    },
  },
  unsupported: [
    'authenticationDetails',
    'correlationId',
    'deviceDetail',
    'location',
    'resourceDisplayName',
    'resourceId',
    'riskDetail',
    'riskEventTypes_v2',
    'riskLevelAggregated',
    'riskLevelDuringSignIn',
    'riskState',
  ],
});

export const signInComplexTypes: readonly ComplexTypeDescription[] = [
  {
    name: 'signInStatus',
    properties: { errorCode: { type: 'Edm.Int32', filter: ['eq', 'ne'] }, failureReason: { type: 'Edm.String' }, additionalDetails: { type: 'Edm.String' } },
  },
  {
    name: 'appliedConditionalAccessPolicy',
    properties: {
      id: { type: 'Edm.String' },
      displayName: { type: 'Edm.String' },
      enforcedGrantControls: { type: 'Collection(Edm.String)' },
      enforcedSessionControls: { type: 'Collection(Edm.String)' },
      result: { type: 'Edm.String' },
    },
  },
  {
    name: 'signInActivity',
    properties: {
      lastSignInDateTime: { type: 'Edm.DateTimeOffset', filter: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'], sortable: true },
      lastSuccessfulSignInDateTime: { type: 'Edm.DateTimeOffset', filter: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'], sortable: true },
    },
  },
];
