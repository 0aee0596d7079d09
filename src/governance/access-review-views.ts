/**
 * How access reviews look through Graph: `accessReviewScheduleDefinition`, `accessReviewInstance` and
 * `accessReviewInstanceDecisionItem`, each an allow-list of properties built from the stored objects.
 */
import { type ReviewScope, reviewerQuery, scopeQuery } from './access-review-body.js';
import type { ReviewDecision, ReviewDefinition, ReviewInstance } from './access-review-store.js';
import { definitionStatus } from './access-review-store.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** Entra recommends denying a guest who has not signed in for 30 days. */
const INACTIVE_MS = 30 * 24 * 60 * 60 * 1000;

const scopeView = (scope: ReviewScope) => ({
  '@odata.type': '#microsoft.graph.accessReviewQueryScope',
  query: scopeQuery(scope),
  queryType: 'MicrosoftGraph',
  queryRoot: null,
});

export function definitionView(d: ReviewDefinition, running: boolean) {
  const s = d.settings;
  return {
    id: d.id,
    displayName: d.displayName,
    descriptionForReviewers: d.descriptionForReviewers,
    descriptionForAdmins: s.descriptionForAdmins,
    status: definitionStatus(d, running),
    createdDateTime: iso(d.createdAt),
    lastModifiedDateTime: iso(d.createdAt),
    createdBy: d.createdBy,
    scope: scopeView(d.scope),
    instanceEnumerationScope: null,
    reviewers: d.reviewers.map((r) => ({ query: reviewerQuery(r), queryType: 'MicrosoftGraph', queryRoot: null })),
    fallbackReviewers: d.fallbackReviewers.map((r) => ({ query: reviewerQuery(r), queryType: 'MicrosoftGraph', queryRoot: null })),
    settings: {
      mailNotificationsEnabled: s.mailNotificationsEnabled,
      reminderNotificationsEnabled: s.reminderNotificationsEnabled,
      justificationRequiredOnApproval: s.justificationRequiredOnApproval,
      defaultDecisionEnabled: s.defaultDecisionEnabled,
      defaultDecision: s.defaultDecision,
      instanceDurationInDays: s.instanceDurationInDays,
      autoApplyDecisionsEnabled: s.autoApplyDecisionsEnabled,
      recommendationsEnabled: s.recommendationsEnabled,
      recurrence: s.recurrence
        ? {
            pattern: { ...s.recurrence.pattern, month: 0, dayOfMonth: 0, daysOfWeek: [], firstDayOfWeek: 'sunday', index: 'first' },
            range: { ...s.recurrence.range, recurrenceTimeZone: null },
          }
        : null,
      applyActions: [{ '@odata.type': '#microsoft.graph.disableAndDeleteUserApplyAction', deleteAfterDays: s.deleteAfterDays }],
    },
  };
}

export function instanceView(i: ReviewInstance, d: ReviewDefinition) {
  return {
    id: i.id,
    startDateTime: iso(i.startAt),
    endDateTime: iso(i.endAt),
    status: i.status,
    scope: scopeView(d.scope),
    reviewers: d.reviewers.map((r) => ({ query: reviewerQuery(r), queryType: 'MicrosoftGraph', queryRoot: null })),
    fallbackReviewers: d.fallbackReviewers.map((r) => ({ query: reviewerQuery(r), queryType: 'MicrosoftGraph', queryRoot: null })),
  };
}

export function decisionView(x: ReviewDecision, graphBase: string, now: number) {
  const active = x.lastSignInAt !== null && now - x.lastSignInAt < INACTIVE_MS;
  return {
    id: x.id,
    accessReviewId: x.instanceId,
    decision: x.decision,
    justification: x.justification,
    recommendation: active ? 'Approve' : 'Deny',
    applyResult: x.applyResult,
    reviewedDateTime: iso(x.reviewedAt),
    reviewedBy: x.reviewedBy ? { ...x.reviewedBy, ipAddress: null } : null,
    appliedDateTime: iso(x.appliedAt),
    appliedBy: x.appliedAt === null ? null : { id: null, displayName: 'Access reviews', userPrincipalName: null, ipAddress: null },
    principal: {
      '@odata.type': '#microsoft.graph.userIdentity',
      id: x.principal.id,
      displayName: x.principal.displayName,
      userPrincipalName: x.principal.userPrincipalName,
    },
    principalLink: `${graphBase}/users/${x.principal.id}`,
    resource: null,
    resourceLink: null,
    insights: [{ '@odata.type': '#microsoft.graph.userSignInInsight', lastSignInDateTime: iso(x.lastSignInAt) }],
  };
}
