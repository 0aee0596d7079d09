/**
 * Conditional Access, as Entra evaluates it for one interactive sign-in: which of a tenant's policies
 * apply to this user and this app, whether the enforced ones require multi-factor authentication, how
 * often the user must sign in again, and what the sign-in log records for each policy
 * (`appliedConditionalAccessPolicy`). Pure: the facts (the user's transitive groups, directory roles)
 * are gathered by `policies.ts`, the decisions are made here, and a table of cases tests them.
 *
 * Entra's rules kept here (learn.microsoft.com/entra/identity/conditional-access/concept-conditional-access-users-groups,
 * …/concept-conditional-access-cloud-apps, …/concept-conditional-access-report-only):
 * - a policy applies when the user is included (a user id, `All`, `GuestsOrExternalUsers` for an external
 *   user, a group the user is in, directly or through nested groups, a directory role the user holds) and not
 *   excluded (the same tests), and the app is included (`All`, or its appId) and not excluded;
 *   exclusions win over inclusions; `None` includes nobody and no app;
 * - a sign-in without an app (a redemption landing, the security-info page) matches `All` only;
 * - `GuestsOrExternalUsers` is Graph's `guestsOrExternalUsers`: B2B collaboration guests and B2B
 *   collaboration members (people invited as `Member`, `creationType` `Invitation`) alike;
 * - a disabled policy is not evaluated (`notEnabled`); a report-only policy is evaluated and recorded but
 *   never enforces anything, neither MFA nor a sign-in frequency. Its result is what enforcing it would
 *   have done: `reportOnlySuccess` when the sign-in satisfied it, `reportOnlyInterrupted` when it would have
 *   interrupted the sign-in to ask for MFA (`reportOnlyFailure` is for a policy that would have blocked,
 *   and Foyer has no blocking control);
 * - grant controls other than `mfa` are not supported by Foyer (refused when a policy is written), so with
 *   `OR` or `AND` an enforced policy with `mfa` requires MFA;
 * - several enforced policies with a sign-in frequency: the shortest wins.
 */

export type PolicyState = 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';

export interface ConditionalAccessPolicy {
  id: string;
  displayName: string;
  state: PolicyState;
  createdDateTime: string;
  modifiedDateTime: string | null;
  conditions: {
    users: {
      includeUsers: string[];
      excludeUsers: string[];
      includeGroups: string[];
      excludeGroups: string[];
      includeRoles: string[];
      excludeRoles: string[];
    };
    applications: { includeApplications: string[]; excludeApplications: string[] };
    clientAppTypes: string[];
  };
  grantControls: { operator: 'OR' | 'AND'; builtInControls: string[] } | null;
  sessionControls: { signInFrequency: { value: number; type: 'hours' | 'days'; isEnabled: boolean } | null } | null;
}

export interface SignInSubject {
  userId: string;
  userType: 'Member' | 'Guest';
  /** A guest, or a member invited from outside (`creationType` `Invitation`): what `GuestsOrExternalUsers` names. */
  external: boolean;
  /** Every group the user is in, directly or through nested groups. */
  groupIds: readonly string[];
  roleTemplateIds: readonly string[];
  /** undefined: no app (a redemption landing, the security-info page): only `All` matches. */
  appId: string | undefined;
}

export interface PolicyOutcome {
  /** An enabled policy that applies requires MFA. */
  requireMfa: boolean;
  /** The shortest signInFrequency of the enabled policies that apply, in seconds. */
  signInFrequencySeconds?: number;
  /** Every policy with whether it applies (report-only ones too). */
  evaluated: Array<{ policy: ConditionalAccessPolicy; applies: boolean }>;
}

/** Graph's appliedConditionalAccessPolicy for the sign-in record. */
export interface AppliedPolicy {
  id: string;
  displayName: string;
  enforcedGrantControls: string[];
  enforcedSessionControls: string[];
  result: 'success' | 'failure' | 'notApplied' | 'notEnabled' | 'reportOnlySuccess' | 'reportOnlyFailure' | 'reportOnlyNotApplied' | 'reportOnlyInterrupted';
}

/** The special values of `includeUsers` / `excludeUsers` and `includeApplications`. */
export const ALL = 'All';
export const NONE = 'None';
export const GUESTS_OR_EXTERNAL_USERS = 'GuestsOrExternalUsers';

/**
 * Foyer's sign-ins are all interactive, in a browser: a policy limited to other client types (legacy
 * protocols, Exchange ActiveSync) never applies, one limited to `browser` or open to `all` does.
 */
const FOYER_CLIENT_APP_TYPES = new Set(['all', 'browser']);

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const anyOf = (list: readonly string[], values: readonly string[]) => list.some((x) => values.some((v) => same(x, v)));

/** Whether `users` (an include or an exclude side) names this subject. */
function namesUser(ids: readonly string[], groups: readonly string[], roles: readonly string[], subject: SignInSubject, includeSide: boolean): boolean {
  if (includeSide && ids.some((x) => same(x, ALL))) return true;
  if (ids.some((x) => same(x, GUESTS_OR_EXTERNAL_USERS)) && subject.external) return true;
  if (anyOf(ids, [subject.userId])) return true;
  return anyOf(groups, subject.groupIds) || anyOf(roles, subject.roleTemplateIds);
}

function appliesTo(policy: ConditionalAccessPolicy, subject: SignInSubject): boolean {
  const { users, applications, clientAppTypes } = policy.conditions;
  if (clientAppTypes.length > 0 && !clientAppTypes.some((t) => FOYER_CLIENT_APP_TYPES.has(t))) return false;
  if (users.includeUsers.some((x) => same(x, NONE))) return false;
  if (!namesUser(users.includeUsers, users.includeGroups, users.includeRoles, subject, true)) return false;
  if (namesUser(users.excludeUsers, users.excludeGroups, users.excludeRoles, subject, false)) return false;
  const apps = applications.includeApplications;
  if (apps.some((x) => same(x, NONE))) return false;
  const includesApp = apps.some((x) => same(x, ALL)) || (subject.appId !== undefined && anyOf(apps, [subject.appId]));
  if (!includesApp) return false;
  return !(subject.appId !== undefined && anyOf(applications.excludeApplications, [subject.appId]));
}

const requiresMfa = (policy: ConditionalAccessPolicy) => policy.grantControls?.builtInControls.some((c) => same(c, 'mfa')) ?? false;

function frequencySeconds(policy: ConditionalAccessPolicy): number | undefined {
  const f = policy.sessionControls?.signInFrequency;
  if (!f?.isEnabled) return undefined;
  return f.value * (f.type === 'days' ? 86_400 : 3_600);
}

export function evaluatePolicies(policies: readonly ConditionalAccessPolicy[], subject: SignInSubject): PolicyOutcome {
  const evaluated = policies.map((policy) => ({ policy, applies: policy.state !== 'disabled' && appliesTo(policy, subject) }));
  const enforced = evaluated.filter((e) => e.applies && e.policy.state === 'enabled').map((e) => e.policy);
  const frequencies = enforced.map(frequencySeconds).filter((s): s is number => s !== undefined);
  return {
    requireMfa: enforced.some(requiresMfa),
    ...(frequencies.length > 0 ? { signInFrequencySeconds: Math.min(...frequencies) } : {}),
    evaluated,
  };
}

/**
 * What the sign-in log records for each policy. The controls are the policy's own (as Entra's log lists
 * them, also for a policy that did not apply); the result says whether it applied and whether the
 * sign-in satisfied it (a policy with session controls only is satisfied by any sign-in).
 */
export function appliedPolicies(outcome: PolicyOutcome, mfaPerformed: boolean): AppliedPolicy[] {
  return outcome.evaluated.map(({ policy, applies }) => {
    const satisfied = !requiresMfa(policy) || mfaPerformed;
    let result: AppliedPolicy['result'];
    if (policy.state === 'disabled') result = 'notEnabled';
    else if (policy.state === 'enabledForReportingButNotEnforced')
      // Not satisfied means it would have asked for MFA: an interruption, not a block.
      result = !applies ? 'reportOnlyNotApplied' : satisfied ? 'reportOnlySuccess' : 'reportOnlyInterrupted';
    else result = !applies ? 'notApplied' : satisfied ? 'success' : 'failure';
    return {
      id: policy.id,
      displayName: policy.displayName,
      enforcedGrantControls: requiresMfa(policy) ? ['Mfa'] : [],
      enforcedSessionControls: policy.sessionControls?.signInFrequency?.isEnabled ? ['SignInFrequency'] : [],
      result,
    };
  });
}
