/**
 * The Graph resources of access reviews, for `$metadata` and the API reference: `accessReviews` below the
 * `identityGovernance` singleton (terms-resources.ts declares the navigation), its `definitions`, their
 * `instances`, and the `decisions` in each, with the complex types their answers hold.
 */
import { defineResource, type ResourceSet } from '../platform/odata/resource.js';

const accessReviewSetResource = defineResource({
  name: 'accessReviewSet',
  properties: {},
  navigation: {
    definitions: {
      type: 'microsoft.graph.accessReviewScheduleDefinition',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's access reviews of guests.",
    },
  },
});

const reviewers = { type: 'Collection(microsoft.graph.accessReviewReviewerScope)', default: true, create: 'required' } as const;

const definitionResource = defineResource({
  name: 'accessReviewScheduleDefinition',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The review's id, assigned by Foyer." },
    displayName: { type: 'Edm.String', default: true, create: 'required', doc: "The review's name, in the reviewers' e-mail and page." },
    descriptionForReviewers: { type: 'Edm.String', default: true, create: 'optional', doc: 'Shown to the reviewers (256 characters at most).' },
    descriptionForAdmins: { type: 'Edm.String', default: true, create: 'optional', doc: 'For administrators only.' },
    status: {
      type: 'Edm.String',
      default: true,
      values: ['NotStarted', 'InProgress', 'Completed'],
      doc: 'NotStarted before the first instance, InProgress while one runs or another is to come, Completed after.',
    },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When the review was created.' },
    lastModifiedDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When it was created (a review is not changed).' },
    createdBy: { type: 'microsoft.graph.userIdentity', default: true, doc: 'The person or app that created it.' },
    scope: {
      type: 'microsoft.graph.accessReviewQueryScope',
      default: true,
      create: 'required',
      doc: "Whose access: the tenant's guests, a group's guests, or an app's guests (one of three queries).",
    },
    instanceEnumerationScope: { type: 'microsoft.graph.accessReviewQueryScope', default: true, doc: 'Always null: the scope names the group or app.' },
    reviewers: { ...reviewers, doc: "./sponsors (each guest's sponsors) and named users (/users/{id})." },
    fallbackReviewers: { ...reviewers, create: 'optional', doc: 'Named users who review a guest for whom the reviewers give nobody.' },
    settings: {
      type: 'microsoft.graph.accessReviewScheduleSettings',
      default: true,
      create: 'required',
      doc: 'Duration, recurrence, default decision, applying, and what happens to denied guests.',
    },
  },
  navigation: {
    instances: {
      type: 'microsoft.graph.accessReviewInstance',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: "The review's runs, oldest first.",
    },
  },
  unsupported: ['stageSettings', 'additionalNotificationRecipients', 'backupReviewers'],
});

const instanceResource = defineResource({
  name: 'accessReviewInstance',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The instance's id." },
    startDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When it started.' },
    endDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When it ends (or ended, if stopped early).' },
    status: {
      type: 'Edm.String',
      default: true,
      values: ['InProgress', 'Completed', 'Applying', 'Applied'],
      doc: 'InProgress, then Applying and Applied, or Completed until its decisions are applied on request.',
    },
    scope: { type: 'microsoft.graph.accessReviewQueryScope', default: true, doc: "The definition's scope." },
    reviewers: { type: 'Collection(microsoft.graph.accessReviewReviewerScope)', default: true, doc: "The definition's reviewers." },
    fallbackReviewers: { type: 'Collection(microsoft.graph.accessReviewReviewerScope)', default: true, doc: "The definition's fallback reviewers." },
  },
  navigation: {
    decisions: {
      type: 'microsoft.graph.accessReviewInstanceDecisionItem',
      collection: true,
      expandable: false,
      containsTarget: true,
      doc: 'One item per guest in scope.',
    },
  },
  unsupported: ['stages', 'contactedReviewers'],
});

const decisionResource = defineResource({
  name: 'accessReviewInstanceDecisionItem',
  properties: {
    id: { type: 'Edm.String', nullable: false, default: true, doc: "The item's id." },
    accessReviewId: { type: 'Edm.String', default: true, doc: 'The instance it belongs to.' },
    decision: { type: 'Edm.String', default: true, update: true, values: ['Approve', 'Deny', 'NotReviewed'], doc: 'Approve, Deny or NotReviewed.' },
    justification: { type: 'Edm.String', default: true, update: true, doc: "The reviewer's reason (500 characters at most)." },
    recommendation: { type: 'Edm.String', default: true, values: ['Approve', 'Deny'], doc: 'Deny when the guest has not signed in for 30 days.' },
    applyResult: {
      type: 'Edm.String',
      default: true,
      values: ['New', 'AppliedSuccessfully', 'AppliedSuccessfullyButObjectNotFound', 'AppliedWithUnknownFailure'],
      doc: 'What applying the decision did.',
    },
    reviewedDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When it was decided.' },
    reviewedBy: { type: 'microsoft.graph.userIdentity', default: true, doc: 'Who decided (or the default decision).' },
    appliedDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When the decision was applied.' },
    appliedBy: { type: 'microsoft.graph.userIdentity', default: true, doc: 'Access reviews, once applied.' },
    principal: { type: 'microsoft.graph.userIdentity', default: true, doc: 'The guest under review.' },
    principalLink: { type: 'Edm.String', default: true, doc: "The guest's Graph URL." },
    resource: { type: 'microsoft.graph.accessReviewQueryScope', default: true, doc: 'Always null.' },
    resourceLink: { type: 'Edm.String', default: true, doc: 'Always null.' },
    insights: { type: 'Collection(microsoft.graph.userSignInInsight)', default: true, doc: "The guest's last sign-in when the instance started." },
  },
  unsupported: ['principalResourceMembership', 'target'],
});

const text = { type: 'Edm.String' } as const;
const flag = { type: 'Edm.Boolean' } as const;

export const accessReviewResources: ResourceSet = {
  resources: [accessReviewSetResource, definitionResource, instanceResource, decisionResource],
  complexTypes: [
    { name: 'accessReviewQueryScope', properties: { query: text, queryType: text, queryRoot: text } },
    { name: 'accessReviewReviewerScope', properties: { query: text, queryType: text, queryRoot: text } },
    {
      name: 'accessReviewScheduleSettings',
      properties: {
        mailNotificationsEnabled: flag,
        reminderNotificationsEnabled: flag,
        justificationRequiredOnApproval: flag,
        defaultDecisionEnabled: flag,
        defaultDecision: text,
        instanceDurationInDays: { type: 'Edm.Int32' },
        autoApplyDecisionsEnabled: flag,
        recommendationsEnabled: flag,
        recurrence: { type: 'microsoft.graph.patternedRecurrence' },
        applyActions: { type: 'Collection(microsoft.graph.disableAndDeleteUserApplyAction)' },
      },
    },
    { name: 'patternedRecurrence', properties: { pattern: { type: 'microsoft.graph.recurrencePattern' }, range: { type: 'microsoft.graph.recurrenceRange' } } },
    {
      name: 'recurrencePattern',
      properties: {
        type: text,
        interval: { type: 'Edm.Int32' },
        month: { type: 'Edm.Int32' },
        dayOfMonth: { type: 'Edm.Int32' },
        daysOfWeek: { type: 'Collection(Edm.String)' },
        firstDayOfWeek: text,
        index: text,
      },
    },
    {
      name: 'recurrenceRange',
      properties: { type: text, startDate: text, endDate: text, recurrenceTimeZone: text, numberOfOccurrences: { type: 'Edm.Int32' } },
    },
    // Foyer's extension: deleteAfterDays (Entra deletes after a fixed 30 days).
    { name: 'disableAndDeleteUserApplyAction', properties: { deleteAfterDays: { type: 'Edm.Int32' } } },
    { name: 'userSignInInsight', properties: { lastSignInDateTime: { type: 'Edm.DateTimeOffset' } } },
  ],
};
