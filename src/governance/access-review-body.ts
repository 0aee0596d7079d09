/**
 * What an access review definition is, and the Graph request bodies that make one: the subset of Graph's
 * `accessReviewScheduleDefinition` Foyer runs. The scope is one of three Graph queries written exactly as
 * Entra writes them (the tenant's guests, the guests in a group, the guests assigned to an app); any other
 * query is refused as "not supported by Foyer" rather than read loosely, so a review never covers other
 * people than its author meant. Graph properties Foyer does not keep are accepted only empty (SDKs send
 * `null` and `[]` for them).
 */
import { z } from 'zod';
import { FoyerError } from '../platform/errors/foyer-error.js';

export type ReviewScope = { kind: 'tenantGuests' } | { kind: 'groupGuests'; groupId: string } | { kind: 'appGuests'; servicePrincipalId: string };

/** Who reviews a guest: the guest's sponsors, or a named user of the tenant. */
export type ReviewerSpec = { kind: 'sponsors' } | { kind: 'user'; userId: string };

export type DefaultDecision = 'Approve' | 'Deny' | 'None';

export interface ReviewRecurrence {
  pattern: { type: 'weekly' | 'absoluteMonthly'; interval: number };
  range: { type: 'noEnd' | 'endDate' | 'numbered'; startDate: string; endDate: string | null; numberOfOccurrences: number };
}

export interface ReviewSettings {
  instanceDurationInDays: number;
  /** Null: one instance, starting at once. */
  recurrence: ReviewRecurrence | null;
  mailNotificationsEnabled: boolean;
  reminderNotificationsEnabled: boolean;
  justificationRequiredOnApproval: boolean;
  recommendationsEnabled: boolean;
  defaultDecisionEnabled: boolean;
  defaultDecision: DefaultDecision;
  autoApplyDecisionsEnabled: boolean;
  /** Foyer's extension of `disableAndDeleteUserApplyAction`: days between disabling a denied guest and deleting them. */
  deleteAfterDays: number;
  descriptionForAdmins: string | null;
}

export interface ReviewDefinitionInput {
  displayName: string;
  descriptionForReviewers: string | null;
  scope: ReviewScope;
  reviewers: ReviewerSpec[];
  fallbackReviewers: ReviewerSpec[];
  settings: ReviewSettings;
}

/** Entra blocks a denied guest from signing in for 30 days, then removes them. */
export const DEFAULT_DELETE_AFTER_DAYS = 30;

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const TENANT_GUESTS = /^\/users\/?\?\$filter=\(?\s*userType\s+eq\s+'Guest'\s*\)?$/i;
const GROUP_GUESTS = new RegExp(
  `^/groups/(${GUID})/transitiveMembers/microsoft\\.graph\\.user/?\\?(?:\\$count=true&)?\\$filter=\\(?\\s*userType\\s+eq\\s+'Guest'\\s*\\)?$`,
  'i',
);
const APP_GUESTS = new RegExp(`^/servicePrincipals/(${GUID})/appRoleAssignedTo$`, 'i');
const NAMED_USER = new RegExp(`^(?:/v1\\.0|/beta)?/users/(${GUID})$`, 'i');

/** The Graph query a scope is written as (what a GET shows). */
export function scopeQuery(scope: ReviewScope): string {
  if (scope.kind === 'tenantGuests') return "/users?$filter=(userType eq 'Guest')";
  if (scope.kind === 'groupGuests') return `/groups/${scope.groupId}/transitiveMembers/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')`;
  return `/servicePrincipals/${scope.servicePrincipalId}/appRoleAssignedTo`;
}

export function reviewerQuery(r: ReviewerSpec): string {
  return r.kind === 'sponsors' ? './sponsors' : `/users/${r.userId}`;
}

/** A Graph property Foyer does not keep: absent, null, false, 0, '' or an empty list only. */
const unsupported = (why: string) =>
  z
    .unknown()
    .optional()
    .refine((v) => v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0), {
      error: `not supported by Foyer (${why})`,
    });

const odataType = (name: string) =>
  z
    .string()
    .optional()
    .refine((t) => t === undefined || t.replace(/^#/, '').toLowerCase() === `microsoft.graph.${name}`.toLowerCase(), {
      error: `expected #microsoft.graph.${name}`,
    });

const scopeBody = z.strictObject({
  '@odata.type': odataType('accessReviewQueryScope'),
  query: z.string().trim().max(500),
  queryType: z.literal('MicrosoftGraph', { error: 'expected MicrosoftGraph' }).optional(),
  queryRoot: z.null().optional(),
});

const reviewerBody = z.strictObject({
  '@odata.type': odataType('accessReviewReviewerScope'),
  query: z.string().trim().max(200),
  queryType: z.literal('MicrosoftGraph', { error: 'expected MicrosoftGraph' }).optional(),
  queryRoot: z.null().optional(),
});

const dateText = z
  .string()
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), { error: 'expected a date such as 2026-01-31' });

const recurrenceBody = z.strictObject({
  pattern: z.strictObject({
    type: z.enum(['weekly', 'absoluteMonthly'], { error: 'expected weekly or absoluteMonthly (Foyer supports these two patterns)' }),
    interval: z.number().int().min(1).max(12),
    month: unsupported('monthly patterns repeat on the start date'),
    dayOfMonth: unsupported('monthly patterns repeat on the start date'),
    daysOfWeek: unsupported('weekly patterns repeat on the start date'),
    firstDayOfWeek: unsupported('weekly patterns repeat on the start date'),
    index: unsupported('weekly patterns repeat on the start date'),
  }),
  range: z.strictObject({
    type: z.enum(['noEnd', 'endDate', 'numbered'], { error: 'expected noEnd, endDate or numbered' }),
    startDate: dateText,
    endDate: dateText.nullish(),
    numberOfOccurrences: z.number().int().min(0).max(1000).optional(),
    recurrenceTimeZone: unsupported('times are UTC'),
  }),
});

const applyActionBody = z.strictObject({
  '@odata.type': z.string().refine((t) => t.replace(/^#/, '').toLowerCase() === 'microsoft.graph.disableanddeleteuserapplyaction', {
    error: 'not supported by Foyer: its one apply action is #microsoft.graph.disableAndDeleteUserApplyAction (removeAccessApplyAction is not)',
  }),
  deleteAfterDays: z.number().int().min(0).max(365).optional(),
});

const settingsBody = z.strictObject({
  instanceDurationInDays: z.number().int().min(1).max(365),
  recurrence: recurrenceBody.nullish(),
  mailNotificationsEnabled: z.boolean().optional(),
  /** Kept and shown as sent; Foyer e-mails reviewers when an instance starts and sends no reminders (docs/api.md). */
  reminderNotificationsEnabled: z.boolean().optional(),
  justificationRequiredOnApproval: z.boolean().optional(),
  recommendationsEnabled: z.boolean().optional(),
  defaultDecisionEnabled: z.boolean().optional(),
  defaultDecision: z.enum(['Approve', 'Deny', 'None'], { error: 'expected Approve, Deny or None (Recommendation is not supported by Foyer)' }).optional(),
  autoApplyDecisionsEnabled: z.boolean().optional(),
  applyActions: z.array(applyActionBody).max(1).optional(),
  decisionHistoriesForReviewersEnabled: unsupported('decision histories'),
  recommendationLookBackDuration: unsupported('recommendations look back 30 days'),
  recommendationInsightSettings: unsupported('recommendation insights'),
});

export const createDefinitionBody = z.strictObject({
  displayName: z.string().trim().min(1).max(256),
  descriptionForReviewers: z.string().max(256).nullish(),
  descriptionForAdmins: z.string().max(256).nullish(),
  scope: scopeBody,
  reviewers: z.array(reviewerBody).min(1, { error: 'name at least one reviewer' }).max(25),
  fallbackReviewers: z.array(reviewerBody).max(25).nullish(),
  settings: settingsBody,
  instanceEnumerationScope: unsupported('the scope names the group or app'),
  backupReviewers: unsupported('use fallbackReviewers'),
  additionalNotificationRecipients: unsupported('reviewers are notified'),
  stageSettings: unsupported('multi-stage reviews'),
  id: unsupported('ids are assigned by Foyer'),
  status: unsupported('status is read-only'),
  createdDateTime: unsupported('read-only'),
  lastModifiedDateTime: unsupported('read-only'),
  createdBy: unsupported('read-only'),
});

const notSupported = (what: string, why: string) => new FoyerError('request.invalid_body', `${what} is not supported by Foyer: ${why}`);

export function scopeOf(body: z.infer<typeof scopeBody>): ReviewScope {
  const q = body.query;
  if (TENANT_GUESTS.test(q)) return { kind: 'tenantGuests' };
  const group = GROUP_GUESTS.exec(q);
  if (group) return { kind: 'groupGuests', groupId: group[1]!.toLowerCase() };
  const app = APP_GUESTS.exec(q);
  if (app) return { kind: 'appGuests', servicePrincipalId: app[1]!.toLowerCase() };
  throw notSupported(
    `The scope query '${q.slice(0, 200)}'`,
    "it reviews the tenant's guests (/users?$filter=(userType eq 'Guest')), the guests in a group (/groups/{id}/transitiveMembers/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')) or the guests assigned to an app (/servicePrincipals/{id}/appRoleAssignedTo).",
  );
}

function reviewersOf(list: z.infer<typeof reviewerBody>[], property: string, sponsorsAllowed: boolean): ReviewerSpec[] {
  const out: ReviewerSpec[] = [];
  for (const r of list) {
    const named = NAMED_USER.exec(r.query);
    let spec: ReviewerSpec;
    if (named) spec = { kind: 'user', userId: named[1]!.toLowerCase() };
    else if (sponsorsAllowed && r.query === './sponsors') spec = { kind: 'sponsors' };
    else
      throw notSupported(
        `The ${property} query '${r.query.slice(0, 200)}'`,
        sponsorsAllowed ? "reviewers are the guests' sponsors (./sponsors) or named users (/users/{id})." : 'fallback reviewers are named users (/users/{id}).',
      );
    if (!out.some((o) => reviewerQuery(o) === reviewerQuery(spec))) out.push(spec);
  }
  return out;
}

function recurrenceOf(body: z.infer<typeof recurrenceBody> | null | undefined, durationDays: number): ReviewRecurrence | null {
  if (!body) return null;
  const { pattern, range } = body;
  if (range.type === 'endDate' && !range.endDate) throw new FoyerError('request.invalid_body', "A recurrence range of type endDate needs 'endDate'.");
  if (range.type === 'numbered' && !(range.numberOfOccurrences && range.numberOfOccurrences >= 1)) {
    throw new FoyerError('request.invalid_body', "A recurrence range of type numbered needs 'numberOfOccurrences' of 1 or more.");
  }
  const periodDays = pattern.type === 'weekly' ? 7 * pattern.interval : 28 * pattern.interval;
  if (durationDays > periodDays) {
    throw new FoyerError(
      'request.invalid_body',
      `instanceDurationInDays (${durationDays}) is longer than the recurrence (${periodDays} days): instances would overlap.`,
    );
  }
  return {
    pattern: { type: pattern.type, interval: pattern.interval },
    range: {
      type: range.type,
      startDate: range.startDate,
      endDate: range.type === 'endDate' ? (range.endDate ?? null) : null,
      numberOfOccurrences: range.type === 'numbered' ? (range.numberOfOccurrences ?? 1) : 0,
    },
  };
}

/** The definition a valid create body describes (references to groups, apps and users are checked by the caller). */
export function definitionOf(body: z.infer<typeof createDefinitionBody>): ReviewDefinitionInput {
  const s = body.settings;
  if (s.autoApplyDecisionsEnabled === true && s.applyActions !== undefined && s.applyActions.length === 0) {
    throw new FoyerError('request.invalid_body', 'autoApplyDecisionsEnabled needs an apply action: #microsoft.graph.disableAndDeleteUserApplyAction.');
  }
  const defaultDecision = s.defaultDecision ?? 'None';
  const reviewers = reviewersOf(body.reviewers, 'reviewers', true);
  return {
    displayName: body.displayName,
    descriptionForReviewers: body.descriptionForReviewers ?? null,
    scope: scopeOf(body.scope),
    reviewers,
    fallbackReviewers: reviewersOf(body.fallbackReviewers ?? [], 'fallbackReviewers', false),
    settings: {
      instanceDurationInDays: s.instanceDurationInDays,
      recurrence: recurrenceOf(s.recurrence, s.instanceDurationInDays),
      mailNotificationsEnabled: s.mailNotificationsEnabled ?? true,
      reminderNotificationsEnabled: s.reminderNotificationsEnabled ?? false,
      justificationRequiredOnApproval: s.justificationRequiredOnApproval ?? false,
      recommendationsEnabled: s.recommendationsEnabled ?? false,
      defaultDecisionEnabled: s.defaultDecisionEnabled ?? false,
      defaultDecision,
      autoApplyDecisionsEnabled: s.autoApplyDecisionsEnabled ?? false,
      deleteAfterDays: s.applyActions?.[0]?.deleteAfterDays ?? DEFAULT_DELETE_AFTER_DAYS,
      descriptionForAdmins: body.descriptionForAdmins ?? null,
    },
  };
}

/** The decision a reviewer records (PATCH …/decisions/{id}). */
export const decisionBody = z.strictObject({
  decision: z.enum(['Approve', 'Deny', 'NotReviewed'], { error: 'expected Approve, Deny or NotReviewed (DontKnow is not supported by Foyer)' }),
  justification: z.string().max(500).nullish(),
});
