/**
 * Conditional Access evaluation, as Entra does it: one table of cases for which policies apply and what
 * they enforce, and one for what the sign-in log records of each policy.
 */
import { describe, expect, it } from 'vitest';
import {
  type AppliedPolicy,
  appliedPolicies,
  type ConditionalAccessPolicy,
  evaluatePolicies,
  type PolicyState,
  type SignInSubject,
} from '../../src/mfa/conditional-access.js';

const ALICE = '01900000-0000-7000-8000-00000000a11c';
const BOB = '01900000-0000-7000-8000-000000000b0b';
const SALES = '01900000-0000-7000-8000-00000005a1e5';
const FINANCE = '01900000-0000-7000-8000-00000f1a4ce0';
const PORTAL = '11111111-1111-4111-8111-111111111111';
const WIKI = '22222222-2222-4222-8222-222222222222';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const GUEST_INVITER = '95e79109-95c0-4d8e-aee3-d01accf2d47b';

interface PolicyShape {
  state?: PolicyState;
  includeUsers?: string[];
  excludeUsers?: string[];
  includeGroups?: string[];
  excludeGroups?: string[];
  includeRoles?: string[];
  excludeRoles?: string[];
  includeApplications?: string[];
  excludeApplications?: string[];
  clientAppTypes?: string[];
  grant?: ConditionalAccessPolicy['grantControls'];
  frequency?: { value: number; type: 'hours' | 'days'; isEnabled?: boolean };
}

let counter = 0;
function policy(shape: PolicyShape = {}): ConditionalAccessPolicy {
  counter++;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    displayName: `Policy ${counter}`,
    state: shape.state ?? 'enabled',
    createdDateTime: '2026-11-25T12:00:00Z',
    modifiedDateTime: null,
    conditions: {
      users: {
        includeUsers: shape.includeUsers ?? (shape.includeGroups || shape.includeRoles ? [] : ['All']),
        excludeUsers: shape.excludeUsers ?? [],
        includeGroups: shape.includeGroups ?? [],
        excludeGroups: shape.excludeGroups ?? [],
        includeRoles: shape.includeRoles ?? [],
        excludeRoles: shape.excludeRoles ?? [],
      },
      applications: { includeApplications: shape.includeApplications ?? ['All'], excludeApplications: shape.excludeApplications ?? [] },
      clientAppTypes: shape.clientAppTypes ?? ['all'],
    },
    grantControls: shape.grant === undefined ? { operator: 'OR', builtInControls: ['mfa'] } : shape.grant,
    sessionControls: shape.frequency ? { signInFrequency: { isEnabled: true, ...shape.frequency } } : null,
  };
}

const member: SignInSubject = { userId: ALICE, userType: 'Member', external: false, groupIds: [], roleTemplateIds: [], appId: PORTAL };
const guest: SignInSubject = { userId: BOB, userType: 'Guest', external: true, groupIds: [], roleTemplateIds: [], appId: PORTAL };
/** A B2B collaboration member: invited from outside with invitedUserType Member. */
const invitedMember: SignInSubject = { ...guest, userType: 'Member' };

const cases: Array<{ name: string; policies: PolicyShape[]; subject: SignInSubject; requireMfa: boolean; frequency?: number; applies?: boolean[] }> = [
  // users
  { name: 'All users, all apps: applies to a member', policies: [{}], subject: member, requireMfa: true },
  { name: 'All users: applies to a guest too', policies: [{}], subject: guest, requireMfa: true },
  { name: 'a user id names that user', policies: [{ includeUsers: [ALICE] }], subject: member, requireMfa: true },
  { name: 'a user id does not name another user', policies: [{ includeUsers: [ALICE] }], subject: guest, requireMfa: false, applies: [false] },
  { name: 'user ids match in any letter case', policies: [{ includeUsers: [ALICE.toUpperCase()] }], subject: member, requireMfa: true },
  { name: 'GuestsOrExternalUsers includes a guest', policies: [{ includeUsers: ['GuestsOrExternalUsers'] }], subject: guest, requireMfa: true },
  { name: 'GuestsOrExternalUsers does not include a member', policies: [{ includeUsers: ['GuestsOrExternalUsers'] }], subject: member, requireMfa: false },
  {
    name: 'GuestsOrExternalUsers includes a member invited from outside (a B2B collaboration member)',
    policies: [{ includeUsers: ['GuestsOrExternalUsers'] }],
    subject: invitedMember,
    requireMfa: true,
  },
  { name: 'None includes nobody', policies: [{ includeUsers: ['None'] }], subject: member, requireMfa: false, applies: [false] },
  // groups (transitive membership is gathered by the caller)
  {
    name: 'a group the user is in includes them',
    policies: [{ includeGroups: [SALES] }],
    subject: { ...member, groupIds: [FINANCE, SALES] },
    requireMfa: true,
  },
  { name: 'a group the user is not in does not', policies: [{ includeGroups: [SALES] }], subject: { ...member, groupIds: [FINANCE] }, requireMfa: false },
  // roles
  {
    name: 'a role the user holds includes them',
    policies: [{ includeRoles: [GLOBAL_ADMIN] }],
    subject: { ...member, roleTemplateIds: [GLOBAL_ADMIN] },
    requireMfa: true,
  },
  {
    name: 'a role the user lacks does not',
    policies: [{ includeRoles: [GLOBAL_ADMIN] }],
    subject: { ...member, roleTemplateIds: [GUEST_INVITER] },
    requireMfa: false,
  },
  // exclusions win
  { name: 'an excluded user id wins over All', policies: [{ excludeUsers: [ALICE] }], subject: member, requireMfa: false, applies: [false] },
  {
    name: 'an excluded user id wins over the same included id',
    policies: [{ includeUsers: [ALICE], excludeUsers: [ALICE] }],
    subject: member,
    requireMfa: false,
  },
  { name: 'excluding GuestsOrExternalUsers spares a guest', policies: [{ excludeUsers: ['GuestsOrExternalUsers'] }], subject: guest, requireMfa: false },
  { name: 'excluding GuestsOrExternalUsers still covers members', policies: [{ excludeUsers: ['GuestsOrExternalUsers'] }], subject: member, requireMfa: true },
  {
    name: 'excluding GuestsOrExternalUsers spares a member invited from outside',
    policies: [{ excludeUsers: ['GuestsOrExternalUsers'] }],
    subject: invitedMember,
    requireMfa: false,
    applies: [false],
  },
  {
    name: 'an excluded group wins over an included one',
    policies: [{ includeGroups: [SALES], excludeGroups: [FINANCE] }],
    subject: { ...member, groupIds: [SALES, FINANCE] },
    requireMfa: false,
  },
  {
    name: 'an excluded role wins over All',
    policies: [{ excludeRoles: [GLOBAL_ADMIN] }],
    subject: { ...member, roleTemplateIds: [GLOBAL_ADMIN] },
    requireMfa: false,
  },
  // applications
  { name: 'an app id names that app', policies: [{ includeApplications: [PORTAL] }], subject: member, requireMfa: true },
  { name: 'an app id does not name another app', policies: [{ includeApplications: [WIKI] }], subject: member, requireMfa: false },
  { name: 'None includes no app', policies: [{ includeApplications: ['None'] }], subject: member, requireMfa: false },
  { name: 'an excluded app wins over All', policies: [{ excludeApplications: [PORTAL] }], subject: member, requireMfa: false },
  { name: 'without an app, All applies', policies: [{}], subject: { ...member, appId: undefined }, requireMfa: true },
  { name: 'without an app, an app id does not', policies: [{ includeApplications: [PORTAL] }], subject: { ...member, appId: undefined }, requireMfa: false },
  {
    name: 'without an app, app exclusions do not spare the sign-in',
    policies: [{ excludeApplications: [PORTAL] }],
    subject: { ...member, appId: undefined },
    requireMfa: true,
  },
  // client app types: Foyer's sign-ins are in a browser
  { name: 'a policy for browsers applies', policies: [{ clientAppTypes: ['browser'] }], subject: member, requireMfa: true },
  {
    name: 'a policy for legacy clients only never applies',
    policies: [{ clientAppTypes: ['exchangeActiveSync', 'other'] }],
    subject: member,
    requireMfa: false,
  },
  // state
  { name: 'a disabled policy is not evaluated', policies: [{ state: 'disabled' }], subject: member, requireMfa: false, applies: [false] },
  {
    name: 'a report-only policy applies but requires nothing',
    policies: [{ state: 'enabledForReportingButNotEnforced' }],
    subject: member,
    requireMfa: false,
    applies: [true],
  },
  // grant controls
  { name: 'AND with mfa requires MFA', policies: [{ grant: { operator: 'AND', builtInControls: ['mfa'] } }], subject: member, requireMfa: true },
  { name: 'OR with mfa requires MFA', policies: [{ grant: { operator: 'OR', builtInControls: ['mfa'] } }], subject: member, requireMfa: true },
  {
    name: 'a session-only policy requires no MFA',
    policies: [{ grant: null, frequency: { value: 4, type: 'hours' } }],
    subject: member,
    requireMfa: false,
    frequency: 4 * 3600,
  },
  // sign-in frequency
  {
    name: 'the shortest frequency of the applying policies wins',
    policies: [{ frequency: { value: 1, type: 'days' } }, { frequency: { value: 8, type: 'hours' } }],
    subject: member,
    requireMfa: true,
    frequency: 8 * 3600,
  },
  { name: 'days count 86400 seconds each', policies: [{ frequency: { value: 2, type: 'days' } }], subject: member, requireMfa: true, frequency: 2 * 86_400 },
  {
    name: 'a frequency switched off does not count',
    policies: [{ frequency: { value: 1, type: 'hours', isEnabled: false } }],
    subject: member,
    requireMfa: true,
  },
  {
    name: 'a policy that does not apply sets no frequency',
    policies: [{ includeApplications: [WIKI], frequency: { value: 1, type: 'hours' } }, { frequency: { value: 1, type: 'days' } }],
    subject: member,
    requireMfa: true,
    frequency: 86_400,
  },
  {
    name: 'a report-only policy sets no frequency',
    policies: [{ state: 'enabledForReportingButNotEnforced', frequency: { value: 1, type: 'hours' } }],
    subject: member,
    requireMfa: false,
  },
  // several policies
  {
    name: 'one applying policy among several is enough',
    policies: [{ includeApplications: [WIKI] }, { includeUsers: ['GuestsOrExternalUsers'] }],
    subject: guest,
    requireMfa: true,
    applies: [false, true],
  },
];

describe('Conditional Access evaluation', () => {
  it.each(cases)('$name', ({ policies, subject, requireMfa, frequency, applies }) => {
    const outcome = evaluatePolicies(policies.map(policy), subject);
    expect(outcome.requireMfa).toBe(requireMfa);
    expect(outcome.signInFrequencySeconds).toBe(frequency);
    expect(outcome.evaluated).toHaveLength(policies.length);
    if (applies) expect(outcome.evaluated.map((e) => e.applies)).toEqual(applies);
  });

  it('no policies: nothing required', () => {
    expect(evaluatePolicies([], member)).toEqual({ requireMfa: false, evaluated: [] });
  });
});

describe('what the sign-in log records of each policy', () => {
  const result = (shape: PolicyShape, subject: SignInSubject, mfaPerformed: boolean) =>
    appliedPolicies(evaluatePolicies([policy(shape)], subject), mfaPerformed)[0]!.result;

  const rows: Array<[string, PolicyShape, SignInSubject, boolean, AppliedPolicy['result']]> = [
    ['enforced, satisfied by MFA', {}, member, true, 'success'],
    ['enforced, MFA not done', {}, member, false, 'failure'],
    ['enforced, not applying', { includeUsers: [BOB] }, member, false, 'notApplied'],
    ['disabled', { state: 'disabled' }, member, true, 'notEnabled'],
    ['report-only, would be satisfied', { state: 'enabledForReportingButNotEnforced' }, member, true, 'reportOnlySuccess'],
    // Enforced, it would have interrupted the sign-in to ask for MFA; it would not have blocked it.
    ['report-only, MFA not done', { state: 'enabledForReportingButNotEnforced' }, member, false, 'reportOnlyInterrupted'],
    [
      'report-only with a frequency, MFA not done',
      { state: 'enabledForReportingButNotEnforced', frequency: { value: 1, type: 'hours' } },
      member,
      false,
      'reportOnlyInterrupted',
    ],
    [
      'report-only, for external users, a member invited from outside without MFA',
      { state: 'enabledForReportingButNotEnforced', includeUsers: ['GuestsOrExternalUsers'] },
      invitedMember,
      false,
      'reportOnlyInterrupted',
    ],
    ['report-only, not applying', { state: 'enabledForReportingButNotEnforced', excludeUsers: [ALICE] }, member, false, 'reportOnlyNotApplied'],
    ['session controls only, without MFA', { grant: null, frequency: { value: 1, type: 'hours' } }, member, false, 'success'],
  ];
  it.each(rows)('%s', (_name, shape, subject, mfa, expected) => {
    expect(result(shape, subject, mfa)).toBe(expected);
  });

  it('names the policy and its controls, in the order the policies were given', () => {
    const a = policy({ frequency: { value: 1, type: 'days' } });
    const b = policy({ state: 'disabled', grant: null });
    expect(appliedPolicies(evaluatePolicies([a, b], member), true)).toEqual([
      { id: a.id, displayName: a.displayName, enforcedGrantControls: ['Mfa'], enforcedSessionControls: ['SignInFrequency'], result: 'success' },
      { id: b.id, displayName: b.displayName, enforcedGrantControls: [], enforcedSessionControls: [], result: 'notEnabled' },
    ]);
  });
});
