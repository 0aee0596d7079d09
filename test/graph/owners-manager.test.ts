/**
 * Group owners (`owners@odata.bind` at creation, `GET`/`POST /groups/{id}/owners(/$ref)`, `DELETE
 * …/owners/{id}/$ref`, the last owner kept) and a user's manager (`PUT`/`DELETE /users/{id}/manager/$ref`,
 * `GET /users/{id}/manager`, `directReports`), also through the Kiota SDK; and what deleting a user does
 * to them. On both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { contosoWithApp, createUser, TEST_PASSWORD } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient } from '../support/kiota-client.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';

const eventual = { ConsistencyLevel: 'eventual' };

describe.each(backends)('owners and managers on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let readOnly: string;
  const users: Record<string, string> = {};

  const get = (path: string, headers: Record<string, string> = {}) => graph(foyer, token, 'GET', path, undefined, headers);
  const userRef = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${id}` });
  const ids = (body: { value: Array<{ id: string }> }) => body.value.map((o) => o.id).sort();
  const newUser = async (local: string) => {
    users[local] = await createUser(foyer, token, local);
    return users[local];
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant, token } = await contosoWithApp(foyer, 'rel', ['User.ReadWrite.All', 'Group.ReadWrite.All']));
    const reader = await foyer.createApp(tenant.id, { displayName: 'reader', applicationPermissions: ['User.Read.All', 'Group.Read.All'] });
    readOnly = await appToken(foyer, tenant, reader);
    for (const local of ['olga', 'oscar', 'mia', 'ray', 'rita']) await newUser(local);
  });
  afterAll(() => foyer?.stop());

  describe('owners', () => {
    let groupId: string;

    it('creates a group with owners@odata.bind and lists them', async () => {
      const res = await graph(foyer, token, 'POST', '/groups', {
        displayName: 'Owned',
        mailNickname: 'owned',
        securityEnabled: true,
        mailEnabled: false,
        'owners@odata.bind': [`${foyer.url}/graph/v1.0/users/${users.olga}`],
        'members@odata.bind': [`${foyer.url}/graph/v1.0/directoryObjects/${users.ray}`],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      groupId = res.body.id;
      const owners = await get(`/groups/${groupId}/owners`);
      expect(owners.status).toBe(200);
      expect(owners.body.value).toHaveLength(1);
      expect(owners.body.value[0]).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: users.olga, displayName: 'olga' });
      // Owners are not members.
      expect(ids((await get(`/groups/${groupId}/members`)).body)).toEqual([users.ray]);
    });

    it('adds an owner with owners/$ref, refuses one twice, and counts them', async () => {
      expect((await graph(foyer, token, 'POST', `/groups/${groupId}/owners/$ref`, userRef(users.oscar!))).status).toBe(204);
      const again = await graph(foyer, token, 'POST', `/groups/${groupId}/owners/$ref`, userRef(users.oscar!));
      expect(again.status).toBe(400);
      expect(again.body.error.innerError.code).toBe('directory.owner_already_in_group');
      expect(ids((await get(`/groups/${groupId}/owners/microsoft.graph.user`)).body)).toEqual([users.olga, users.oscar].sort());
      expect((await get(`/groups/${groupId}/owners/$count`, eventual)).body).toBe(2);
      const select = await get(`/groups/${groupId}/owners?$select=displayName`);
      expect(select.body.value.map((o: Record<string, unknown>) => Object.keys(o).sort())).toEqual([
        ['@odata.type', 'displayName', 'id'],
        ['@odata.type', 'displayName', 'id'],
      ]);
    });

    it('refuses a group as an owner, and an unknown one with 404', async () => {
      const other = await graph(foyer, token, 'POST', '/groups', { displayName: 'Other', mailNickname: 'other', securityEnabled: true, mailEnabled: false });
      const group = await graph(foyer, token, 'POST', `/groups/${groupId}/owners/$ref`, {
        '@odata.id': `https://graph.microsoft.com/v1.0/groups/${other.body.id}`,
      });
      expect(group.status).toBe(400);
      const unknown = await graph(foyer, token, 'POST', `/groups/${groupId}/owners/$ref`, userRef('00000000-0000-0000-0000-000000000000'));
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('Request_ResourceNotFound');
    });

    it('removes an owner but keeps the last one, as Graph does', async () => {
      expect((await graph(foyer, token, 'DELETE', `/groups/${groupId}/owners/${users.oscar}/$ref`)).status).toBe(204);
      const last = await graph(foyer, token, 'DELETE', `/groups/${groupId}/owners/${users.olga}/$ref`);
      expect(last.status).toBe(400);
      expect(last.body.error.code).toBe('Request_BadRequest');
      expect(last.body.error.innerError.code).toBe('directory.last_group_owner');
      expect(ids((await get(`/groups/${groupId}/owners`)).body)).toEqual([users.olga]);
      const notOwner = await graph(foyer, token, 'DELETE', `/groups/${groupId}/owners/${users.mia}/$ref`);
      expect(notOwner.status).toBe(404);
    });

    it('needs a write permission to change owners; the read permission lists them', async () => {
      const write = await graph(foyer, readOnly, 'POST', `/groups/${groupId}/owners/$ref`, userRef(users.mia!));
      expect(write.status).toBe(403);
      expect((await graph(foyer, readOnly, 'GET', `/groups/${groupId}/owners`)).status).toBe(200);
    });
  });

  describe('manager', () => {
    it('sets, reads and replaces a manager, and lists direct reports', async () => {
      expect((await graph(foyer, token, 'PUT', `/users/${users.ray}/manager/$ref`, userRef(users.mia!))).status).toBe(204);
      expect((await graph(foyer, token, 'PUT', `/users/${users.rita}/manager/$ref`, userRef(users.mia!))).status).toBe(204);
      const manager = await get(`/users/${users.ray}/manager`);
      expect(manager.status).toBe(200);
      expect(manager.body).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: users.mia, displayName: 'mia' });
      const selected = await get(`/users/${users.ray}/manager?$select=id,displayName`);
      expect(Object.keys(selected.body).sort()).toEqual(['@odata.context', '@odata.type', 'displayName', 'id']);

      const reports = await get(`/users/${users.mia}/directReports`);
      expect(ids(reports.body)).toEqual([users.ray, users.rita].sort());
      expect((await get(`/users/${users.mia}/directReports/$count`, eventual)).body).toBe(2);

      // PUT replaces: ray now reports to oscar.
      expect((await graph(foyer, token, 'PUT', `/users/${users.ray}/manager/$ref`, userRef(users.oscar!))).status).toBe(204);
      expect((await get(`/users/${users.ray}/manager`)).body.id).toBe(users.oscar);
      expect(ids((await get(`/users/${users.mia}/directReports`)).body)).toEqual([users.rita]);
    });

    it('answers 404 Request_ResourceNotFound when a user has no manager, and after DELETE', async () => {
      const none = await get(`/users/${users.olga}/manager`);
      expect(none.status).toBe(404);
      expect(none.body.error.code).toBe('Request_ResourceNotFound');
      expect((await graph(foyer, token, 'DELETE', `/users/${users.rita}/manager/$ref`)).status).toBe(204);
      expect((await get(`/users/${users.rita}/manager`)).status).toBe(404);
      expect((await graph(foyer, token, 'DELETE', `/users/${users.rita}/manager/$ref`)).status).toBe(404);
    });

    it('refuses a user as their own manager, and a group as a manager', async () => {
      const self = await graph(foyer, token, 'PUT', `/users/${users.olga}/manager/$ref`, userRef(users.olga!));
      expect(self.status).toBe(400);
      expect(self.body.error.innerError.code).toBe('directory.invalid_manager');
      const group = await graph(foyer, token, 'POST', '/groups', { displayName: 'Mgr', mailNickname: 'mgr', securityEnabled: true, mailEnabled: false });
      const byGroup = await graph(foyer, token, 'PUT', `/users/${users.olga}/manager/$ref`, {
        '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${group.body.id}`,
      });
      expect(byGroup.status).toBe(400);
      const readOnlyPut = await graph(foyer, readOnly, 'PUT', `/users/${users.olga}/manager/$ref`, userRef(users.mia!));
      expect(readOnlyPut.status).toBe(403);
    });

    it('lets a person read their own groups with User.Read, and their manager and reports only with User.ReadBasic.All (basic properties)', async () => {
      const pat = await newUser('pat');
      expect((await graph(foyer, token, 'PUT', `/users/${pat}/manager/$ref`, userRef(users.mia!))).status).toBe(204);
      const group = await graph(foyer, token, 'POST', '/groups', {
        displayName: 'Pats',
        mailNickname: 'pats',
        securityEnabled: true,
        mailEnabled: false,
        'members@odata.bind': [`${foyer.url}/graph/v1.0/users/${pat}`],
      });
      const app = await foyer.createApp(tenant.id, {
        displayName: 'Self',
        redirectUris: [REDIRECT],
        delegatedPermissions: ['User.Read', 'User.ReadBasic.All'],
      });
      const signIn = async (scope: string) =>
        (await delegatedTokens(foyer, tenant, app, REDIRECT, { email: 'pat@contoso.example', password: TEST_PASSWORD }, scope)).access_token;
      const as = (access: string, path: string) => graph(foyer, access, 'GET', path);

      // No Graph permission at all: one's own object only.
      const none = await signIn('openid profile');
      expect((await as(none, '/me')).status).toBe(200);
      for (const path of [
        '/me/manager?$select=mobilePhone,otherMails,identities',
        '/me/directReports',
        '/me/transitiveMemberOf',
        '/me?$expand=manager',
        '/me?$expand=directReports',
        '/me?$expand=memberOf',
        `/users/${pat}/manager`,
        `/users/${pat}/memberOf`,
      ]) {
        const res = await as(none, path);
        expect(res.status, path).toBe(403);
        expect(res.body.error.code).toBe('Authorization_RequestDenied');
      }

      // User.Read: one's own groups; the manager is someone else's profile.
      const read = await signIn('openid profile User.Read');
      expect(ids((await as(read, '/me/transitiveMemberOf')).body)).toEqual([group.body.id]);
      expect(ids((await as(read, `/users/${pat}/memberOf`)).body)).toEqual([group.body.id]);
      expect((await as(read, '/me?$expand=memberOf')).body.memberOf.map((g: { id: string }) => g.id)).toEqual([group.body.id]);
      expect((await as(read, '/me/manager')).status).toBe(403);
      expect((await as(read, '/me?$expand=manager')).status).toBe(403);

      // User.ReadBasic.All: the manager's basic properties, never the rest.
      const basic = await signIn('openid profile User.Read User.ReadBasic.All');
      const mine = await as(basic, '/me/manager');
      expect(mine.status).toBe(200);
      expect(mine.body.displayName).toBe('mia');
      expect(Object.keys(mine.body).sort()).toEqual(
        ['@odata.context', '@odata.type', 'displayName', 'givenName', 'id', 'mail', 'surname', 'userPrincipalName'].sort(),
      );
      expect((await as(basic, '/me/manager?$select=mobilePhone,otherMails,identities')).status).toBe(403);
      const expanded = await as(basic, '/me?$expand=manager($select=id)');
      expect(expanded.body.manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: users.mia });
      const full = await as(basic, '/me?$expand=manager');
      expect(full.body.manager.displayName).toBe('mia');
      expect(full.body.manager).not.toHaveProperty('mobilePhone');
      expect((await as(basic, '/me?$expand=manager($select=mobilePhone)')).status).toBe(403);
      expect((await as(basic, `/users/${users.mia}/directReports?$filter=mobilePhone eq '1'`)).status).toBe(403);
      const reports = await as(basic, `/users/${users.mia}/directReports?$select=id,displayName`);
      expect(reports.status).toBe(200);
      expect(reports.body.value.map((u: { id: string }) => u.id)).toContain(pat);
      // Someone else's groups still need the read rule.
      expect((await as(basic, `/users/${users.ray}/memberOf`)).status).toBe(403);
      // An app's own token has no "me".
      expect((await graph(foyer, token, 'GET', '/me/manager')).status).toBe(400);
    });

    it('sets and reads a manager through the Kiota SDK', async () => {
      const client = kiotaGraphClient(foyer.url, token);
      await client.users.byUserId(users.olga!).manager.ref.put({ odataId: `${foyer.url}/graph/v1.0/users/${users.oscar}` });
      const manager = await client.users.byUserId(users.olga!).manager.get();
      expect(manager?.id).toBe(users.oscar);
      expect((manager as { displayName?: string }).displayName).toBe('oscar');
      const reports = await client.users.byUserId(users.oscar!).directReports.get();
      expect((reports?.value ?? []).map((r) => r.id).sort()).toEqual([users.olga, users.ray].sort());
    });
  });

  it('deleting a user ends their manager links, ownerships and group memberships', async () => {
    const boss = await newUser('boss');
    const staff = await newUser('staff');
    expect((await graph(foyer, token, 'PUT', `/users/${staff}/manager/$ref`, userRef(boss))).status).toBe(204);
    const group = await graph(foyer, token, 'POST', '/groups', {
      displayName: 'Team',
      mailNickname: 'team',
      securityEnabled: true,
      mailEnabled: false,
      'owners@odata.bind': [`${foyer.url}/graph/v1.0/users/${boss}`, `${foyer.url}/graph/v1.0/users/${staff}`],
      'members@odata.bind': [`${foyer.url}/graph/v1.0/users/${boss}`],
    });
    expect(group.status).toBe(201);
    expect((await graph(foyer, token, 'DELETE', `/users/${boss}`)).status).toBe(204);
    expect((await get(`/users/${staff}/manager`)).status).toBe(404);
    expect(ids((await get(`/groups/${group.body.id}/owners`)).body)).toEqual([staff]);
    expect((await get(`/groups/${group.body.id}/members`)).body.value).toEqual([]);
  });
});
