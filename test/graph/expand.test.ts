/**
 * `$expand` on users (`manager`, `memberOf`, `directReports`) and groups (`members`, `owners`): on lists
 * and single objects, with `$select` inside the parentheses, at most 20 objects of an expanded collection,
 * kept on next links; unknown and unsupported targets refused with Graph's 400 naming them. Also through
 * the Kiota SDK (`users.get({ queryParameters: { expand: ['manager'] } })`). On both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient } from '../support/kiota-client.js';
import { appToken, graph } from '../support/tokens.js';

const q = (s: string) => encodeURIComponent(s);

describe.each(backends)('expanding relationships on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  const users: Record<string, string> = {};
  let groupId: string;
  let bigGroupId: string;

  const get = (path: string) => graph(foyer, token, 'GET', path);
  const bind = (kind: string, id: string) => `${foyer.url}/graph/v1.0/${kind}/${id}`;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'expand', applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All'] });
    token = await appToken(foyer, tenant, app);
    for (let i = 0; i < 23; i++) {
      const local = `x${String(i).padStart(2, '0')}`;
      const res = await graph(foyer, token, 'POST', '/users', {
        accountEnabled: true,
        displayName: local,
        mailNickname: local,
        userPrincipalName: `${local}@contoso.example`,
        jobTitle: 'Staff',
        passwordProfile: { password: 'Long-Enough-Passphrase-1' },
      });
      expect(res.status).toBe(201);
      users[local] = res.body.id;
    }
    // x01 and x02 report to x00.
    for (const report of ['x01', 'x02']) {
      expect((await graph(foyer, token, 'PUT', `/users/${users[report]}/manager/$ref`, { '@odata.id': bind('users', users.x00!) })).status).toBe(204);
    }
    const group = await graph(foyer, token, 'POST', '/groups', {
      displayName: 'Small',
      mailNickname: 'small',
      securityEnabled: true,
      mailEnabled: false,
      'owners@odata.bind': [bind('users', users.x00!)],
      'members@odata.bind': [bind('users', users.x01!), bind('users', users.x02!)],
    });
    expect(group.status).toBe(201);
    groupId = group.body.id;
    const big = await graph(foyer, token, 'POST', '/groups', { displayName: 'Big', mailNickname: 'big', securityEnabled: true, mailEnabled: false });
    bigGroupId = big.body.id;
    const all = Object.values(users);
    for (let i = 0; i < all.length; i += 20) {
      const res = await graph(foyer, token, 'PATCH', `/groups/${bigGroupId}`, { 'members@odata.bind': all.slice(i, i + 20).map((id) => bind('users', id)) });
      expect(res.status).toBe(204);
    }
    expect((await graph(foyer, token, 'POST', `/groups/${bigGroupId}/members/$ref`, { '@odata.id': bind('groups', groupId) })).status).toBe(204);
  });
  afterAll(() => foyer?.stop());

  it("expands a user's manager on GET /users/{id}, with $select inside the parentheses", async () => {
    const res = await get(`/users/${users.x01}?$expand=manager`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(users.x01);
    expect(res.body.manager).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: users.x00, displayName: 'x00', jobTitle: 'Staff' });
    const selected = await get(`/users/${users.x01}?$select=displayName&$expand=${q('manager($select=id,displayName)')}`);
    expect(selected.status).toBe(200);
    expect(Object.keys(selected.body).sort()).toEqual(['@odata.context', 'displayName', 'id', 'manager']);
    expect(selected.body.manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: users.x00, displayName: 'x00' });
    // No manager: the property is left out.
    const none = await get(`/users/${users.x00}?$expand=manager`);
    expect(none.status).toBe(200);
    expect(none.body.manager).toBeUndefined();
  });

  it('expands manager on GET /users, page by page, keeping $expand on the next link', async () => {
    const first = await get(`/users?$top=2&$select=id&$expand=manager&$filter=${q("startswith(displayName,'x0')")}`);
    expect(first.status).toBe(200);
    const next = first.body['@odata.nextLink'] as string;
    expect(new URL(next).searchParams.get('$expand')).toBe('manager');
    const pages = [first.body];
    let link: string | undefined = next;
    while (link) {
      const res = await get(link.slice(`${foyer.url}/graph/v1.0`.length));
      expect(res.status).toBe(200);
      pages.push(res.body);
      link = res.body['@odata.nextLink'];
    }
    const managers = Object.fromEntries(pages.flatMap((p) => p.value).map((u: { id: string; manager?: { id: string } }) => [u.id, u.manager?.id]));
    expect(managers[users.x01!]).toBe(users.x00);
    expect(managers[users.x02!]).toBe(users.x00);
    expect(managers[users.x00!]).toBeUndefined();
  });

  it('expands memberOf and directReports of a user', async () => {
    const res = await get(`/users/${users.x01}?$expand=memberOf`);
    expect(res.body.memberOf.map((g: { id: string }) => g.id).sort()).toEqual([groupId, bigGroupId].sort());
    expect(res.body.memberOf[0]['@odata.type']).toBe('#microsoft.graph.group');
    const reports = await get(`/users/${users.x00}?$expand=${q('directReports($select=displayName)')}`);
    expect(reports.body.directReports.map((u: { displayName: string }) => u.displayName).sort()).toEqual(['x01', 'x02']);
  });

  it('expands members and owners of a group, at most 20 members, with users and groups typed', async () => {
    const small = await get(`/groups/${groupId}?$expand=members,owners`);
    expect(small.status).toBe(200);
    expect(small.body.members.map((m: { id: string }) => m.id).sort()).toEqual([users.x01, users.x02].sort());
    expect(small.body.owners.map((o: { id: string }) => o.id)).toEqual([users.x00]);
    const big = await get(`/groups/${bigGroupId}?$expand=${q('members($select=id)')}`);
    expect(big.status).toBe(200);
    // 24 members (23 users, one group): an expanded collection shows 20.
    expect(big.body.members).toHaveLength(20);
    const list = await get(`/groups?$filter=${q("displayName eq 'Small'")}&$expand=owners`);
    expect(list.status).toBe(200);
    expect(list.body.value[0].owners.map((o: { id: string }) => o.id)).toEqual([users.x00]);
  });

  it('expands each object of a page with its own first 20 related objects by id, users and groups alike', async () => {
    // Every group of the page, with every relationship: each shows its own first 20 members by id.
    const page = await get(`/groups?$top=999&$expand=${q('members($select=id),owners($select=id),memberOf($select=id)')}`);
    expect(page.status).toBe(200);
    const byId = new Map(page.body.value.map((g: { id: string }) => [g.id, g]));
    const big = byId.get(bigGroupId) as { members: Array<{ id: string }>; owners: unknown[] };
    const everyone = [...Object.values(users), groupId].sort();
    expect(big.members.map((m) => m.id)).toEqual(everyone.slice(0, 20));
    expect(big.owners).toEqual([]);
    const small = byId.get(groupId) as { members: Array<{ id: string }>; memberOf: Array<{ id: string }> };
    expect(small.members.map((m) => m.id)).toEqual([users.x01, users.x02].sort());
    expect(small.memberOf.map((g) => g.id)).toEqual([bigGroupId]);
    // A page of users: each its own groups and reports, none borrowed from another.
    const people = await get(`/users?$top=999&$expand=memberOf($select=id),directReports($select=id)`);
    const x00 = people.body.value.find((u: { id: string }) => u.id === users.x00);
    const x01 = people.body.value.find((u: { id: string }) => u.id === users.x01);
    const x03 = people.body.value.find((u: { id: string }) => u.id === users.x03);
    expect(x00.directReports.map((u: { id: string }) => u.id)).toEqual([users.x01, users.x02].sort());
    expect(x01.directReports).toEqual([]);
    expect(x01.memberOf.map((g: { id: string }) => g.id)).toEqual([groupId, bigGroupId].sort());
    expect(x03.memberOf.map((g: { id: string }) => g.id)).toEqual([bigGroupId]);
  });

  it('refuses unknown navigation properties, ones Foyer lacks, and options other than $select inside', async () => {
    const unknown = await get(`/users?$expand=bananas`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('Request_UnsupportedQuery');
    expect(unknown.body.error.message).toContain('bananas');
    const lacking = await get(`/users/${users.x00}?$expand=ownedDevices`);
    expect(lacking.status).toBe(400);
    expect(lacking.body.error.message).toContain('not supported by Foyer');
    const nested = await get(`/groups/${groupId}?$expand=${q('members($top=5)')}`);
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toContain('$top');
    const badSelect = await get(`/users/${users.x01}?$expand=${q('manager($select=nope)')}`);
    expect(badSelect.status).toBe(400);
    const onGroupsOnly = await get(`/groups/${groupId}?$expand=manager`);
    expect(onGroupsOnly.status).toBe(400);
  });

  it('expands manager through the Kiota SDK', async () => {
    const client = kiotaGraphClient(foyer.url, token);
    const page = await client.users.get({ queryParameters: { expand: ['manager'], filter: `id eq '${users.x02}'` } });
    expect(page?.value).toHaveLength(1);
    expect(page?.value?.[0]?.manager?.id).toBe(users.x00);
    const one = await client.users.byUserId(users.x01!).get({ queryParameters: { expand: ['manager($select=id,displayName)'] } });
    expect(one?.manager?.id).toBe(users.x00);
  });
});
