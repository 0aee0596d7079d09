/** Graph's `user` resource as Foyer keeps it: members and guests alike. */
import { defineResource } from '../../platform/odata/resource.js';
import { directoryObjectResource } from './directory-object.js';

const text = ['eq', 'ne', 'in', 'startswith'] as const;
const address = [...text, 'endswith'] as const;
const exact = ['eq', 'ne', 'in'] as const;
const times = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
/** Settable when creating and when updating, not required. */
const settable = { create: 'optional', update: true } as const;

export const userResource = defineResource({
  name: 'user',
  base: directoryObjectResource,
  entitySet: 'users',
  // Graph's default property set for users, in the order Graph returns it.
  properties: {
    businessPhones: {
      type: 'Collection(Edm.String)',
      nullable: false,
      default: true,
      filter: ['eq'],
      ...settable,
      doc: 'The business phone number (Graph keeps one).',
    },
    displayName: { type: 'Edm.String', default: true, filter: text, sortable: true, create: 'required', update: true, doc: 'The name shown for the person.' },
    givenName: { type: 'Edm.String', default: true, filter: text, ...settable, doc: 'First name.' },
    jobTitle: { type: 'Edm.String', default: true, filter: text, ...settable, doc: 'Job title (compared exactly in filters).' },
    mail: { type: 'Edm.String', default: true, filter: address, ...settable, doc: 'The e-mail address; defaults to the user principal name.' },
    mobilePhone: { type: 'Edm.String', default: true, filter: text, ...settable, doc: 'Mobile phone number.' },
    officeLocation: { type: 'Edm.String', default: true, filter: text, ...settable, doc: 'Office location.' },
    preferredLanguage: { type: 'Edm.String', default: true, filter: exact, ...settable, doc: 'Language tag, such as sv-SE.' },
    surname: { type: 'Edm.String', default: true, filter: text, ...settable, doc: 'Last name.' },
    userPrincipalName: {
      type: 'Edm.String',
      default: true,
      filter: address,
      sortable: true,
      create: 'required',
      update: true,
      doc: "The sign-in name; a member's domain is one of the tenant's verified domains.",
    },
    companyName: { type: 'Edm.String', filter: text, ...settable, doc: 'Company name.' },
    mailNickname: { type: 'Edm.String', filter: text, ...settable, doc: "The mail alias; defaults to the user principal name's local part." },
    department: { type: 'Edm.String', filter: text, ...settable, doc: 'Department.' },
    employeeId: { type: 'Edm.String', filter: text, ...settable, doc: 'Employee identifier (16 characters at most).' },
    employeeType: { type: 'Edm.String', filter: text, ...settable, doc: 'Employee type, such as Employee or Contractor.' },
    usageLocation: { type: 'Edm.String', filter: text, ...settable, doc: 'Two-letter country code (ISO 3166).' },
    city: { type: 'Edm.String', filter: text, ...settable, doc: 'City.' },
    country: { type: 'Edm.String', filter: text, ...settable, doc: 'Country or region.' },
    state: { type: 'Edm.String', filter: text, ...settable, doc: 'State or province.' },
    streetAddress: { type: 'Edm.String', filter: text, ...settable, doc: 'Street address.' },
    postalCode: { type: 'Edm.String', filter: text, ...settable, doc: 'Postal code.' },
    userType: { type: 'Edm.String', filter: exact, values: ['Member', 'Guest'], update: true, doc: 'Member or Guest.' },
    externalUserState: {
      type: 'Edm.String',
      filter: exact,
      values: ['PendingAcceptance', 'Accepted'],
      doc: "A guest's invitation state: PendingAcceptance or Accepted; null for members.",
    },
    externalUserStateChangeDateTime: { type: 'Edm.DateTimeOffset', filter: times, doc: 'When externalUserState last changed.' },
    creationType: {
      type: 'Edm.String',
      filter: exact,
      values: ['Invitation', 'LocalAccount', 'EmailVerified', 'SelfServiceSignUp'],
      doc: 'How the account was made: Invitation for guests, null for members created by an administrator.',
    },
    accountEnabled: { type: 'Edm.Boolean', filter: ['eq', 'ne'], ...settable, doc: 'Whether the person may sign in.' },
    createdDateTime: { type: 'Edm.DateTimeOffset', filter: times, sortable: 'advanced', doc: 'When the user was created.' },
    otherMails: { type: 'Collection(Edm.String)', nullable: false, filter: ['eq'], ...settable, doc: 'Further e-mail addresses.' },
    identities: {
      type: 'Collection(microsoft.graph.objectIdentity)',
      nullable: false,
      filter: ['eq'],
      doc: 'The identities the person signs in with (issuer, issuerAssignedId, signInType).',
    },
    signInSessionsValidFromDateTime: {
      type: 'Edm.DateTimeOffset',
      doc: "Sign-ins before this time no longer count (see revokeSignInSessions); the account's creation when never revoked.",
    },
    signInActivity: {
      type: 'microsoft.graph.signInActivity',
      doc:
        'The last sign-in (lastSignInDateTime, any outcome) and the last successful one (lastSuccessfulSignInDateTime); returned only with ' +
        '$select and to callers that may read the sign-in log (AuditLog.Read.All); filter and order by signInActivity/lastSignInDateTime ' +
        'or signInActivity/lastSuccessfulSignInDateTime (null until the first sign-in).',
    },
    passwordProfile: {
      type: 'microsoft.graph.passwordProfile',
      selectable: false,
      create: 'required',
      update: true,
      doc: "The password, checked against the tenant's password policy; never returned.",
    },
  },
  navigation: {
    appRoleAssignments: {
      type: 'microsoft.graph.appRoleAssignment',
      collection: true,
      expandable: false,
      doc: 'The apps the user is assigned to directly.',
    },
    memberOf: {
      type: 'microsoft.graph.directoryObject',
      collection: true,
      expandable: true,
      doc: 'Groups and directory roles the user is a direct member of.',
    },
    transitiveMemberOf: {
      type: 'microsoft.graph.directoryObject',
      collection: true,
      expandable: false,
      doc: 'Groups and directory roles the user belongs to, directly or through groups.',
    },
    manager: { type: 'microsoft.graph.directoryObject', collection: false, expandable: true, doc: "The user's manager." },
    directReports: { type: 'microsoft.graph.directoryObject', collection: true, expandable: true, doc: 'The users who have this user as manager.' },
    // Described, with its methods, by the MFA feature (src/mfa/method-resources.ts).
    authentication: {
      type: 'microsoft.graph.authentication',
      collection: false,
      expandable: false,
      containsTarget: true,
      doc: "The user's authentication methods (password, authenticator apps, passkeys).",
    },
  },
  unsupported: [
    'aboutMe',
    'ageGroup',
    'assignedLicenses',
    'assignedPlans',
    'birthday',
    'consentProvidedForMinor',
    'employeeHireDate',
    'employeeLeaveDateTime',
    'employeeOrgData',
    'faxNumber',
    'hireDate',
    'imAddresses',
    'interests',
    'isResourceAccount',
    'legalAgeGroupClassification',
    'onPremisesDistinguishedName',
    'onPremisesDomainName',
    'onPremisesExtensionAttributes',
    'onPremisesImmutableId',
    'onPremisesLastSyncDateTime',
    'onPremisesSamAccountName',
    'onPremisesSecurityIdentifier',
    'onPremisesSyncEnabled',
    'onPremisesUserPrincipalName',
    'passwordPolicies',
    'pastProjects',
    'preferredDataLocation',
    'preferredName',
    'proxyAddresses',
    'responsibilities',
    'schools',
    'securityIdentifier',
    'showInAddressList',
    'skills',
  ],
});
