/**
 * Request bodies of the Conditional Access and cross-tenant partner routes: zod schemas of the subset of
 * Graph's `conditionalAccessPolicy` and `crossTenantAccessPolicyConfigurationPartner` Foyer keeps, and
 * the rules a whole policy must follow (checked after a PATCH is merged, too). Graph properties Foyer does
 * not keep are accepted only empty (SDKs send `[]` and `null` for them) and refused as "not supported by
 * Foyer" otherwise, never silently dropped: a policy that meant to block, or to require a compliant
 * device, must not quietly require less.
 */
import { z } from 'zod';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { ALL, GUESTS_OR_EXTERNAL_USERS, NONE } from './conditional-access.js';
import type { PolicyInput, PolicyPatch } from './policies.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string) => GUID.test(s);

/** A Graph property Foyer does not keep: absent, null or an empty list only. */
const unsupported = (why: string) =>
  z
    .unknown()
    .optional()
    .refine((v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0), { error: `not supported by Foyer (${why})` });

const list = z.array(z.string().trim().max(100)).max(500);

/** Graph's built-in grant controls; Foyer enforces `mfa` only. */
const GRAPH_GRANT_CONTROLS = ['block', 'compliantDevice', 'domainJoinedDevice', 'approvedApplication', 'compliantApplication', 'passwordChange'];
const grantControl = z.string().superRefine((value, ctx) => {
  if (value.toLowerCase() === 'mfa') return;
  const known = GRAPH_GRANT_CONTROLS.find((c) => c.toLowerCase() === value.toLowerCase());
  ctx.addIssue({
    code: 'custom',
    message: known
      ? `'${known}' is not supported by Foyer; the one grant control it enforces is mfa`
      : `'${value.slice(0, 50)}' is not a grant control; expected mfa`,
  });
});

export const clientAppTypes = ['all', 'browser', 'mobileAppsAndDesktopClients', 'exchangeActiveSync', 'easSupported', 'other'] as const;

const users = z.strictObject({
  includeUsers: list.optional(),
  excludeUsers: list.optional(),
  includeGroups: list.optional(),
  excludeGroups: list.optional(),
  includeRoles: list.optional(),
  excludeRoles: list.optional(),
  includeGuestsOrExternalUsers: unsupported('use GuestsOrExternalUsers in includeUsers'),
  excludeGuestsOrExternalUsers: unsupported('use GuestsOrExternalUsers in excludeUsers'),
});

const applications = z.strictObject({
  includeApplications: list.optional(),
  excludeApplications: list.optional(),
  includeUserActions: unsupported('user actions'),
  includeAuthenticationContextClassReferences: unsupported('authentication contexts'),
  applicationFilter: unsupported('application filters'),
});

const conditions = z.strictObject({
  users: users.optional(),
  applications: applications.optional(),
  clientAppTypes: z
    .array(z.enum(clientAppTypes, { error: `expected values from ${clientAppTypes.join(', ')}` }))
    .max(clientAppTypes.length)
    .optional(),
  userRiskLevels: unsupported('it assesses no risk'),
  signInRiskLevels: unsupported('it assesses no risk'),
  servicePrincipalRiskLevels: unsupported('it assesses no risk'),
  insiderRiskLevels: unsupported('it assesses no risk'),
  platforms: unsupported('device platforms'),
  locations: unsupported('named locations'),
  devices: unsupported('device filters'),
  clientApplications: unsupported('workload identities'),
  authenticationFlows: unsupported('authentication flows'),
});

const grantControls = z
  .strictObject({
    operator: z.enum(['OR', 'AND'], { error: 'expected OR or AND' }),
    builtInControls: z.array(grantControl).min(1, 'name at least one control: mfa').max(10),
    customAuthenticationFactors: unsupported('custom controls'),
    // Foyer's terms of use (identityGovernance/termsOfUse/agreements) apply to every guest, without a policy.
    termsOfUse: unsupported('terms of use as a grant control; every agreement applies to all guests'),
    authenticationStrength: unsupported('authentication strengths'),
  })
  .nullable();

/**
 * Foyer re-asks the second factor only, once the frequency has passed (the first factor's session is the
 * browser's): Graph's `secondaryAuthentication`. `primaryAndSecondaryAuthentication` would promise a new
 * password or passcode too, so it is refused rather than quietly weakened.
 */
const authenticationType = z.string().superRefine((value, ctx) => {
  if (value === 'secondaryAuthentication') return;
  ctx.addIssue({
    code: 'custom',
    message:
      value === 'primaryAndSecondaryAuthentication'
        ? 'not supported by Foyer: signInFrequency asks for the second factor again (secondaryAuthentication)'
        : `'${value.slice(0, 50)}' is not an authenticationType; expected secondaryAuthentication`,
  });
});

const signInFrequency = z.strictObject({
  value: z.number().int().min(1).max(365).nullable().optional(),
  type: z.enum(['hours', 'days'], { error: 'expected hours or days' }).nullable().optional(),
  isEnabled: z.boolean(),
  authenticationType: authenticationType.optional(),
  frequencyInterval: z.enum(['timeBased'], { error: 'only timeBased is supported by Foyer' }).optional(),
});

const sessionControls = z
  .strictObject({
    signInFrequency: signInFrequency.nullable().optional(),
    applicationEnforcedRestrictions: unsupported('app-enforced restrictions'),
    cloudAppSecurity: unsupported('Defender for Cloud Apps'),
    persistentBrowser: unsupported('persistent browser sessions'),
    continuousAccessEvaluation: unsupported('continuous access evaluation'),
    disableResilienceDefaults: unsupported('resilience defaults'),
    secureSignInSession: unsupported('token protection'),
  })
  .nullable();

const policyFields = {
  displayName: z.string().trim().min(1).max(256),
  state: z.enum(['enabled', 'disabled', 'enabledForReportingButNotEnforced'], {
    error: 'expected enabled, disabled or enabledForReportingButNotEnforced',
  }),
  conditions,
  grantControls: grantControls.optional(),
  sessionControls: sessionControls.optional(),
  description: unsupported('a policy has a displayName only'),
  templateId: unsupported('policy templates'),
};

export const createPolicyBody = z.strictObject(policyFields);
export const updatePolicyBody = z.strictObject({
  ...policyFields,
  displayName: policyFields.displayName.optional(),
  state: policyFields.state.optional(),
  conditions: conditions.optional(),
});

type SessionBody = z.infer<typeof sessionControls>;
type FrequencyBody = z.infer<typeof signInFrequency>;

function frequencyOf(f: FrequencyBody | null | undefined): NonNullable<PolicyInput['sessionControls']>['signInFrequency'] {
  if (!f) return null;
  if (f.value == null || f.type == null) {
    if (f.isEnabled) throw invalid("sessionControls.signInFrequency needs a value and a type ('hours' or 'days') when isEnabled is true.");
    return null;
  }
  return { value: f.value, type: f.type, isEnabled: f.isEnabled };
}

/** Graph's session controls as Foyer keeps them (null when none is set). */
export function sessionControlsOf(s: SessionBody | undefined): PolicyInput['sessionControls'] {
  const frequency = frequencyOf(s?.signInFrequency);
  return frequency ? { signInFrequency: frequency } : null;
}

export function grantControlsOf(g: z.infer<typeof grantControls> | undefined): PolicyInput['grantControls'] {
  return g ? { operator: g.operator, builtInControls: ['mfa'] } : null;
}

/** The parsed `conditions` of a create body with Graph's defaults filled in. */
export function conditionsOf(c: z.infer<typeof conditions>): PolicyInput['conditions'] {
  return {
    users: {
      includeUsers: c.users?.includeUsers ?? [],
      excludeUsers: c.users?.excludeUsers ?? [],
      includeGroups: c.users?.includeGroups ?? [],
      excludeGroups: c.users?.excludeGroups ?? [],
      includeRoles: c.users?.includeRoles ?? [],
      excludeRoles: c.users?.excludeRoles ?? [],
    },
    applications: { includeApplications: c.applications?.includeApplications ?? [], excludeApplications: c.applications?.excludeApplications ?? [] },
    clientAppTypes: c.clientAppTypes ?? ['all'],
  };
}

/** Only the properties given, of those Foyer keeps. */
function given<T extends object, K extends keyof T>(source: T | undefined, keys: readonly K[]): Partial<Pick<T, K>> {
  if (!source) return {};
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]])) as Partial<Pick<T, K>>;
}

/** A parsed PATCH body as the change it asks for: what it names replaces, what it leaves out stays. */
export function patchOf(b: z.infer<typeof updatePolicyBody>): PolicyPatch {
  const userKeys = ['includeUsers', 'excludeUsers', 'includeGroups', 'excludeGroups', 'includeRoles', 'excludeRoles'] as const;
  return {
    ...(b.displayName !== undefined ? { displayName: b.displayName } : {}),
    ...(b.state !== undefined ? { state: b.state } : {}),
    ...(b.conditions
      ? {
          conditions: {
            users: given(b.conditions.users, userKeys),
            applications: given(b.conditions.applications, ['includeApplications', 'excludeApplications'] as const),
            ...(b.conditions.clientAppTypes ? { clientAppTypes: b.conditions.clientAppTypes } : {}),
          },
        }
      : {}),
    ...(b.grantControls !== undefined ? { grantControls: grantControlsOf(b.grantControls) } : {}),
    ...(b.sessionControls !== undefined ? { sessionControls: sessionControlsOf(b.sessionControls ?? undefined) } : {}),
  };
}

const invalid = (message: string) => new FoyerError('request.invalid_body', message);

/** A list that may hold one of `special` alone, or else GUIDs (and `GuestsOrExternalUsers` where allowed). */
function checkList(path: string, values: readonly string[], special: readonly string[], guests: boolean): void {
  for (const [i, v] of values.entries()) {
    const named = special.find((s) => s.toLowerCase() === v.toLowerCase());
    if (named && values.length > 1) throw invalid(`${path}: '${named}' must be the only value.`);
    if (named || isGuid(v) || (guests && v.toLowerCase() === GUESTS_OR_EXTERNAL_USERS.toLowerCase())) continue;
    const hint = [...special, ...(guests ? [GUESTS_OR_EXTERNAL_USERS] : [])].join(', ');
    throw invalid(`${path}[${i}] '${v.slice(0, 100)}' is not an id${hint ? ` or one of ${hint}` : ''}; other values are not supported by Foyer.`);
  }
}

/** The rules a whole policy follows, as Entra checks them when one is written. */
export function checkPolicy(p: PolicyInput): void {
  const { users: u, applications: a } = p.conditions;
  checkList('conditions.users.includeUsers', u.includeUsers, [ALL, NONE], true);
  checkList('conditions.users.excludeUsers', u.excludeUsers, [], true);
  for (const key of ['includeGroups', 'excludeGroups', 'includeRoles', 'excludeRoles'] as const) checkList(`conditions.users.${key}`, u[key], [], false);
  if (u.includeUsers.length + u.includeGroups.length + u.includeRoles.length === 0) {
    throw invalid('conditions.users must include someone: includeUsers (All, None, GuestsOrExternalUsers or ids), includeGroups or includeRoles.');
  }
  checkList('conditions.applications.includeApplications', a.includeApplications, [ALL, NONE], false);
  checkList('conditions.applications.excludeApplications', a.excludeApplications, [], false);
  if (a.includeApplications.length === 0) throw invalid('conditions.applications.includeApplications must name All, None or app ids.');
  if (p.conditions.clientAppTypes.length === 0) throw invalid("conditions.clientAppTypes must name at least one client type (such as 'all').");
  if (!p.grantControls && !p.sessionControls) throw invalid('A policy needs grantControls (mfa) or sessionControls (signInFrequency).');
  const f = p.sessionControls?.signInFrequency;
  if (f && f.type === 'hours' && f.value > 23) throw invalid('sessionControls.signInFrequency: 1 to 23 hours, or use days.');
  // What Foyer asks again is the second factor: without mfa, the frequency would ask for nothing.
  if (f?.isEnabled && !p.grantControls?.builtInControls.some((c) => c.toLowerCase() === 'mfa')) {
    throw invalid('not supported by Foyer: signInFrequency applies to the second factor; add the mfa grant control.');
  }
}

// --- partners ------------------------------------------------------------------------------------------

const inboundTrust = z
  .strictObject({
    isMfaAccepted: z.boolean(),
    isCompliantDeviceAccepted: z.literal(false, { error: 'trusting devices is not supported by Foyer' }).optional(),
    isHybridAzureADJoinedDeviceAccepted: z.literal(false, { error: 'trusting devices is not supported by Foyer' }).optional(),
  })
  .nullable();

const partnerFields = {
  inboundTrust: inboundTrust.optional(),
  isServiceProvider: unsupported('service providers'),
  isInMultiTenantOrganization: unsupported('multitenant organizations'),
  b2bCollaborationInbound: unsupported('per-partner collaboration settings'),
  b2bCollaborationOutbound: unsupported('per-partner collaboration settings'),
  b2bDirectConnectInbound: unsupported('B2B direct connect'),
  b2bDirectConnectOutbound: unsupported('B2B direct connect'),
  tenantRestrictions: unsupported('tenant restrictions'),
  automaticUserConsentSettings: unsupported('automatic redemption'),
};

export const createPartnerBody = z.strictObject({ tenantId: z.string().trim().regex(GUID, 'expected a tenant id (a GUID)'), ...partnerFields });
export const updatePartnerBody = z.strictObject(partnerFields);
