/**
 * App assignment from the users' and groups' side, as scripts do it (New-MgUserAppRoleAssignment,
 * `users/{id}/appRoleAssignments?$filter=resourceId eq {id}`): POST and DELETE on
 * `users/{id|upn}/appRoleAssignments` and `groups/{id}/appRoleAssignments`, the lists' `$filter`, `$top`
 * and `$select` (other options refused, never ignored), one assignment read from the app's side, and
 * PATCH by Graph's alternate key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { createSecurityGroup } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';
const q = (s: string) => encodeURIComponent(s);

describe.each(backends)('app role assignments of users and groups on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let admin: string;
  let reader: string;
  const sp: Record<string, string> = {};
  const appIds: Record<string, string> = {};
  const people: Record<string, string> = {};
  let group: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const adminApp = await foyer.createApp(tenant.id, {
      displayName: 'admin tool',
      applicationPermissions: ['Application.ReadWrite.All', 'User.ReadWrite.All', 'Group.ReadWrite.All', 'AuditLog.Read.All'],
    });
    admin = await appToken(foyer, tenant, adminApp);
    reader = await appToken(foyer, tenant, await foyer.createApp(tenant.id, { displayName: 'reader tool', applicationPermissions: ['User.Read.All'] }));
    for (const name of ['portal', 'wiki']) {
      const app = await foyer.createApp(tenant.id, { displayName: name });
      appIds[name] = app.appId;
      sp[name] = (await graph(foyer, admin, 'GET', `/servicePrincipals(appId='${app.appId}')`)).body.id;
    }
    for (const name of ['ada', 'bo']) {
      const user = await createMember(foyer.ctx, tenant.id, {
        userPrincipalName: `${name}@contoso.example`,
        displayName: name,
        password: `${name}-Long-Passphrase-1`,
      });
      people[name] = user.id;
    }
    group = await createSecurityGroup(foyer, admin, 'Clerks');
  });
  afterAll(() => foyer?.stop());

  const assignTo = (set: 'users' | 'groups', key: string, principalId: string, resource: string, token = admin) =>
    graph(foyer, token, 'POST', `/${set}/${key}/appRoleAssignments`, { principalId, resourceId: resource, appRoleId: DEFAULT_ACCESS });

  it('assigns from the user’s and group’s side (by id or user principal name), and refuses a principalId that is not the URL’s', async () => {
    const toAda = await assignTo('users', people.ada!, people.ada!, sp.portal!);
    expect(toAda.status).toBe(201);
    expect(toAda.headers.get('location')).toBe(`${foyer.url}/graph/v1.0/users/${people.ada}/appRoleAssignments/${toAda.body.id}`);
    expect(toAda.body).toMatchObject({
      '@odata.context': `${foyer.url}/graph/v1.0/$metadata#users('${people.ada}')/appRoleAssignments/$entity`,
      principalId: people.ada,
      principalType: 'User',
      principalDisplayName: 'ada',
      resourceId: sp.portal,
      resourceDisplayName: 'portal',
      appRoleId: DEFAULT_ACCESS,
    });
    expect((await assignTo('users', 'ada@contoso.example', people.ada!, sp.wiki!)).status).toBe(201);
    const again = await assignTo('users', 'ADA@contoso.example', people.ada!, sp.wiki!);
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe('Permission being assigned already exists on the object.');

    const mismatch = await assignTo('users', people.ada!, people.bo!, sp.portal!);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toContain('principalId must be');
    expect((await assignTo('groups', people.ada!, people.ada!, sp.portal!)).status).toBe(404);
    expect((await assignTo('users', 'nobody@contoso.example', people.ada!, sp.portal!)).status).toBe(404);
    expect((await assignTo('users', people.bo!, people.bo!, sp.portal!, reader)).status).toBe(403);

    const toGroup = await assignTo('groups', group, group, sp.portal!);
    expect(toGroup.status).toBe(201);
    expect(toGroup.body).toMatchObject({ principalId: group, principalType: 'Group', resourceId: sp.portal });
  });

  it('answers "is this user assigned to app X" with $filter, and takes $top and $select', async () => {
    const all = await graph(foyer, reader, 'GET', '/users/ada@contoso.example/appRoleAssignments');
    expect(all.status).toBe(200);
    expect(all.body.value.map((a: { resourceId: string }) => a.resourceId).sort()).toEqual([sp.portal, sp.wiki].sort());

    const portal = await graph(foyer, reader, 'GET', `/users/${people.ada}/appRoleAssignments?$filter=${q(`resourceId eq ${sp.portal}`)}`);
    expect(portal.body.value).toEqual([expect.objectContaining({ resourceId: sp.portal, principalId: people.ada })]);
    const quoted = await graph(foyer, reader, 'GET', `/users/${people.ada}/appRoleAssignments?$filter=${q(`resourceId eq '${sp.wiki}'`)}`);
    expect(quoted.body.value.map((a: { resourceId: string }) => a.resourceId)).toEqual([sp.wiki]);
    const bo = await graph(foyer, reader, 'GET', `/users/${people.bo}/appRoleAssignments?$filter=${q(`resourceId eq ${sp.portal}`)}`);
    expect(bo.status).toBe(200);
    expect(bo.body.value).toEqual([]);
    const ofGroup = await graph(foyer, reader, 'GET', `/groups/${group}/appRoleAssignments?$filter=${q(`resourceId eq ${sp.wiki}`)}`);
    expect(ofGroup.body.value).toEqual([]);

    expect((await graph(foyer, reader, 'GET', `/users/${people.ada}/appRoleAssignments?$top=1`)).body.value).toHaveLength(1);
    const selected = await graph(
      foyer,
      reader,
      'GET',
      `/users/${people.ada}/appRoleAssignments?$select=id,resourceId&$filter=${q(`resourceId eq ${sp.portal}`)}`,
    );
    expect(selected.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#users('${people.ada}')/appRoleAssignments(id,resourceId)`);
    expect(Object.keys(selected.body.value[0]).sort()).toEqual(['id', 'resourceId']);

    // From the app's side: principalId eq.
    const assignedTo = await graph(foyer, admin, 'GET', `/servicePrincipals/${sp.portal}/appRoleAssignedTo?$filter=${q(`principalId eq ${people.ada}`)}`);
    expect(assignedTo.body.value.map((a: { principalId: string }) => a.principalId)).toEqual([people.ada]);
    const none = await graph(foyer, admin, 'GET', `/servicePrincipals/${sp.portal}/appRoleAssignedTo?$filter=${q(`principalId eq ${people.bo}`)}`);
    expect(none.body.value).toEqual([]);
  });

  it('refuses every other query option with 400 instead of ignoring it', async () => {
    const refused = [
      `/users/${people.ada}/appRoleAssignments?$orderby=createdDateTime`,
      `/users/${people.ada}/appRoleAssignments?$count=true`,
      `/users/${people.ada}/appRoleAssignments?$filter=${q(`appRoleId eq ${DEFAULT_ACCESS}`)}`,
      `/users/${people.ada}/appRoleAssignments?$filter=${q(`resourceId ne ${sp.portal}`)}`,
      `/users/${people.ada}/appRoleAssignments?$filter=${q('resourceId eq portal')}`,
      `/users/${people.ada}/appRoleAssignments?$select=nope`,
      `/users/${people.ada}/appRoleAssignments?$top=0`,
      `/groups/${group}/appRoleAssignments?$expand=principal`,
      `/servicePrincipals/${sp.portal}/appRoleAssignedTo?$filter=${q(`resourceId eq ${sp.portal}`)}`,
      `/servicePrincipals/${sp.portal}/appRoleAssignedTo?$skip=1`,
    ];
    for (const path of refused) {
      const answer = await graph(foyer, admin, 'GET', path);
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
    }
    const orderby = await graph(foyer, admin, 'GET', `/users/${people.ada}/appRoleAssignments?$orderby=createdDateTime`);
    expect(orderby.body.error.message).toBe("Query option '$orderby' on app role assignments is not supported by Foyer.");
  });

  it('reads one assignment from the app’s side, unassigns from the user’s and group’s side, and audits under Entra’s names', async () => {
    const [mine] = (await graph(foyer, admin, 'GET', `/users/${people.ada}/appRoleAssignments?$filter=${q(`resourceId eq ${sp.portal}`)}`)).body.value;
    const one = await graph(foyer, admin, 'GET', `/servicePrincipals/${sp.portal}/appRoleAssignedTo/${mine.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: mine.id, principalId: people.ada, resourceId: sp.portal });
    expect((await graph(foyer, admin, 'GET', `/servicePrincipals/${sp.wiki}/appRoleAssignedTo/${mine.id}`)).status).toBe(404);

    // Not bo's assignment: 404 under bo's URL.
    expect((await graph(foyer, admin, 'DELETE', `/users/${people.bo}/appRoleAssignments/${mine.id}`)).status).toBe(404);
    expect((await graph(foyer, reader, 'DELETE', `/users/${people.ada}/appRoleAssignments/${mine.id}`)).status).toBe(403);
    expect((await graph(foyer, admin, 'DELETE', `/users/ada@contoso.example/appRoleAssignments/${mine.id}`)).status).toBe(204);
    expect((await graph(foyer, admin, 'DELETE', `/users/${people.ada}/appRoleAssignments/${mine.id}`)).status).toBe(404);
    const left = await graph(foyer, admin, 'GET', `/users/${people.ada}/appRoleAssignments?$filter=${q(`resourceId eq ${sp.portal}`)}`);
    expect(left.body.value).toEqual([]);

    const [groups] = (await graph(foyer, admin, 'GET', `/groups/${group}/appRoleAssignments`)).body.value;
    expect((await graph(foyer, admin, 'DELETE', `/groups/${group}/appRoleAssignments/${groups.id}`)).status).toBe(204);
    expect((await graph(foyer, admin, 'GET', `/servicePrincipals/${sp.portal}/appRoleAssignedTo`)).body.value).toEqual([]);

    const audits = await graph(foyer, admin, 'GET', '/auditLogs/directoryAudits?$top=999');
    type Audit = { activityDisplayName: string; targetResources: Array<{ id: string }> };
    const names = (audits.body.value as Audit[]).filter((e) => e.targetResources.some((t) => t.id === sp.portal)).map((e) => e.activityDisplayName);
    expect(new Set(names)).toEqual(
      new Set([
        'Add service principal',
        'Add app role assignment grant to user',
        'Remove app role assignment from user',
        'Add app role assignment to group',
        'Remove app role assignment from group',
      ]),
    );
  });

  it('changes appRoleAssignmentRequired with PATCH by the alternate key appId', async () => {
    const patched = await graph(foyer, admin, 'PATCH', `/servicePrincipals(appId='${appIds.wiki}')`, { appRoleAssignmentRequired: true });
    expect(patched.status).toBe(204);
    expect((await graph(foyer, admin, 'GET', `/servicePrincipals/${sp.wiki}`)).body.appRoleAssignmentRequired).toBe(true);
    expect(
      (await graph(foyer, admin, 'PATCH', "/servicePrincipals(appId='0b1c2d3e-0000-4000-8000-000000000000')", { appRoleAssignmentRequired: true })).status,
    ).toBe(404);
  });
});
