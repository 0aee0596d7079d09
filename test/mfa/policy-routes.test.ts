/**
 * Conditional Access policies and cross-tenant partner settings through Graph, as an administrator's
 * script uses them: created, read, changed, deleted and audited; bad or unsupported policies refused with
 * a clear 400 and nothing stored; the facts a sign-in is evaluated with (nested groups, roles, guests)
 * gathered from the directory; the inbound MFA trust of a partner and of the default; the sign-in log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSignInRecords } from '../../src/directory/sign-in-list.js';
import { writeSignInRecord } from '../../src/directory/sign-in-log.js';
import { requireUser } from '../../src/directory/users.js';
import { appliedPolicies } from '../../src/mfa/conditional-access.js';
import { isMfaTrusted, policyOutcomeFor } from '../../src/mfa/policies.js';
import { backends } from '../support/backends.js';
import { contosoWithApp, createSecurityGroup, createUser } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const POLICIES = '/identity/conditionalAccess/policies';
const PARTNERS = '/policies/crossTenantAccessPolicy/partners';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const MISSING = '01a00000-0000-7000-8000-000000000000';

const guestsNeedMfa = {
  displayName: 'Guests need MFA',
  state: 'enabled',
  conditions: { users: { includeUsers: ['GuestsOrExternalUsers'] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'] },
  grantControls: { operator: 'OR', builtInControls: ['mfa'] },
};

describe.each(backends)('Conditional Access and partner settings through Graph on $name', (backend) => {
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let fabrikam: TestTenant;
  let admin: string;
  let reader: string;
  let stranger: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant: contoso, token: admin } = await contosoWithApp(foyer, 'Security script', [
      'Policy.ReadWrite.ConditionalAccess',
      'Policy.ReadWrite.CrossTenantAccess',
      'User.ReadWrite.All',
      'Group.ReadWrite.All',
      'RoleManagement.ReadWrite.Directory',
      'User.Invite.All',
      'AuditLog.Read.All',
    ]));
    reader = await appToken(foyer, contoso, await foyer.createApp(contoso.id, { displayName: 'Reader', applicationPermissions: ['Policy.Read.All'] }));
    stranger = await appToken(foyer, contoso, await foyer.createApp(contoso.id, { displayName: 'Stranger', applicationPermissions: ['User.Read.All'] }));
    fabrikam = await foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
  });
  afterAll(() => foyer?.stop());

  const policies = async () => (await graph(foyer, admin, 'GET', POLICIES)).body.value as Array<Record<string, any>>;
  const auditNames = async () =>
    (await graph(foyer, admin, 'GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent("category eq 'Policy'")}`)).body.value.map(
      (e: { activityDisplayName: string }) => e.activityDisplayName,
    );

  it('creates a policy (201 with the object), reads, lists, patches (204, the rest kept) and deletes it, each change audited', async () => {
    const created = await graph(foyer, admin, 'POST', POLICIES, {
      ...guestsNeedMfa,
      sessionControls: { signInFrequency: { value: 12, type: 'hours', isEnabled: true } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      '@odata.context': expect.stringContaining('/$metadata#identity/conditionalAccess/policies/$entity'),
      displayName: 'Guests need MFA',
      state: 'enabled',
      modifiedDateTime: null,
      conditions: {
        users: { includeUsers: ['GuestsOrExternalUsers'], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
        applications: { includeApplications: ['All'], excludeApplications: [] },
        clientAppTypes: ['all'],
      },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
      // What Foyer asks again when the frequency has passed: the second factor only.
      sessionControls: {
        signInFrequency: { value: 12, type: 'hours', isEnabled: true, authenticationType: 'secondaryAuthentication', frequencyInterval: 'timeBased' },
      },
    });
    const id = created.body.id as string;
    expect(new Date(created.body.createdDateTime).getTime()).not.toBeNaN();

    const read = await graph(foyer, reader, 'GET', `${POLICIES}/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, displayName: 'Guests need MFA' });
    expect((await policies()).map((p) => p.id)).toEqual([id]);

    const patched = await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, {
      state: 'enabledForReportingButNotEnforced',
      conditions: { users: { excludeUsers: [MISSING] } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(204);
    const after = (await graph(foyer, admin, 'GET', `${POLICIES}/${id}`)).body;
    expect(after).toMatchObject({
      state: 'enabledForReportingButNotEnforced',
      displayName: 'Guests need MFA',
      conditions: { users: { includeUsers: ['GuestsOrExternalUsers'], excludeUsers: [MISSING] }, applications: { includeApplications: ['All'] } },
      grantControls: { builtInControls: ['mfa'] },
    });
    expect(after.modifiedDateTime).not.toBeNull();

    // `null` clears a control.
    expect((await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, { sessionControls: null })).status).toBe(204);
    expect((await graph(foyer, admin, 'GET', `${POLICIES}/${id}`)).body.sessionControls).toBeNull();

    expect((await graph(foyer, admin, 'DELETE', `${POLICIES}/${id}`)).status).toBe(204);
    expect(await policies()).toEqual([]);
    expect((await graph(foyer, admin, 'GET', `${POLICIES}/${id}`)).status).toBe(404);
    expect(await auditNames()).toEqual(
      expect.arrayContaining(['Add conditional access policy', 'Update conditional access policy', 'Delete conditional access policy']),
    );
  });

  it('refuses bad and unsupported policies with a clear 400, and stores nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...guestsNeedMfa, grantControls: { operator: 'OR', builtInControls: ['block'] } }, "'block' is not supported by Foyer"],
      [{ ...guestsNeedMfa, grantControls: { operator: 'AND', builtInControls: ['mfa', 'compliantDevice'] } }, "'compliantDevice' is not supported by Foyer"],
      [{ ...guestsNeedMfa, grantControls: { operator: 'OR', builtInControls: ['sms'] } }, "'sms' is not a grant control"],
      [{ ...guestsNeedMfa, grantControls: { operator: 'XOR', builtInControls: ['mfa'] } }, 'expected OR or AND'],
      [{ ...guestsNeedMfa, shoeSize: 42 }, "Property 'shoeSize' does not exist"],
      [{ ...guestsNeedMfa, conditions: { ...guestsNeedMfa.conditions, locations: { includeLocations: ['All'] } } }, 'not supported by Foyer (named locations)'],
      [{ ...guestsNeedMfa, conditions: { ...guestsNeedMfa.conditions, signInRiskLevels: ['high'] } }, 'not supported by Foyer'],
      [
        { ...guestsNeedMfa, conditions: { users: { includeUsers: ['All', MISSING] }, applications: { includeApplications: ['All'] } } },
        "'All' must be the only value",
      ],
      [
        { ...guestsNeedMfa, conditions: { users: { includeUsers: ['alice'] }, applications: { includeApplications: ['All'] } } },
        "includeUsers[0] 'alice' is not an id",
      ],
      [{ ...guestsNeedMfa, conditions: { users: { excludeGroups: [MISSING] }, applications: { includeApplications: ['All'] } } }, 'must include someone'],
      [{ ...guestsNeedMfa, conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['Office365'] } } }, 'not supported by Foyer'],
      [{ ...guestsNeedMfa, conditions: { users: { includeUsers: ['All'] }, applications: {} } }, 'includeApplications must name'],
      [{ ...guestsNeedMfa, state: 'on' }, 'expected enabled, disabled or enabledForReportingButNotEnforced'],
      [{ ...guestsNeedMfa, displayName: undefined }, "Property 'displayName' is required"],
      [{ ...guestsNeedMfa, grantControls: undefined }, 'needs grantControls (mfa) or sessionControls'],
      [{ ...guestsNeedMfa, sessionControls: { signInFrequency: { type: 'hours', isEnabled: true } } }, 'needs a value and a type'],
      [{ ...guestsNeedMfa, sessionControls: { signInFrequency: { value: 30, type: 'hours', isEnabled: true } } }, '1 to 23 hours'],
      [{ ...guestsNeedMfa, sessionControls: { persistentBrowser: { mode: 'never', isEnabled: true } } }, 'not supported by Foyer'],
      [{ ...guestsNeedMfa, sessionControls: { signInFrequency: { frequencyInterval: 'everyTime', isEnabled: true } } }, 'only timeBased is supported by Foyer'],
      [
        {
          ...guestsNeedMfa,
          sessionControls: { signInFrequency: { value: 1, type: 'days', isEnabled: true, authenticationType: 'primaryAndSecondaryAuthentication' } },
        },
        'not supported by Foyer: signInFrequency asks for the second factor again (secondaryAuthentication)',
      ],
      [
        { ...guestsNeedMfa, sessionControls: { signInFrequency: { value: 1, type: 'days', isEnabled: true, authenticationType: 'everything' } } },
        'expected secondaryAuthentication',
      ],
      [
        { ...guestsNeedMfa, grantControls: null, sessionControls: { signInFrequency: { value: 4, type: 'hours', isEnabled: true } } },
        'not supported by Foyer: signInFrequency applies to the second factor; add the mfa grant control',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await graph(foyer, admin, 'POST', POLICIES, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toContain(message);
    }
    expect(await policies()).toEqual([]);
    // Empty values of properties Foyer does not keep, as SDKs send them, are fine.
    const sdkShaped = await graph(foyer, admin, 'POST', POLICIES, {
      ...guestsNeedMfa,
      conditions: { ...guestsNeedMfa.conditions, signInRiskLevels: [], locations: null, users: { includeUsers: ['All'], includeGuestsOrExternalUsers: null } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'], customAuthenticationFactors: [], termsOfUse: [], authenticationStrength: null },
    });
    expect(sdkShaped.status, JSON.stringify(sdkShaped.body)).toBe(201);
    // A PATCH is held to the same rules, and a refused one changes nothing.
    const id = sdkShaped.body.id as string;
    const blocked = await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, { grantControls: { operator: 'OR', builtInControls: ['block'] } });
    expect(blocked.status).toBe(400);
    expect(blocked.body.error.message).toContain('not supported by Foyer');
    const nobody = await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, { conditions: { users: { includeUsers: [] } } });
    expect(nobody.status).toBe(400);
    // A frequency is accepted with mfa (secondaryAuthentication named or not) …
    const frequency = { signInFrequency: { value: 2, type: 'days', isEnabled: true, authenticationType: 'secondaryAuthentication' } };
    expect((await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, { sessionControls: frequency })).status).toBe(204);
    // … and taking mfa away from it afterwards is refused, checked on the merged policy.
    const noMfa = await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, { grantControls: null });
    expect(noMfa.status).toBe(400);
    expect(noMfa.body.error.message).toContain('not supported by Foyer: signInFrequency applies to the second factor; add the mfa grant control');
    const primary = await graph(foyer, admin, 'PATCH', `${POLICIES}/${id}`, {
      sessionControls: { signInFrequency: { ...frequency.signInFrequency, authenticationType: 'primaryAndSecondaryAuthentication' } },
    });
    expect(primary.status).toBe(400);
    expect(primary.body.error.message).toContain('asks for the second factor again (secondaryAuthentication)');
    expect((await graph(foyer, admin, 'GET', `${POLICIES}/${id}`)).body.sessionControls).toEqual({
      signInFrequency: { value: 2, type: 'days', isEnabled: true, authenticationType: 'secondaryAuthentication', frequencyInterval: 'timeBased' },
    });
    expect((await graph(foyer, admin, 'GET', `${POLICIES}/${id}`)).body).toMatchObject({
      grantControls: { builtInControls: ['mfa'] },
      conditions: { users: { includeUsers: ['All'] } },
    });
    expect((await graph(foyer, admin, 'DELETE', `${POLICIES}/${id}`)).status).toBe(204);
  });

  it('lets Policy.Read.All read but not write, refuses apps without a policy permission, and answers 404 for unknown ids', async () => {
    expect((await graph(foyer, reader, 'GET', POLICIES)).status).toBe(200);
    const write = await graph(foyer, reader, 'POST', POLICIES, guestsNeedMfa);
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('Authorization_RequestDenied');
    expect((await graph(foyer, stranger, 'GET', POLICIES)).status).toBe(403);
    expect((await graph(foyer, stranger, 'GET', PARTNERS)).status).toBe(403);
    expect((await graph(foyer, reader, 'POST', PARTNERS, { tenantId: fabrikam.id })).status).toBe(403);
    for (const path of [`${POLICIES}/${MISSING}`, `${POLICIES}/not-a-guid`, `${PARTNERS}/${MISSING}`]) {
      expect((await graph(foyer, admin, 'GET', path)).status, path).toBe(404);
      expect((await graph(foyer, admin, 'DELETE', path)).status, path).toBe(404);
    }
    expect((await graph(foyer, admin, 'PATCH', `${POLICIES}/${MISSING}`, { state: 'disabled' })).status).toBe(404);
  });

  it('refuses query options on the policy and partner collections rather than ignoring them', async () => {
    const options = ["$filter=state eq 'enabled'", '$select=id', '$top=1', '$orderby=displayName', '$count=true', '$search="MFA"', '$expand=*', '$skip=1'];
    for (const path of [POLICIES, PARTNERS, `${POLICIES}/${MISSING}`, `${PARTNERS}/${MISSING}`]) {
      for (const option of options) {
        const res = await graph(foyer, admin, 'GET', `${path}?${option.replace(/ /g, '%20')}`);
        expect(res.status, `${path}?${option}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.error.message, option).toMatch(/^Query option '\$\w+' on .+ is not supported by Foyer\.$/);
      }
    }
    // Without a permission the answer is still 403, whatever the query.
    expect((await graph(foyer, stranger, 'GET', `${POLICIES}?$top=1`)).status).toBe(403);
    expect((await graph(foyer, admin, 'GET', POLICIES)).status).toBe(200);
  });

  it('counts a member invited from outside (invitedUserType Member) among GuestsOrExternalUsers, as Graph does', async () => {
    const policy = await graph(foyer, admin, 'POST', POLICIES, guestsNeedMfa);
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const invite = async (email: string, invitedUserType: 'Guest' | 'Member') => {
      const res = await graph(foyer, admin, 'POST', '/invitations', {
        invitedUserEmailAddress: email,
        inviteRedirectUrl: 'https://myapps.example',
        sendInvitationMessage: false,
        invitedUserType,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return requireUser(foyer.ctx.db.kysely, contoso.id, res.body.invitedUser.id as string);
    };
    const b2bMember = await invite('olle@fabrikam.example', 'Member');
    const b2bGuest = await invite('gus@fabrikam.example', 'Guest');
    const local = await requireUser(foyer.ctx.db.kysely, contoso.id, await createUser(foyer, admin, 'local'));
    expect(b2bMember).toMatchObject({ userType: 'Member', creationType: 'Invitation' });

    const outcome = (u: typeof local) => policyOutcomeFor(foyer.ctx, contoso.id, u, undefined);
    expect((await outcome(b2bMember)).requireMfa).toBe(true);
    expect((await outcome(b2bGuest)).requireMfa).toBe(true);
    expect((await outcome(local)).requireMfa).toBe(false);
    // A caller that does not pass creationType: treated as not invited.
    expect((await policyOutcomeFor(foyer.ctx, contoso.id, { id: b2bMember.id, userType: 'Member' }, undefined)).requireMfa).toBe(false);

    // Excluding external users spares the invited member too.
    const everyone = await graph(foyer, admin, 'POST', POLICIES, {
      ...guestsNeedMfa,
      displayName: 'Everyone but external users',
      conditions: { users: { includeUsers: ['All'], excludeUsers: ['GuestsOrExternalUsers'] }, applications: { includeApplications: ['All'] } },
    });
    expect(everyone.status, JSON.stringify(everyone.body)).toBe(201);
    expect((await outcome(b2bMember)).evaluated.map((e) => e.applies)).toEqual([true, false]);
    expect((await outcome(local)).evaluated.map((e) => e.applies)).toEqual([false, true]);
    for (const id of [policy.body.id, everyone.body.id]) expect((await graph(foyer, admin, 'DELETE', `${POLICIES}/${id}`)).status).toBe(204);
  });

  it('gathers what a sign-in is evaluated with: nested groups, directory roles, the app', async () => {
    const alice = await createUser(foyer, admin, 'alice');
    const bob = await createUser(foyer, admin, 'bob');
    const inner = await createSecurityGroup(foyer, admin, 'inner');
    const outer = await createSecurityGroup(foyer, admin, 'outer');
    const base = `${foyer.url}/graph/v1.0`;
    expect((await graph(foyer, admin, 'POST', `/groups/${inner}/members/$ref`, { '@odata.id': `${base}/directoryObjects/${alice}` })).status).toBe(204);
    expect((await graph(foyer, admin, 'POST', `/groups/${outer}/members/$ref`, { '@odata.id': `${base}/directoryObjects/${inner}` })).status).toBe(204);
    expect((await graph(foyer, admin, 'POST', `/directoryRoles/${GLOBAL_ADMIN}/members/$ref`, { '@odata.id': `${base}/directoryObjects/${bob}` })).status).toBe(
      204,
    );
    const portal = await foyer.createApp(contoso.id, { displayName: 'Portal', redirectUris: ['http://localhost:3999/cb'] });

    const make = async (body: Record<string, unknown>) => {
      const res = await graph(foyer, admin, 'POST', POLICIES, { state: 'enabled', grantControls: { operator: 'OR', builtInControls: ['mfa'] }, ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const byGroup = await make({
      displayName: 'Outer group, portal',
      conditions: { users: { includeGroups: [outer] }, applications: { includeApplications: [portal.appId] } },
    });
    const byRole = await make({
      displayName: 'Admins, every 4 hours',
      conditions: { users: { includeRoles: [GLOBAL_ADMIN] }, applications: { includeApplications: ['All'] } },
      sessionControls: { signInFrequency: { value: 4, type: 'hours', isEnabled: true } },
    });
    const reportOnly = await make({
      displayName: 'Everyone, report-only',
      state: 'enabledForReportingButNotEnforced',
      conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] } },
    });

    const forAlice = await policyOutcomeFor(foyer.ctx, contoso.id, { id: alice, userType: 'Member' }, portal.appId);
    expect(forAlice.requireMfa).toBe(true);
    expect(forAlice.evaluated.map((e) => [e.policy.id, e.applies])).toEqual([
      [byGroup, true],
      [byRole, false],
      [reportOnly, true],
    ]);
    expect((await policyOutcomeFor(foyer.ctx, contoso.id, { id: alice, userType: 'Member' }, undefined)).requireMfa).toBe(false);
    const forBob = await policyOutcomeFor(foyer.ctx, contoso.id, { id: bob, userType: 'Member' }, undefined);
    expect(forBob).toMatchObject({ requireMfa: true, signInFrequencySeconds: 4 * 3600 });

    // What the sign-in log keeps of it, report-only included.
    const applied = appliedPolicies(forAlice, false);
    await writeSignInRecord(foyer.ctx.db.kysely, {
      tenantId: contoso.id,
      userId: alice,
      appId: portal.appId,
      errorCode: 50074,
      failureReason: 'Strong authentication is required.',
      amr: ['pwd'],
      appliedConditionalAccessPolicies: applied,
      at: foyer.ctx.clock.now(),
    });
    const [record] = await listSignInRecords(foyer.ctx.db.kysely, contoso.id, alice);
    expect(record).toMatchObject({ userId: alice, appId: portal.appId, errorCode: 50074, amr: ['pwd'] });
    // The report-only policy would have interrupted the sign-in to ask for MFA, not blocked it.
    expect(record!.appliedConditionalAccessPolicies.map((p) => p.result)).toEqual(['failure', 'notApplied', 'reportOnlyInterrupted']);
    expect(appliedPolicies(forAlice, true).map((p) => p.result)).toEqual(['success', 'notApplied', 'reportOnlySuccess']);
    expect(await listSignInRecords(foyer.ctx.db.kysely, contoso.id, bob)).toEqual([]);

    for (const id of [byGroup, byRole, reportOnly]) expect((await graph(foyer, admin, 'DELETE', `${POLICIES}/${id}`)).status).toBe(204);
  });

  it('keeps partner settings whose inbound MFA trust overrides the default, audited, and refuses bad partners', async () => {
    expect(await isMfaTrusted(foyer.ctx, contoso.id, fabrikam.id)).toBe(false);
    const defaults = await graph(foyer, admin, 'GET', '/policies/crossTenantAccessPolicy/default');
    expect(defaults.body).toMatchObject({ isServiceDefault: true, inboundTrust: { isMfaAccepted: false } });

    const created = await graph(foyer, admin, 'POST', PARTNERS, { tenantId: fabrikam.id, inboundTrust: { isMfaAccepted: true } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ tenantId: fabrikam.id, inboundTrust: { isMfaAccepted: true } });
    expect(await isMfaTrusted(foyer.ctx, contoso.id, fabrikam.id)).toBe(true);
    // Trust is one-way: Fabrikam does not trust Contoso's MFA because Contoso trusts Fabrikam's.
    expect(await isMfaTrusted(foyer.ctx, fabrikam.id, contoso.id)).toBe(false);
    expect((await graph(foyer, reader, 'GET', PARTNERS)).body.value).toEqual([expect.objectContaining({ tenantId: fabrikam.id })]);

    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ tenantId: fabrikam.id }, 'already exists'],
      [{ tenantId: contoso.id }, 'this organization itself'],
      [{ tenantId: MISSING }, 'is not an organization on this Foyer instance'],
      [{ tenantId: 'fabrikam.example' }, 'expected a tenant id'],
      [{ tenantId: MISSING, b2bCollaborationInbound: { usersAndGroups: { accessType: 'blocked' } } }, 'not supported by Foyer'],
      [{ tenantId: MISSING, inboundTrust: { isMfaAccepted: true, isCompliantDeviceAccepted: true } }, 'trusting devices is not supported by Foyer'],
    ];
    for (const [body, message] of refusals) {
      const res = await graph(foyer, admin, 'POST', PARTNERS, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toContain(message);
    }

    // null: the partner inherits the default's trust.
    expect((await graph(foyer, admin, 'PATCH', `${PARTNERS}/${fabrikam.id}`, { inboundTrust: null })).status).toBe(204);
    expect((await graph(foyer, admin, 'GET', `${PARTNERS}/${fabrikam.id}`)).body.inboundTrust).toBeNull();
    expect(await isMfaTrusted(foyer.ctx, contoso.id, fabrikam.id)).toBe(false);
    expect((await graph(foyer, admin, 'PATCH', `${PARTNERS}/${fabrikam.id}`, { tenantId: MISSING })).status).toBe(400);

    expect((await graph(foyer, admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', { inboundTrust: { isMfaAccepted: true } })).status).toBe(204);
    const changed = (await graph(foyer, admin, 'GET', '/policies/crossTenantAccessPolicy/default')).body;
    expect(changed).toMatchObject({ isServiceDefault: false, inboundTrust: { isMfaAccepted: true } });
    expect(changed.invitationRedemptionIdentityProviderConfiguration.fallbackIdentityProvider).toBe('defaultConfiguredIdp');
    expect(await isMfaTrusted(foyer.ctx, contoso.id, fabrikam.id)).toBe(true);

    // A partner's explicit "no" wins over the default's "yes".
    expect((await graph(foyer, admin, 'PATCH', `${PARTNERS}/${fabrikam.id}`, { inboundTrust: { isMfaAccepted: false } })).status).toBe(204);
    expect(await isMfaTrusted(foyer.ctx, contoso.id, fabrikam.id)).toBe(false);

    expect((await graph(foyer, admin, 'DELETE', `${PARTNERS}/${fabrikam.id}`)).status).toBe(204);
    expect(await isMfaTrusted(foyer.ctx, contoso.id, fabrikam.id)).toBe(true);
    expect((await graph(foyer, admin, 'GET', PARTNERS)).body.value).toEqual([]);
    expect((await graph(foyer, admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', { inboundTrust: { isMfaAccepted: 'yes' } })).status).toBe(400);
    expect(await auditNames()).toEqual(
      expect.arrayContaining([
        'Add a partner to cross-tenant access setting',
        'Update a partner cross-tenant access setting',
        'Delete partner specific cross-tenant access setting',
      ]),
    );
  });
});
