/**
 * Graph's `servicePrincipals` and `appRoleAssignedTo`: every app gets a service principal of its own,
 * listed, read by id and by `appId`, with `appRoleAssignmentRequired` changed by PATCH; users and groups
 * are assigned, listed and unassigned as in Graph, with Graph's refusals, permissions and audit names. An
 * app that requires assignment signs in only assigned people (directly or through nested groups): the
 * others meet AADSTS50105 and their refresh tokens stop working. `groupMembershipClaims` puts the user's
 * groups in the ID token.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushSignInLog } from '../../src/directory/sign-in-log.js';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { createSecurityGroup } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { appToken, authorizationRequest, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isCallback = (u: string) => u.startsWith(REDIRECT);

describe.each(backends)('service principals and app assignment on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const tokens: Record<string, string> = {};
  /** The web app people sign in to, and its service principal. */
  let portal: { id: string; appId: string; clientSecret?: string };
  let portalSp: string;
  let client: oidc.Configuration;
  const people: Record<string, string> = {};

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      admin: ['Application.ReadWrite.All', 'User.ReadWrite.All', 'Group.ReadWrite.All', 'AuditLog.Read.All'],
      reader: ['Application.Read.All'],
      assigner: ['AppRoleAssignment.ReadWrite.All'],
      nothing: ['User.Read.All'],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: `${name} tool`, applicationPermissions: permissions });
      tokens[name] = await appToken(foyer, tenant, app);
    }
    portal = await foyer.createApp(tenant.id, { displayName: 'Payroll portal', redirectUris: [REDIRECT], delegatedPermissions: ['User.Read'] });
    const sps = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${portal.appId}'`)}`);
    portalSp = sps.body.value[0].id;
    client = await oidc.discovery(new URL(tenant.issuer), portal.appId, portal.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    for (const name of ['ada', 'bo', 'cy']) {
      const user = await createMember(foyer.ctx, tenant.id, {
        userPrincipalName: `${name}@contoso.example`,
        displayName: name,
        password: `${name}-Long-Passphrase-1`,
      });
      people[name] = user.id;
    }
  });
  afterAll(() => foyer?.stop());

  /** Signs a member in to the portal through the real pages: the callback URL, or the page the sign-in ended on. */
  async function signIn(name: string, browser = new HttpBrowser(), params: Record<string, string> = {}) {
    const { url, verifier, state } = await authorizationRequest(client, REDIRECT, { scope: 'openid profile offline_access', ...params });
    let page: PageResponse = await browser.go(url, {}, isCallback);
    // Single sign-on (or a refusal) answers without the address page.
    if (!isCallback(page.url) && page.body.includes('name="email"')) {
      page = await browser.submit(page, formWith(page, 'email'), { email: `${name}@contoso.example` });
      page = await browser.submit(page, formWith(page, 'password'), { password: `${name}-Long-Passphrase-1` }, isCallback);
    }
    const exchange = () => oidc.authorizationCodeGrant(client, new URL(page.url), { pkceCodeVerifier: verifier, expectedState: state });
    return { page, browser, exchange };
  }

  const assign = (principalId: string, token = tokens.admin!, sp = portalSp, appRoleId = DEFAULT_ACCESS) =>
    graph(foyer, token, 'POST', `/servicePrincipals/${sp}/appRoleAssignedTo`, { principalId, resourceId: sp, appRoleId });

  it('gives every app a service principal of its own, listed with $filter, $select and $top, and read by id or appId', async () => {
    const byAppId = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${portal.appId}'`)}`);
    expect(byAppId.status).toBe(200);
    expect(byAppId.body.value).toHaveLength(1);
    const sp = byAppId.body.value[0];
    expect(sp).toMatchObject({
      id: expect.stringMatching(GUID),
      appId: portal.appId,
      displayName: 'Payroll portal',
      appDisplayName: 'Payroll portal',
      appOwnerOrganizationId: tenant.id,
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      servicePrincipalType: 'Application',
      servicePrincipalNames: [portal.appId],
    });
    expect(sp.id).not.toBe(portal.id);

    const one = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals/${sp.id}?$select=id,appId,appRoleAssignmentRequired`);
    expect(one.body).toEqual({
      '@odata.context': `${foyer.url}/graph/v1.0/$metadata#servicePrincipals/$entity`,
      id: sp.id,
      appId: portal.appId,
      appRoleAssignmentRequired: false,
    });
    const alternate = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals(appId='${portal.appId}')`);
    expect(alternate.status).toBe(200);
    expect(alternate.body.id).toBe(sp.id);

    const page1 = await graph(foyer, tokens.reader!, 'GET', '/servicePrincipals?$top=2&$orderby=displayName');
    expect(page1.body.value.map((s: { displayName: string }) => s.displayName)).toEqual(['admin tool', 'assigner tool']);
    const page2 = (await fetch(page1.body['@odata.nextLink'], { headers: { authorization: `Bearer ${tokens.reader}` } }).then((r) => r.json())) as {
      value: Array<{ displayName: string }>;
    };
    expect(page2.value.map((s: { displayName: string }) => s.displayName)).toEqual(['nothing tool', 'Payroll portal']);

    // A new app gets one at once; deleting the app deletes it.
    const made = await graph(foyer, tokens.admin!, 'POST', '/applications', { displayName: 'Short-lived' });
    const itsSp = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals(appId='${made.body.appId}')`);
    expect(itsSp.status).toBe(200);
    expect((await graph(foyer, tokens.admin!, 'DELETE', `/applications/${made.body.id}`)).status).toBe(204);
    expect((await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals/${itsSp.body.id}`)).status).toBe(404);
    expect((await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals(appId='${made.body.appId}')`)).status).toBe(404);
  });

  it('assigns users and groups with default access, lists them from both sides, and removes them', async () => {
    const group = await createSecurityGroup(foyer, tokens.admin!, 'Payroll-clerks');
    const toUser = await assign(people.cy!);
    expect(toUser.status).toBe(201);
    expect(toUser.headers.get('location')).toBe(`${foyer.url}/graph/v1.0/servicePrincipals/${portalSp}/appRoleAssignedTo/${toUser.body.id}`);
    expect(toUser.body).toMatchObject({
      id: expect.any(String),
      appRoleId: DEFAULT_ACCESS,
      createdDateTime: expect.stringMatching(/Z$/),
      principalDisplayName: 'cy',
      principalId: people.cy,
      principalType: 'User',
      resourceDisplayName: 'Payroll portal',
      resourceId: portalSp,
    });
    const toGroup = await assign(group);
    expect(toGroup.status).toBe(201);
    expect(toGroup.body).toMatchObject({ principalId: group, principalType: 'Group', principalDisplayName: 'Payroll-clerks' });

    const listed = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals/${portalSp}/appRoleAssignedTo`);
    expect(listed.status).toBe(200);
    expect(listed.body.value.map((a: { principalId: string }) => a.principalId)).toEqual([people.cy, group]);
    const ofUser = await graph(foyer, tokens.admin!, 'GET', `/users/${people.cy}/appRoleAssignments`);
    expect(ofUser.body.value).toEqual([expect.objectContaining({ id: toUser.body.id, resourceId: portalSp })]);
    const ofGroup = await graph(foyer, tokens.admin!, 'GET', `/groups/${group}/appRoleAssignments`);
    expect(ofGroup.body.value).toEqual([expect.objectContaining({ id: toGroup.body.id, principalType: 'Group' })]);
    expect((await graph(foyer, tokens.admin!, 'GET', `/groups/${people.cy}/appRoleAssignments`)).status).toBe(404);

    expect((await graph(foyer, tokens.admin!, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${toUser.body.id}`)).status).toBe(204);
    expect((await graph(foyer, tokens.admin!, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${toUser.body.id}`)).status).toBe(404);
    // Deleting the group takes its assignment with it.
    expect((await graph(foyer, tokens.admin!, 'DELETE', `/groups/${group}`)).status).toBe(204);
    expect((await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals/${portalSp}/appRoleAssignedTo`)).body.value).toEqual([]);
  });

  it('refuses a duplicate, an app role Foyer does not have, an unknown principal and a resourceId that is not the URL’s, as Graph does', async () => {
    const first = await assign(people.bo!);
    expect(first.status).toBe(201);
    const again = await assign(people.bo!);
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'Request_BadRequest', message: 'Permission being assigned already exists on the object.' });

    const role = await assign(people.bo!, tokens.admin!, portalSp, '11111111-2222-3333-4444-555555555555');
    expect(role.status).toBe(400);
    expect(role.body.error.message).toContain('is not supported by Foyer');

    const nobody = await assign('0b1c2d3e-0000-4000-8000-000000000000');
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.code).toBe('Request_ResourceNotFound');

    const other = await graph(foyer, tokens.reader!, 'GET', '/servicePrincipals?$top=1');
    const mismatch = await graph(foyer, tokens.admin!, 'POST', `/servicePrincipals/${portalSp}/appRoleAssignedTo`, {
      principalId: people.bo,
      resourceId: other.body.value[0].id,
      appRoleId: DEFAULT_ACCESS,
    });
    expect(mismatch.status).toBe(400);
    const malformed = await graph(foyer, tokens.admin!, 'POST', `/servicePrincipals/${portalSp}/appRoleAssignedTo`, { principalId: 'x', resourceId: portalSp });
    expect(malformed.status).toBe(400);
    expect((await graph(foyer, tokens.admin!, 'GET', '/servicePrincipals/not-an-id')).status).toBe(404);

    expect((await graph(foyer, tokens.admin!, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${first.body.id}`)).status).toBe(204);
  });

  it('lets each permission do what Graph’s does, and no more', async () => {
    // Application.Read.All reads; AppRoleAssignment.ReadWrite.All assigns but changes no app; others see nothing.
    expect((await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals/${portalSp}/appRoleAssignedTo`)).status).toBe(200);
    expect((await assign(people.bo!, tokens.reader!)).status).toBe(403);
    expect((await graph(foyer, tokens.reader!, 'PATCH', `/servicePrincipals/${portalSp}`, { appRoleAssignmentRequired: true })).status).toBe(403);
    const byAssigner = await assign(people.bo!, tokens.assigner!);
    expect(byAssigner.status).toBe(201);
    expect((await graph(foyer, tokens.assigner!, 'GET', `/servicePrincipals/${portalSp}/appRoleAssignedTo`)).status).toBe(200);
    expect((await graph(foyer, tokens.assigner!, 'PATCH', `/servicePrincipals/${portalSp}`, { appRoleAssignmentRequired: true })).status).toBe(403);
    expect((await graph(foyer, tokens.assigner!, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${byAssigner.body.id}`)).status).toBe(204);
    const refused = await graph(foyer, tokens.nothing!, 'GET', '/servicePrincipals');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('Authorization_RequestDenied');
    expect((await assign(people.bo!, tokens.nothing!)).status).toBe(403);

    // A person assigns through an app only with the permission and the Global Administrator role.
    const console = await foyer.createApp(tenant.id, {
      displayName: 'Admin console',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['User.Read', 'AppRoleAssignment.ReadWrite.All'],
    });
    const scope = 'openid profile AppRoleAssignment.ReadWrite.All';
    const asAdmin = await delegatedTokens(foyer, tenant, console, REDIRECT, { email: tenant.admin.userPrincipalName, password: tenant.admin.password }, scope);
    const asBo = await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'bo@contoso.example', password: 'bo-Long-Passphrase-1' }, scope);
    expect((await assign(people.bo!, asBo.access_token)).status).toBe(403);
    const byAdmin = await assign(people.bo!, asAdmin.access_token);
    expect(byAdmin.status).toBe(201);
    expect((await graph(foyer, asAdmin.access_token, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${byAdmin.body.id}`)).status).toBe(204);
  });

  it('changes appRoleAssignmentRequired with PATCH (204), refuses what Foyer cannot do, and audits under Entra’s names', async () => {
    const sp = (await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals(appId='${portal.appId}')`)).body;
    const patched = await graph(foyer, tokens.admin!, 'PATCH', `/servicePrincipals/${portalSp}`, {
      appRoleAssignmentRequired: true,
      displayName: sp.displayName,
    });
    expect(patched.status).toBe(204);
    expect((await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals/${portalSp}`)).body.appRoleAssignmentRequired).toBe(true);
    const required = await graph(foyer, tokens.reader!, 'GET', `/servicePrincipals?$filter=appRoleAssignmentRequired eq true`);
    expect(required.body.value.map((s: { id: string }) => s.id)).toEqual([portalSp]);
    expect((await graph(foyer, tokens.admin!, 'PATCH', `/servicePrincipals/${portalSp}`, { displayName: 'Renamed' })).status).toBe(400);
    expect((await graph(foyer, tokens.admin!, 'PATCH', `/servicePrincipals/${portalSp}`, { accountEnabled: false })).status).toBe(400);
    expect((await graph(foyer, tokens.admin!, 'PATCH', `/servicePrincipals/${portalSp}`, { tags: [] })).status).toBe(400);

    const audits = await graph(foyer, tokens.admin!, 'GET', '/auditLogs/directoryAudits?$top=999');
    type Audit = { activityDisplayName: string; category: string; operationType: string; targetResources: Array<{ id: string; type: string }> };
    const names = (audits.body.value as Audit[]).filter((e) => e.targetResources.some((t) => t.id === portalSp)).map((e) => e.activityDisplayName);
    expect(new Set(names)).toEqual(
      new Set([
        'Add service principal',
        'Update service principal',
        'Add app role assignment grant to user',
        'Remove app role assignment from user',
        'Add app role assignment to group',
      ]),
    );
    const toGroup = (audits.body.value as Audit[]).find((e) => e.activityDisplayName === 'Add app role assignment to group')!;
    expect(toGroup).toMatchObject({ category: 'GroupManagement', operationType: 'Assign' });
  });

  it('signs in only assigned people once assignment is required: directly, or through a nested group', async () => {
    // (appRoleAssignmentRequired is true since the previous test.)
    const refused = await signIn('ada');
    expect(refused.page.status).toBe(403);
    expect(isCallback(refused.page.url)).toBe(false);
    const said = visibleText(refused.page);
    expect(said).toContain(
      `AADSTS50105: Your administrator has configured the application Payroll portal ('${portal.appId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user 'ada@contoso.example' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.`,
    );
    // Back to the app: it hears access_denied, and gets no code.
    const back = await refused.browser.press(refused.page, 'Back to the app', {}, isCallback);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    expect(new URL(back.url).searchParams.get('code')).toBeNull();

    // Ada is in Inner, which is in Outer; Outer is assigned.
    const outer = await createSecurityGroup(foyer, tokens.admin!, 'Outer');
    const inner = await createSecurityGroup(foyer, tokens.admin!, 'Inner');
    const ref = (id: string) => ({ '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${id}` });
    expect((await graph(foyer, tokens.admin!, 'POST', `/groups/${outer}/members/$ref`, ref(inner))).status).toBe(204);
    expect((await graph(foyer, tokens.admin!, 'POST', `/groups/${inner}/members/$ref`, ref(people.ada!))).status).toBe(204);
    const assigned = await assign(outer);
    expect(assigned.status).toBe(201);
    const admitted = await signIn('ada');
    expect(isCallback(admitted.page.url)).toBe(true);
    const issued = await admitted.exchange();
    expect(issued.claims()?.sub).toBe(people.ada);

    // The assignment goes: the refresh token stops working, and the provider's remembered sign-in shows the page again.
    expect((await graph(foyer, tokens.admin!, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${assigned.body.id}`)).status).toBe(204);
    await expect(oidc.refreshTokenGrant(client, issued.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await signIn('ada', admitted.browser);
    expect(again.page.status).toBe(403);
    expect(visibleText(again.page)).toContain('AADSTS50105');
    // A silent request (prompt=none) gets no code either: the app is told to show the sign-in.
    const silent = await signIn('ada', admitted.browser, { prompt: 'none' });
    expect(new URL(silent.page.url).searchParams.get('error')).toBe('interaction_required');

    // A direct assignment admits her too, and single sign-on then works without the pages.
    expect((await assign(people.ada!)).status).toBe(201);
    const direct = await signIn('ada', admitted.browser);
    expect(isCallback(direct.page.url)).toBe(true);

    // Each refusal is in the sign-in log with Entra's error code: two at the pages, one refresh.
    await flushSignInLog(foyer.ctx);
    const log = await graph(foyer, tokens.admin!, 'GET', '/auditLogs/signIns?$top=999');
    expect(log.status).toBe(200);
    type Entry = { userId: string; appId: string; isInteractive: boolean; status: { errorCode: number } };
    const refusals = (log.body.value as Entry[]).filter((e) => e.userId === people.ada && e.status.errorCode === 50105);
    expect(refusals.every((e) => e.appId === portal.appId)).toBe(true);
    expect(refusals.map((e) => e.isInteractive).sort()).toEqual([false, true, true]);
  });

  it('puts the user’s groups, nested ones included, in the ID token when groupMembershipClaims says so', async () => {
    const app = await graph(foyer, tokens.admin!, 'GET', `/applications/${portal.id}?$select=groupMembershipClaims`);
    expect(app.body.groupMembershipClaims).toBeNull();
    const without = await signIn('ada');
    expect((await without.exchange()).claims()?.groups).toBeUndefined();

    expect((await graph(foyer, tokens.admin!, 'PATCH', `/applications/${portal.id}`, { groupMembershipClaims: 'SecurityGroup' })).status).toBe(204);
    expect((await graph(foyer, tokens.admin!, 'GET', `/applications/${portal.id}`)).body.groupMembershipClaims).toBe('SecurityGroup');
    expect((await graph(foyer, tokens.admin!, 'PATCH', `/applications/${portal.id}`, { groupMembershipClaims: 'Everything' })).status).toBe(400);
    const groups = await graph(foyer, tokens.admin!, 'GET', `/groups?$filter=${encodeURIComponent("displayName eq 'Outer' or displayName eq 'Inner'")}`);
    const ids = groups.body.value.map((g: { id: string }) => g.id).sort();
    expect(ids).toHaveLength(2);
    // The client cache (2 s) may still hold the app as it was: wait it out, as an administrator would.
    await new Promise((r) => setTimeout(r, 2100));
    const signed = await signIn('ada');
    const issued = await signed.exchange();
    expect(issued.claims()?.groups).toEqual(ids);
    const access = JSON.parse(Buffer.from(issued.access_token.split('.')[1]!, 'base64url').toString());
    expect(access.groups).toEqual(ids);
  });
});
