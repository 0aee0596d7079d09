/**
 * The Graph resources of terms of use: the `identityGovernance` singleton (the root of the governance
 * resources; other governance resources add their navigation here), its `termsOfUse` container, the
 * `agreement`s in it with their per-language files, and each agreement's `acceptances`.
 */
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

/** The `identityGovernance` singleton: one per tenant, the root of the governance resources below it. */
const identityGovernanceResource = defineResource({
  name: 'identityGovernance',
  singleton: 'identityGovernance',
  properties: {},
  navigation: {
    termsOfUse: {
      type: 'microsoft.graph.termsOfUseContainer',
      collection: false,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's terms of use and their acceptances.",
    },
    accessReviews: {
      type: 'microsoft.graph.accessReviewSet',
      collection: false,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's access reviews of guests (access-review-resources.ts).",
    },
  },
});

const termsOfUseContainerResource = defineResource({
  name: 'termsOfUseContainer',
  properties: {},
  navigation: {
    agreements: {
      type: 'microsoft.graph.agreement',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's terms of use; every one applies to all of the tenant's guests.",
    },
  },
});

const agreementResource = defineResource({
  name: 'agreement',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The agreement's id, assigned by Foyer." },
    displayName: { type: 'Edm.String', default: true, create: 'required', update: true, doc: 'The title people see on the terms page.' },
    isViewingBeforeAcceptanceRequired: {
      type: 'Edm.Boolean',
      default: true,
      create: 'optional',
      update: true,
      doc: 'A PDF must be confirmed as read (a box ticked; opening the PDF is not tracked) before Accept counts; text is always shown in full.',
    },
    isPerDeviceAcceptanceRequired: {
      type: 'Edm.Boolean',
      default: true,
      create: 'optional',
      update: true,
      doc: 'Always false: Foyer has no device registration, and refuses true.',
    },
    userReacceptRequiredFrequency: {
      type: 'Edm.String',
      default: true,
      create: 'optional',
      update: true,
      doc: 'ISO 8601 duration (P90D): each person accepts again this long after their acceptance; null: never.',
    },
    termsExpiration: {
      type: 'microsoft.graph.termsExpiration',
      default: true,
      create: 'optional',
      update: true,
      doc: 'Every acceptance ends at startDateTime and again every frequency after it; null: never.',
    },
    version: {
      type: 'Edm.Int32',
      nullable: false,
      default: true,
      doc: 'Foyer extension: counts changes of the files; a new version must be accepted again by everyone.',
    },
    files: {
      type: 'Collection(microsoft.graph.agreementFileLocalization)',
      nullable: false,
      default: true,
      create: 'required',
      update: true,
      doc: 'The terms per language (text or PDF); inline, without fileData in a list.',
    },
  },
  navigation: {
    acceptances: {
      type: 'microsoft.graph.agreementAcceptance',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "People's answers to the agreement.",
    },
  },
  unsupported: ['file'],
});

const acceptanceResource = defineResource({
  name: 'agreementAcceptance',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The answer's id." },
    agreementId: { type: 'Edm.String', default: true, doc: 'The agreement answered.' },
    agreementFileId: { type: 'Edm.String', default: true, doc: 'The language file the person was shown.' },
    agreementVersion: { type: 'Edm.Int32', default: true, doc: 'Foyer extension: the version of the agreement answered.' },
    userId: { type: 'Edm.String', default: true, doc: 'Who answered.' },
    userDisplayName: { type: 'Edm.String', default: true, doc: 'Their name when they answered.' },
    userPrincipalName: { type: 'Edm.String', default: true, doc: 'Their sign-in name when they answered.' },
    userEmail: { type: 'Edm.String', default: true, doc: 'Their address when they answered.' },
    recordedDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When they answered.' },
    expirationDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When an acceptance stops counting; null: until the terms change.' },
    state: { type: 'Edm.String', default: true, values: ['accepted', 'declined'], doc: 'accepted or declined.' },
  },
  unsupported: ['deviceDisplayName', 'deviceId', 'deviceOSType', 'deviceOSVersion'],
});

export const termsResources: ResourceSet = {
  resources: [identityGovernanceResource, termsOfUseContainerResource, agreementResource, acceptanceResource],
  complexTypes: [
    { name: 'termsExpiration', properties: { startDateTime: { type: 'Edm.DateTimeOffset' }, frequency: { type: 'Edm.String' } } },
    {
      name: 'agreementFileLocalization',
      properties: {
        id: { type: 'Edm.String' },
        language: { type: 'Edm.String' },
        fileName: { type: 'Edm.String' },
        displayName: { type: 'Edm.String' },
        isDefault: { type: 'Edm.Boolean' },
        isMajorVersion: { type: 'Edm.Boolean' },
        createdDateTime: { type: 'Edm.DateTimeOffset' },
        fileData: { type: 'microsoft.graph.agreementFileData' },
      },
    },
    { name: 'agreementFileData', properties: { data: { type: 'Edm.String' } } },
  ],
};
