/**
 * Deleted users: `DELETE /users/{id}` keeps the user restorable for 30 days in `directory/deletedItems`
 * (listed with `deletedDateTime`, gone from `/users` and every relationship), `POST …/restore` brings
 * it back with its groups, roles, ownerships, manager and sponsors, `DELETE …/{id}` purges it, a restore
 * whose name or identity was taken meanwhile is refused, and the housekeeping purges after 30 days. On
 * both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents, type StoredAuditEvent } from '../../src/directory/audit-list.js';
import { findDeletedUser, purgeExpiredDeletedUsers } from '../../src/directory/deleted-users.js';
import { createTenant } from '../../src/directory/tenants.js';
import { createMember, deleteUser, findUser } from '../../src/directory/users.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends, freshContext } from '../support/backends.js';
import { contosoWithApp, createSecurityGroup, createUser, TEST_PASSWORD } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

/** The tenant's newest audit events. */
async function audits(ctx: AppContext, tenantId: string): Promise<StoredAuditEvent[]> {
  const page = await listAuditEvents(ctx.db.kysely, ctx.db.dialect, tenantId, {
    select: [],
    top: 200,
    count: false,
    orderBy: { property: 'activityDateTime', direction: 'desc' },
  });
  return page.events;
}

const GUEST_INVITER = '95e79109-95c0-4d8e-aee3-d01accf2d47b';
const DAY = 24 * 60 * 60 * 1000;

describe.each(backends)('deleted users on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let reader: string;
  const users: Record<string, string> = {};
  let team: string;

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => graph(foyer, token, method, path, body, headers);
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };
  const ref = (id: string) => ({ '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${id}` });
  const idsOf = (body: { value: Array<{ id: string }> }) => body.value.map((o) => o.id).sort();

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant, token } = await contosoWithApp(foyer, 'lifecycle', [
      'User.ReadWrite.All',
      'Group.ReadWrite.All',
      'RoleManagement.ReadWrite.Directory',
      'User.Invite.All',
      'AuditLog.Read.All',
    ]));
    reader = await appToken(foyer, tenant, await foyer.createApp(tenant.id, { displayName: 'reader', applicationPermissions: ['User.Read.All'] }));
    for (const local of ['ann', 'boss', 'rep', 'zed']) users[local] = await createUser(foyer, token, local);
    team = await createSecurityGroup(foyer, token, 'team');
    await ok('POST', `/groups/${team}/members/$ref`, ref(users.ann!));
    await ok('POST', `/groups/${team}/owners/$ref`, ref(users.ann!));
    await ok('POST', `/groups/${team}/owners/$ref`, ref(users.boss!));
    await ok('POST', `/directoryRoles/${GUEST_INVITER}/members/$ref`, ref(users.ann!));
    await ok('PUT', `/users/${users.ann}/manager/$ref`, ref(users.boss!));
    await ok('PUT', `/users/${users.rep}/manager/$ref`, ref(users.ann!));
  });
  afterAll(() => foyer?.stop());

  it('a deleted user is listed in deletedItems with deletedDateTime, and is gone from /users and every relationship', async () => {
    const before = Date.now();
    expect((await call('DELETE', `/users/${users.ann}`)).status).toBe(204);

    const list = await call('GET', '/directory/deletedItems/microsoft.graph.user');
    expect(list.status).toBe(200);
    expect(list.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#directory/deletedItems`);
    expect(list.body.value).toHaveLength(1);
    const ann = list.body.value[0];
    expect(ann).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: users.ann, displayName: 'ann' });
    // As Entra shows a deleted user: its UPN prefixed with its object id without dashes.
    expect(ann.userPrincipalName).toBe(`${users.ann!.replace(/-/g, '')}ann@contoso.example`);
    expect(Date.parse(ann.deletedDateTime)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    const one = await call('GET', `/directory/deletedItems/${users.ann}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: users.ann, deletedDateTime: ann.deletedDateTime });

    expect((await call('GET', `/users/${users.ann}`)).status).toBe(404);
    expect((await call('GET', '/users/ann@contoso.example')).status).toBe(404);
    expect(idsOf((await call('GET', '/users')).body)).not.toContain(users.ann);
    expect((await call('GET', `/groups/${team}/members`)).body.value).toEqual([]);
    expect((await call('GET', `/groups/${team}/transitiveMembers`)).body.value).toEqual([]);
    expect((await call('GET', `/groups?$expand=members,owners&$filter=displayName eq 'team'`)).body.value[0]).toMatchObject({
      members: [],
      owners: [expect.objectContaining({ id: users.boss })],
    });
    // Other groups' members are untouched by a deleted user elsewhere.
    const crew = await createSecurityGroup(foyer, token, 'crew');
    await ok('POST', `/groups/${crew}/members/$ref`, ref(users.rep!));
    expect(idsOf((await call('GET', `/groups/${crew}/transitiveMembers`)).body)).toEqual([users.rep]);
    expect(idsOf((await call('GET', `/groups/${crew}/members`)).body)).toEqual([users.rep]);
    expect((await call('GET', `/groups/${team}/members/$count`, undefined, { ConsistencyLevel: 'eventual' })).body).toBe(0);
    expect(idsOf((await call('GET', `/groups/${team}/owners`)).body)).toEqual([users.boss]);
    expect(idsOf((await call('GET', `/directoryRoles/${GUEST_INVITER}/members`)).body)).toEqual([]);
    expect((await call('GET', `/users/${users.boss}/directReports`)).body.value).toEqual([]);
    expect((await call('GET', `/users/${users.rep}/manager`)).status).toBe(404);
    // Nothing can be added to a deleted user, nor the user to anything.
    expect((await call('POST', `/groups/${team}/members/$ref`, ref(users.ann!))).status).toBe(404);
    expect((await call('DELETE', `/users/${users.ann}`)).status).toBe(404);
  });

  it('restore brings the user back with its name, groups, role, ownership, manager and reports', async () => {
    const res = await call('POST', `/directory/deletedItems/${users.ann}/restore`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      '@odata.type': '#microsoft.graph.user',
      id: users.ann,
      userPrincipalName: 'ann@contoso.example',
      deletedDateTime: null,
    });
    expect((await call('GET', '/users/ann@contoso.example')).body.id).toBe(users.ann);
    expect(idsOf((await call('GET', `/groups/${team}/members`)).body)).toEqual([users.ann]);
    expect(idsOf((await call('GET', `/groups/${team}/transitiveMembers`)).body)).toEqual([users.ann]);
    const expanded = await call('GET', `/groups?$expand=members&$filter=displayName eq 'team'`);
    expect(expanded.body.value[0].members.map((m: { id: string }) => m.id)).toEqual([users.ann]);
    expect(idsOf((await call('GET', `/groups/${team}/owners`)).body)).toEqual([users.ann, users.boss].sort());
    expect(idsOf((await call('GET', `/users/${users.ann}/memberOf`)).body)).toEqual([GUEST_INVITER, team].sort());
    expect((await call('GET', `/users/${users.ann}/manager`)).body.id).toBe(users.boss);
    expect(idsOf((await call('GET', `/users/${users.ann}/directReports`)).body)).toEqual([users.rep]);
    expect((await call('GET', '/directory/deletedItems/microsoft.graph.user')).body.value).toEqual([]);
    expect((await call('POST', `/directory/deletedItems/${users.ann}/restore`)).status).toBe(404);

    const names = (await audits(foyer.ctx, tenant.id)).filter((e) => e.targets.some((t) => t.id === users.ann)).map((e) => e.activity);
    expect(names).toEqual(expect.arrayContaining(['Delete user', 'Restore user']));
  });

  it('delta reports a deleted user removed (restorable: reason "changed") and a restored one again', async () => {
    const start = await call('GET', '/users/delta?$deltatoken=latest');
    const link = start.body['@odata.deltaLink'] as string;
    expect((await call('DELETE', `/users/${users.zed}`)).status).toBe(204);
    const removed = await graph(foyer, token, 'GET', link.slice(`${foyer.url}/graph/v1.0`.length));
    expect(removed.body.value).toEqual([{ id: users.zed, '@removed': { reason: 'changed' } }]);
    expect((await call('POST', `/directory/deletedItems/${users.zed}/restore`)).status).toBe(200);
    const back = await graph(foyer, token, 'GET', (removed.body['@odata.deltaLink'] as string).slice(`${foyer.url}/graph/v1.0`.length));
    expect(back.body.value).toEqual([expect.objectContaining({ id: users.zed, userPrincipalName: 'zed@contoso.example' })]);
  });

  it('purge deletes for good: 204, then 404, reported deleted by delta and audited as "Hard Delete user"', async () => {
    const gone = await createUser(foyer, token, 'gone');
    await ok('POST', `/groups/${team}/members/$ref`, ref(gone));
    expect((await call('DELETE', `/directory/deletedItems/${gone}`)).status).toBe(404); // a live user is deleted first
    expect((await call('DELETE', `/users/${gone}`)).status).toBe(204);
    const start = await call('GET', '/users/delta?$deltatoken=latest');
    expect((await call('DELETE', `/directory/deletedItems/${gone}`)).status).toBe(204);
    expect((await call('GET', `/directory/deletedItems/${gone}`)).status).toBe(404);
    expect((await call('POST', `/directory/deletedItems/${gone}/restore`)).status).toBe(404);
    expect(await findDeletedUser(foyer.ctx.db.kysely, tenant.id, gone)).toBeUndefined();
    const delta = await graph(foyer, token, 'GET', (start.body['@odata.deltaLink'] as string).slice(`${foyer.url}/graph/v1.0`.length));
    expect(delta.body.value).toEqual([{ id: gone, '@removed': { reason: 'deleted' } }]);
    expect((await audits(foyer.ctx, tenant.id)).some((e) => e.activity === 'Hard Delete user' && e.targets.some((t) => t.id === gone))).toBe(true);
    // The name is free again.
    await createUser(foyer, token, 'gone');
  });

  it('refuses a restore whose userPrincipalName another user took meanwhile (400), and restores once it is free', async () => {
    const old = await createUser(foyer, token, 'kim');
    expect((await call('DELETE', `/users/${old}`)).status).toBe(204);
    const newer = await createUser(foyer, token, 'kim');
    expect(newer).not.toBe(old);
    const refused = await call('POST', `/directory/deletedItems/${old}/restore`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('Request_BadRequest');
    expect(refused.body.error.message).toMatch(/conflicting object with the same value for property userPrincipalName/);
    expect((await call('GET', `/directory/deletedItems/${old}`)).status).toBe(200); // still restorable
    expect((await call('DELETE', `/users/${newer}`)).status).toBe(204);
    expect((await call('DELETE', `/directory/deletedItems/${newer}`)).status).toBe(204);
    expect((await call('POST', `/directory/deletedItems/${old}/restore`)).status).toBe(200);
  });

  it('a deleted guest can be invited again: a new object; its sponsors come back with a restore once the new one is gone', async () => {
    const first = await ok('POST', '/invitations', {
      invitedUserEmailAddress: 'gail@fabrikam.example',
      inviteRedirectUrl: 'https://app.example/',
      invitedUserSponsors: [{ id: users.boss }],
    });
    const guest = first.invitedUser.id as string;
    expect((await call('DELETE', `/users/${guest}`)).status).toBe(204);
    expect((await audits(foyer.ctx, tenant.id)).some((e) => e.activity === 'Delete external user' && e.targets.some((t) => t.id === guest))).toBe(true);

    const again = await ok('POST', '/invitations', { invitedUserEmailAddress: 'gail@fabrikam.example', inviteRedirectUrl: 'https://app.example/' });
    expect(again.invitedUser.id).not.toBe(guest);
    const refused = await call('POST', `/directory/deletedItems/${guest}/restore`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.innerError?.code ?? refused.body.error.innererror?.code).toBe('directory.restore_conflict');

    expect((await call('DELETE', `/users/${again.invitedUser.id}`)).status).toBe(204);
    expect((await call('POST', `/directory/deletedItems/${guest}/restore`)).status).toBe(200);
    const restored = await call('GET', `/users/${guest}?$select=id,userType,mail,userPrincipalName`);
    expect(restored.body).toMatchObject({ userType: 'Guest', mail: 'gail@fabrikam.example' });
    expect(restored.body.userPrincipalName).toMatch(/^gail_fabrikam\.example#EXT#@/);
    expect(idsOf((await call('GET', `/users/${guest}/sponsors`)).body)).toEqual([users.boss]);
  });

  it('lists with $select, $filter, $top paging, and $orderby=deletedDateTime as an advanced query', async () => {
    const made: string[] = [];
    for (const local of ['del1', 'del2', 'del3']) {
      const id = await createUser(foyer, token, local);
      expect((await call('DELETE', `/users/${id}`)).status).toBe(204);
      made.push(id);
    }
    const selected = await call('GET', '/directory/deletedItems/microsoft.graph.user?$select=id,displayName,deletedDateTime');
    expect(selected.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#directory/deletedItems(id,displayName,deletedDateTime)`);
    expect(Object.keys(selected.body.value[0]).sort()).toEqual(['@odata.type', 'deletedDateTime', 'displayName', 'id']);

    const filtered = await call('GET', "/directory/deletedItems/microsoft.graph.user?$filter=startswith(displayName,'del')&$top=2");
    expect(filtered.status, JSON.stringify(filtered.body)).toBe(200);
    expect(filtered.body.value).toHaveLength(2);
    const next = await graph(foyer, token, 'GET', (filtered.body['@odata.nextLink'] as string).slice(`${foyer.url}/graph/v1.0`.length));
    expect([...filtered.body.value, ...next.body.value].map((u: { id: string }) => u.id).sort()).toEqual([...made].sort());
    expect(next.body['@odata.nextLink']).toBeUndefined();

    // As in Graph: sorting by deletedDateTime needs ConsistencyLevel: eventual and $count.
    expect((await call('GET', '/directory/deletedItems/microsoft.graph.user?$orderby=deletedDateTime desc')).status).toBe(400);
    const sorted = await call(
      'GET',
      "/directory/deletedItems/microsoft.graph.user?$orderby=deletedDateTime desc&$count=true&$filter=startswith(displayName,'del')",
      undefined,
      {
        ConsistencyLevel: 'eventual',
      },
    );
    expect(sorted.status, JSON.stringify(sorted.body)).toBe(200);
    expect(sorted.body['@odata.count']).toBe(3);
    const times = sorted.body.value.map((u: { deletedDateTime: string }) => Date.parse(u.deletedDateTime));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const searched = await call('GET', '/directory/deletedItems/microsoft.graph.user?$search="displayName:del2"', undefined, { ConsistencyLevel: 'eventual' });
    expect(searched.status, JSON.stringify(searched.body)).toBe(200);
    expect(searched.body.value.map((u: { id: string }) => u.id)).toEqual([made[1]]);
    // Deleted users are not counted among the tenant's users.
    const count = await call('GET', "/users/$count?$filter=startswith(displayName,'del')", undefined, { ConsistencyLevel: 'eventual' });
    expect(count.body).toBe(0);
  });

  it('a deleted member cannot sign in with their password, and their tokens stop working; restored, they sign in again', async () => {
    const redirect = 'http://localhost:3999/callback';
    const portal = await foyer.createApp(tenant.id, { displayName: 'Portal', redirectUris: [redirect], delegatedPermissions: ['User.Read'] });
    const sam = await createUser(foyer, token, 'sam');
    const signIn = () =>
      delegatedTokens(foyer, tenant, portal, redirect, { email: 'sam@contoso.example', password: TEST_PASSWORD }, 'openid profile User.Read');
    const before = await signIn();
    expect((await graph(foyer, before.access_token, 'GET', '/me')).body.id).toBe(sam);
    expect((await call('DELETE', `/users/${sam}`)).status).toBe(204);
    expect((await graph(foyer, before.access_token, 'GET', '/me')).status).toBe(401);
    await expect(signIn()).rejects.toThrow(/did not reach the app/);
    expect((await call('POST', `/directory/deletedItems/${sam}/restore`)).status).toBe(200);
    const after = await signIn();
    expect((await graph(foyer, after.access_token, 'GET', '/me')).body.id).toBe(sam);
    // Sign-ins ended by the deletion stay ended.
    expect((await graph(foyer, before.access_token, 'GET', '/me')).status).toBe(401);
  });

  it('a restore and a purge at the same moment: exactly one wins, the other answers 404', async () => {
    const id = await createUser(foyer, token, 'race');
    expect((await call('DELETE', `/users/${id}`)).status).toBe(204);
    const [restore, purge] = await Promise.all([call('POST', `/directory/deletedItems/${id}/restore`), call('DELETE', `/directory/deletedItems/${id}`)]);
    expect([restore.status, purge.status].sort()).toEqual(restore.status === 200 ? [200, 404] : [204, 404]);
    expect((await call('GET', `/users/${id}`)).status).toBe(restore.status === 200 ? 200 : 404);
  });

  it('reading takes User.Read.All; restoring and purging take User.ReadWrite.All', async () => {
    const id = await createUser(foyer, token, 'perm');
    expect((await call('DELETE', `/users/${id}`)).status).toBe(204);
    expect((await graph(foyer, reader, 'GET', '/directory/deletedItems/microsoft.graph.user')).status).toBe(200);
    expect((await graph(foyer, reader, 'GET', `/directory/deletedItems/${id}`)).status).toBe(200);
    expect((await graph(foyer, reader, 'POST', `/directory/deletedItems/${id}/restore`)).status).toBe(403);
    expect((await graph(foyer, reader, 'DELETE', `/directory/deletedItems/${id}`)).status).toBe(403);
    expect((await call('GET', '/directory/deletedItems/not-a-guid')).status).toBe(404);
  });

  it('an app with only User.DeleteRestore.All deletes, restores and purges a user, but cannot change or list one', async () => {
    const app = await foyer.createApp(tenant.id, { displayName: 'offboarding', applicationPermissions: ['User.DeleteRestore.All'] });
    const offboarding = await appToken(foyer, tenant, app);
    const id = await createUser(foyer, token, 'leaver');
    expect((await graph(foyer, offboarding, 'PATCH', `/users/${id}`, { jobTitle: 'Gone' })).status).toBe(403);
    expect((await graph(foyer, offboarding, 'DELETE', `/users/${id}`)).status).toBe(204);
    // As in Graph, listing deleted users takes User.Read.All (or higher).
    expect((await graph(foyer, offboarding, 'GET', '/directory/deletedItems/microsoft.graph.user')).status).toBe(403);
    const restored = await graph(foyer, offboarding, 'POST', `/directory/deletedItems/${id}/restore`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body).toMatchObject({ id, '@odata.type': '#microsoft.graph.user' });
    expect((await call('GET', `/users/${id}`)).status).toBe(200);
    expect((await graph(foyer, offboarding, 'DELETE', `/users/${id}`)).status).toBe(204);
    expect((await graph(foyer, offboarding, 'DELETE', `/directory/deletedItems/${id}`)).status).toBe(204);
    expect((await call('GET', `/directory/deletedItems/${id}`)).status).toBe(404);
  });

  it('deleted groups, applications and service principals: always an empty list (Foyer deletes those for good)', async () => {
    const doomed = await createSecurityGroup(foyer, token, 'doomed');
    expect((await call('DELETE', `/groups/${doomed}`)).status).toBe(204);
    const directoryReader = await appToken(
      foyer,
      tenant,
      await foyer.createApp(tenant.id, { displayName: 'directory reader', applicationPermissions: ['Group.Read.All', 'Application.Read.All'] }),
    );
    for (const type of ['group', 'application', 'servicePrincipal']) {
      for (const cast of [`microsoft.graph.${type}`, `graph.${type}`]) {
        const res = await graph(foyer, directoryReader, 'GET', `/directory/deletedItems/${cast}`);
        expect(res.status, `${cast}: ${JSON.stringify(res.body)}`).toBe(200);
        expect(res.body).toEqual({ '@odata.context': `${foyer.url}/graph/v1.0/$metadata#directory/deletedItems/microsoft.graph.${type}`, value: [] });
      }
    }
    expect((await call('GET', '/directory/deletedItems/microsoft.graph.group?$count=true')).body['@odata.count']).toBe(0);
    // Reading them takes what reading the live objects takes.
    expect((await graph(foyer, reader, 'GET', '/directory/deletedItems/microsoft.graph.group')).status).toBe(403);
    expect((await graph(foyer, reader, 'GET', '/directory/deletedItems/microsoft.graph.application')).status).toBe(403);
  });
});

describe.each(backends)('the 30-day purge on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  let ctx: AppContext;
  let tenantId: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await freshContext(backend, clock);
    ctx = fresh.ctx;
    cleanup = fresh.cleanup;
    tenantId = (
      await createTenant(ctx, { name: 'Contoso', domains: ['contoso.example'], adminEmail: 'admin@contoso.example', adminPassword: 'Correct-Horse-9' })
    ).tenant.id;
  });
  afterAll(() => cleanup?.());

  it('keeps a deleted user restorable for 30 days, then the housekeeping purges it', async () => {
    const user = await createMember(ctx, tenantId, { userPrincipalName: 'old@contoso.example', displayName: 'Old', password: 'Secret-Passphrase-1' });
    await deleteUser(ctx, tenantId, user.id);
    clock.advance(30 * DAY - 1000);
    expect(await purgeExpiredDeletedUsers(ctx)).toBe(0);
    expect(await findDeletedUser(ctx.db.kysely, tenantId, user.id)).toMatchObject({ id: user.id });
    clock.advance(2000);
    expect(await purgeExpiredDeletedUsers(ctx)).toBe(1);
    expect(await findDeletedUser(ctx.db.kysely, tenantId, user.id)).toBeUndefined();
    expect(await findUser(ctx.db.kysely, tenantId, user.id)).toBeUndefined();
    expect((await audits(ctx, tenantId)).find((e) => e.activity === 'Hard Delete user')).toMatchObject({ targets: [expect.objectContaining({ id: user.id })] });
    // A second run finds nothing.
    expect(await purgeExpiredDeletedUsers(ctx)).toBe(0);
  });
});
