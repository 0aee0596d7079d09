/**
 * Nested groups: a group as a member of a group (`members/$ref` with a group), refused cycles, the
 * mixed `members` collection and its casts, `transitiveMembers`, a group's `memberOf` and
 * `transitiveMemberOf`, a user's `transitiveMemberOf` (also through the Kiota SDK), and what deleting a
 * group does to the memberships it had. On both backends.
 *
 * The tree:  Outer ∋ { ann, Middle },  Middle ∋ { bob, Inner },  Inner ∋ { ann, cy }.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { contosoWithApp, createSecurityGroup, createUser } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { kiotaGraphClient } from '../support/kiota-client.js';
import { graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };

describe.each(backends)('nested groups on $name', (backend) => {
  let foyer: TestFoyer;
  let token: string;
  const users: Record<string, string> = {};
  const groups: Record<string, string> = {};

  const get = (path: string, headers: Record<string, string> = {}) => graph(foyer, token, 'GET', path, undefined, headers);
  const ref = (kind: 'users' | 'groups' | 'directoryObjects', id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/${kind}/${id}` });
  const addMember = (groupId: string, body: unknown) => graph(foyer, token, 'POST', `/groups/${groupId}/members/$ref`, body);
  const ids = (body: { value: Array<{ id: string }> }) => body.value.map((o) => o.id).sort();

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ token } = await contosoWithApp(foyer, 'nested', ['User.ReadWrite.All', 'Group.ReadWrite.All']));
    for (const local of ['ann', 'bob', 'cy']) users[local] = await createUser(foyer, token, local);
    for (const name of ['Outer', 'Middle', 'Inner']) groups[name] = await createSecurityGroup(foyer, token, name);
    // Groups are referenced as Graph's docs show: by …/directoryObjects/{id} and by …/groups/{id}.
    for (const [group, body] of [
      ['Outer', ref('users', users.ann!)],
      ['Outer', ref('directoryObjects', groups.Middle!)],
      ['Middle', ref('users', users.bob!)],
      ['Middle', ref('groups', groups.Inner!)],
      ['Inner', ref('users', users.ann!)],
      ['Inner', ref('directoryObjects', users.cy!)],
    ] as const) {
      const res = await addMember(groups[group]!, body);
      expect(res.status, JSON.stringify(res.body)).toBe(204);
    }
  });
  afterAll(() => foyer?.stop());

  it('lists users and groups among members, each with its @odata.type, and casts to either type', async () => {
    const all = await get(`/groups/${groups.Outer}/members`);
    expect(all.status).toBe(200);
    expect(all.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#directoryObjects`);
    const types = Object.fromEntries(all.body.value.map((o: { id: string; '@odata.type': string }) => [o.id, o['@odata.type']]));
    expect(types).toEqual({ [users.ann!]: '#microsoft.graph.user', [groups.Middle!]: '#microsoft.graph.group' });
    const middle = all.body.value.find((o: { id: string }) => o.id === groups.Middle);
    expect(middle.displayName).toBe('Middle');
    expect(middle.mailNickname).toBe('Middle');

    const onlyGroups = await get(`/groups/${groups.Outer}/members/microsoft.graph.group?$select=id,displayName`);
    expect(onlyGroups.status).toBe(200);
    expect(onlyGroups.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#groups(id,displayName)`);
    expect(onlyGroups.body.value).toEqual([{ id: groups.Middle, displayName: 'Middle' }]);
    const onlyUsers = await get(`/groups/${groups.Outer}/members/microsoft.graph.user`);
    expect(ids(onlyUsers.body)).toEqual([users.ann]);

    const count = await get(`/groups/${groups.Outer}/members/$count`, eventual);
    expect(count.body).toBe(2);
    const groupCount = await get(`/groups/${groups.Outer}/members/microsoft.graph.group/$count`, eventual);
    expect(groupCount.body).toBe(1);
  });

  it('filters a members list that mixes users and groups on properties both have, and refuses the rest as not supported by Foyer', async () => {
    const q = (filter: string, extra = '') => get(`/groups/${groups.Outer}/members?$filter=${encodeURIComponent(filter)}${extra}`, eventual);
    expect(ids((await q("displayName eq 'ann'")).body)).toEqual([users.ann]);
    const both = await q("startswith(displayName,'m') or displayName eq 'ann'", '&$count=true');
    expect(both.status).toBe(200);
    expect(ids(both.body)).toEqual([users.ann!, groups.Middle!].sort());
    expect(both.body['@odata.count']).toBe(2);
    expect(both.body.value.find((o: { id: string }) => o.id === groups.Middle)['@odata.type']).toBe('#microsoft.graph.group');
    const counted = await get(`/groups/${groups.Outer}/members/$count?$filter=${encodeURIComponent("startswith(displayName,'m')")}`, eventual);
    expect(counted.body).toBe(1);
    // Paged by id through the filter.
    const first = await q("startswith(displayName,'m') or displayName eq 'ann'", '&$top=1');
    expect(first.body.value).toHaveLength(1);
    const next = await get((first.body['@odata.nextLink'] as string).slice(`${foyer.url}/graph/v1.0`.length), eventual);
    expect([...ids(first.body), ...ids(next.body)].sort()).toEqual([users.ann!, groups.Middle!].sort());
    expect(next.body['@odata.nextLink']).toBeUndefined();
    // A property only users have, and $orderby, need the cast.
    for (const res of [await q("userPrincipalName eq 'ann@contoso.example'"), await get(`/groups/${groups.Outer}/members?$orderby=displayName`, eventual)]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
      expect(res.body.error.message).toContain('not supported by Foyer');
    }
    // The cast takes them.
    const cast = await get(`/groups/${groups.Outer}/members/microsoft.graph.user?$filter=${encodeURIComponent("userPrincipalName eq 'ann@contoso.example'")}`);
    expect(ids(cast.body)).toEqual([users.ann]);
  });

  it('refuses a group as its own member, and any cycle through nested groups', async () => {
    const self = await addMember(groups.Inner!, ref('groups', groups.Inner!));
    expect(self.status).toBe(400);
    expect(self.body.error.code).toBe('Request_BadRequest');
    expect(self.body.error.innerError.code).toBe('directory.membership_cycle');
    // Inner is inside Middle inside Outer: Outer cannot go inside Inner.
    const loop = await addMember(groups.Inner!, ref('directoryObjects', groups.Outer!));
    expect(loop.status).toBe(400);
    expect(loop.body.error.innerError.code).toBe('directory.membership_cycle');
    // Nor through members@odata.bind at update.
    const bind = await graph(foyer, token, 'PATCH', `/groups/${groups.Middle}`, {
      'members@odata.bind': [`${foyer.url}/graph/v1.0/groups/${groups.Outer}`],
    });
    expect(bind.status).toBe(400);
    expect((await get(`/groups/${groups.Inner}/members`)).body.value).toHaveLength(2);
    // An existing nested member is Graph's "already exist" 400.
    const again = await addMember(groups.Middle!, ref('groups', groups.Inner!));
    expect(again.status).toBe(400);
    expect(again.body.error.innerError.code).toBe('directory.member_already_in_group');
  });

  it('lists transitive members through every level, each object once', async () => {
    const res = await get(`/groups/${groups.Outer}/transitiveMembers`);
    expect(res.status).toBe(200);
    // ann is in Outer and in Inner: listed once.
    expect(ids(res.body)).toEqual([users.ann, users.bob, users.cy, groups.Middle, groups.Inner].sort());
    const onlyUsers = await get(`/groups/${groups.Outer}/transitiveMembers/microsoft.graph.user?$select=displayName`);
    expect(onlyUsers.body.value.map((u: { displayName: string }) => u.displayName).sort()).toEqual(['ann', 'bob', 'cy']);
    const count = await get(`/groups/${groups.Outer}/transitiveMembers/$count`, eventual);
    expect(count.body).toBe(5);
    const userCount = await get(`/groups/${groups.Outer}/transitiveMembers/microsoft.graph.user/$count`, eventual);
    expect(userCount.body).toBe(3);
  });

  it('pages transitive members with $top and @odata.nextLink, and applies $select to both types', async () => {
    const seen: string[] = [];
    let next: string | undefined = `/groups/${groups.Outer}/transitiveMembers?$top=2&$select=id,displayName`;
    while (next) {
      const res = await get(next);
      expect(res.status).toBe(200);
      expect(res.body.value.length).toBeLessThanOrEqual(2);
      for (const o of res.body.value) expect(Object.keys(o).sort()).toEqual(['@odata.type', 'displayName', 'id']);
      seen.push(...res.body.value.map((o: { id: string }) => o.id));
      next = res.body['@odata.nextLink']?.slice(`${foyer.url}/graph/v1.0`.length);
    }
    expect(seen.sort()).toEqual([users.ann, users.bob, users.cy, groups.Middle, groups.Inner].sort());
  });

  it("lists a user's groups through nesting, and a group's own memberOf and transitiveMemberOf", async () => {
    const direct = await get(`/users/${users.cy}/memberOf`);
    expect(ids(direct.body)).toEqual([groups.Inner]);
    const transitive = await get(`/users/${users.cy}/transitiveMemberOf`);
    expect(transitive.status).toBe(200);
    expect(ids(transitive.body)).toEqual([groups.Inner, groups.Middle, groups.Outer].sort());
    expect(transitive.body.value.every((o: { '@odata.type': string }) => o['@odata.type'] === '#microsoft.graph.group')).toBe(true);
    const count = await get(`/users/${users.cy}/transitiveMemberOf/microsoft.graph.group/$count`, eventual);
    expect(count.body).toBe(3);

    const innerOf = await get(`/groups/${groups.Inner}/memberOf`);
    expect(ids(innerOf.body)).toEqual([groups.Middle]);
    const innerTransitive = await get(`/groups/${groups.Inner}/transitiveMemberOf/microsoft.graph.group?$orderby=displayName&$count=true`, eventual);
    expect(innerTransitive.status).toBe(200);
    expect(innerTransitive.body.value.map((g: { displayName: string }) => g.displayName)).toEqual(['Middle', 'Outer']);
  });

  it("lists the user's transitive groups through the Kiota SDK's request builders", async () => {
    const client = kiotaGraphClient(foyer.url, token);
    const page = await client.users.byUserId(users.ann!).transitiveMemberOf.graphGroup.get();
    // ann: directly in Outer and Inner, and through Inner in Middle.
    expect((page?.value ?? []).map((g) => g.displayName).sort()).toEqual(['Inner', 'Middle', 'Outer']);
  });

  it('removes a nested group from its parent with members/{id}/$ref, and a deleted group from every group', async () => {
    const temp = await createSecurityGroup(foyer, token, 'Temp');
    expect((await addMember(groups.Outer!, ref('groups', temp))).status).toBe(204);
    expect((await addMember(temp, ref('users', users.bob!))).status).toBe(204);
    expect((await graph(foyer, token, 'DELETE', `/groups/${groups.Outer}/members/${temp}/$ref`)).status).toBe(204);
    expect(ids((await get(`/groups/${groups.Outer}/members`)).body)).toEqual([users.ann, groups.Middle].sort());

    expect((await addMember(groups.Inner!, ref('groups', temp))).status).toBe(204);
    expect(ids((await get(`/users/${users.bob}/transitiveMemberOf`)).body)).toContain(temp);
    expect((await graph(foyer, token, 'DELETE', `/groups/${temp}`)).status).toBe(204);
    expect(ids((await get(`/groups/${groups.Inner}/members`)).body)).toEqual([users.ann, users.cy].sort());
    expect(ids((await get(`/users/${users.bob}/transitiveMemberOf`)).body)).toEqual([groups.Middle, groups.Outer].sort());
  });

  it('answers an unknown cast with Graph’s 400, and an unknown group with 404', async () => {
    const cast = await get(`/groups/${groups.Outer}/transitiveMembers/microsoft.graph.device`);
    expect(cast.status).toBe(400);
    const missing = await get('/groups/00000000-0000-0000-0000-000000000000/transitiveMembers');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('Request_ResourceNotFound');
  });
});
