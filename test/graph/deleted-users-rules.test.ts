/**
 * The rules around deleted users that another object or another administrator can run into: a restore
 * is refused while a live user of the tenant holds the deleted user's mail; a deleted owner is no owner
 * (it cannot keep a group's last live owner removable); and a deleted Global Administrator can be
 * restored or purged only by someone who could have deleted them (a User Administrator or an app cannot).
 * On both backends, over Graph with app and delegated tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createMember, deleteUser } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { contosoWithApp, createSecurityGroup, createUser } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';

describe.each(backends)('deleted users and the objects and administrators around them on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;

  const call = (method: string, path: string, body?: unknown) => graph(foyer, token, method, path, body);
  const ref = (id: string) => ({ '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${id}` });
  const idsOf = (body: { value: Array<{ id: string }> }) => body.value.map((o) => o.id).sort();

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant, token } = await contosoWithApp(foyer, 'lifecycle', ['User.ReadWrite.All', 'Group.ReadWrite.All']));
  });
  afterAll(() => foyer?.stop());

  it('refuses a restore while a live user of the tenant has the same mail under another name, and restores once it is changed', async () => {
    const old = await createUser(foyer, token, 'lee', { mail: 'lee@partner.example' });
    expect((await call('DELETE', `/users/${old}`)).status).toBe(204);
    // The address came back on another user whose userPrincipalName differs (and in other letter case).
    const newer = await createUser(foyer, token, 'lee.again', { mail: 'LEE@partner.example' });
    const refused = await call('POST', `/directory/deletedItems/${old}/restore`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('Request_BadRequest');
    expect(refused.body.error.innerError.code).toBe('directory.restore_conflict');
    expect(refused.body.error.message).toMatch(/conflicting object with the same value for property mail already exists/);
    expect((await call('GET', `/directory/deletedItems/${old}`)).status).toBe(200);
    expect((await call('GET', '/users/lee@contoso.example')).status).toBe(404);

    // Another deleted user with that mail blocks nothing; the live one does until its mail changes.
    expect((await call('PATCH', `/users/${newer}`, { mail: 'lee.again@partner.example' })).status).toBe(204);
    const restored = await call('POST', `/directory/deletedItems/${old}/restore`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body).toMatchObject({ id: old, userPrincipalName: 'lee@contoso.example', mail: 'lee@partner.example' });
  });

  it('a deleted owner does not count as another owner: the last live owner stays; restored, it counts again', async () => {
    const [ada, bea] = [await createUser(foyer, token, 'ada'), await createUser(foyer, token, 'bea')];
    const group = await createSecurityGroup(foyer, token, 'owned');
    for (const owner of [ada, bea]) expect((await call('POST', `/groups/${group}/owners/$ref`, ref(owner))).status).toBe(204);
    expect((await call('DELETE', `/users/${ada}`)).status).toBe(204);
    expect(idsOf((await call('GET', `/groups/${group}/owners`)).body)).toEqual([bea]);

    const last = await call('DELETE', `/groups/${group}/owners/${bea}/$ref`);
    expect(last.status).toBe(400);
    expect(last.body.error.innerError.code).toBe('directory.last_group_owner');
    expect(idsOf((await call('GET', `/groups/${group}/owners`)).body)).toEqual([bea]);
    // The deleted owner is not listed, so it is not there to remove either; its link waits for a restore.
    expect((await call('DELETE', `/groups/${group}/owners/${ada}/$ref`)).status).toBe(404);

    expect((await call('POST', `/directory/deletedItems/${ada}/restore`)).status).toBe(200);
    expect(idsOf((await call('GET', `/groups/${group}/owners`)).body)).toEqual([ada, bea].sort());
    expect((await call('DELETE', `/groups/${group}/owners/${bea}/$ref`)).status).toBe(204);
    expect(idsOf((await call('GET', `/groups/${group}/owners`)).body)).toEqual([ada]);
  });

  it("a deleted member's group membership is hidden, not removable, and back after the restore", async () => {
    const cy = await createUser(foyer, token, 'cy');
    const group = await createSecurityGroup(foyer, token, 'kept');
    expect((await call('POST', `/groups/${group}/members/$ref`, ref(cy))).status).toBe(204);
    expect((await call('DELETE', `/users/${cy}`)).status).toBe(204);
    expect(idsOf((await call('GET', `/groups/${group}/members`)).body)).toEqual([]);
    // Not listed, so not there to remove: 404, and the link waits for the restore.
    expect((await call('DELETE', `/groups/${group}/members/${cy}/$ref`)).status).toBe(404);
    expect((await call('POST', `/directory/deletedItems/${cy}/restore`)).status).toBe(200);
    expect(idsOf((await call('GET', `/groups/${group}/members`)).body)).toEqual([cy]);
  });

  it('a User Administrator (or an app) cannot restore or purge a deleted Global Administrator; a Global Administrator can', async () => {
    const ua = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'ua@contoso.example', displayName: 'UA', password: 'Ua-Passphrase-1' });
    await assignRole(foyer.ctx, tenant.id, directoryRoles.userAdministrator.id, ua.id);
    const ga = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'ga2@contoso.example', displayName: 'GA 2', password: 'Ga-Passphrase-1' });
    await assignRole(foyer.ctx, tenant.id, directoryRoles.globalAdministrator.id, ga.id);
    const plain = await createUser(foyer, token, 'plain');
    await deleteUser(foyer.ctx, tenant.id, ga.id);
    expect((await call('DELETE', `/users/${plain}`)).status).toBe(204);

    const console = await foyer.createApp(tenant.id, { displayName: 'Console', redirectUris: [REDIRECT], delegatedPermissions: ['User.ReadWrite.All'] });
    const signIn = async (email: string, password: string) =>
      (await delegatedTokens(foyer, tenant, console, REDIRECT, { email, password }, 'openid User.ReadWrite.All')).access_token;
    const userAdmin = await signIn('ua@contoso.example', 'Ua-Passphrase-1');

    for (const [who, method, path] of [
      [userAdmin, 'POST', `/directory/deletedItems/${ga.id}/restore`],
      [userAdmin, 'DELETE', `/directory/deletedItems/${ga.id}`],
      [token, 'POST', `/directory/deletedItems/${ga.id}/restore`],
      [token, 'DELETE', `/directory/deletedItems/${ga.id}`],
    ] as const) {
      const res = await graph(foyer, who, method, path);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('Authorization_RequestDenied');
    }
    // Still deleted and restorable; nothing changed.
    expect((await graph(foyer, userAdmin, 'GET', `/directory/deletedItems/${ga.id}`)).status).toBe(200);
    // A deleted user who holds no role the User Administrator is below, the User Administrator restores.
    expect((await graph(foyer, userAdmin, 'POST', `/directory/deletedItems/${plain}/restore`)).status).toBe(200);

    const globalAdmin = await signIn('admin@contoso.example', tenant.admin.password);
    const restored = await graph(foyer, globalAdmin, 'POST', `/directory/deletedItems/${ga.id}/restore`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    const roles = await graph(foyer, globalAdmin, 'GET', `/users/${ga.id}/memberOf`);
    expect(roles.body.value.map((r: { id: string }) => r.id)).toContain(directoryRoles.globalAdministrator.id);
  });
});
