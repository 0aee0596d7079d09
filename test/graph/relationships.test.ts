/**
 * Query options on relationships (`/groups/{id}/members`, `/users/{id}/memberOf`), their type casts
 * (`/members/microsoft.graph.user`, `/memberOf/microsoft.graph.group`) and `$count` segments, and
 * `$select` on `/groups/{id}` and `/organization`: applied as Graph applies them, refused with Graph's
 * 400 when not supported, never silently ignored. Over HTTP and through the classic Graph client's
 * request builder, on both backends. The classic client's PageIterator treats only `https://` next
 * links as absolute, so paging follows `@odata.nextLink` by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { contosoWithApp, createUser } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { classicGraphClient } from '../support/graph-client.js';
import { graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };
const q = (s: string) => encodeURIComponent(s);

describe.each(backends)('relationship query options on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  const users: Record<string, string> = {};
  const groups: Record<string, string> = {};

  const get = (path: string, headers: Record<string, string> = {}) => graph(foyer, token, 'GET', path, undefined, headers);
  /** Follows `@odata.nextLink`s from `path`, returning every page. */
  const pages = async (path: string, headers: Record<string, string> = {}) => {
    const out: any[] = [];
    let next: string | undefined = path;
    while (next) {
      const res = await get(next, headers);
      expect(res.status).toBe(200);
      out.push(res.body);
      const link = res.body['@odata.nextLink'] as string | undefined;
      if (link) expect(link.startsWith(`${foyer.url}/graph/v1.0/`)).toBe(true);
      next = link?.slice(`${foyer.url}/graph/v1.0`.length);
      expect(out.length).toBeLessThan(10);
    }
    return out;
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant, token } = await contosoWithApp(foyer, 'rel', ['User.ReadWrite.All', 'Group.ReadWrite.All', 'Organization.Read.All']));
    for (const [local, jobTitle] of [
      ['rel.ann', 'Engineer'],
      ['rel.bob', 'Engineer'],
      ['rel.cy', 'Designer'],
    ] as const) {
      users[local] = await createUser(foyer, token, local, { jobTitle });
    }
    const bind = (...ids: string[]) => ids.map((id) => `${foyer.url}/graph/v1.0/directoryObjects/${id}`);
    for (const [name, members] of [
      ['Rel One', bind(users['rel.ann']!, users['rel.bob']!, users['rel.cy']!)],
      ['Rel Two', bind(users['rel.ann']!, tenant.admin.id)],
      ['Rel Empty', []],
    ] as const) {
      const res = await graph(foyer, token, 'POST', '/groups', { displayName: name, mailNickname: name.replace(' ', ''), 'members@odata.bind': members });
      expect(res.status).toBe(201);
      groups[name] = res.body.id;
    }
  });
  afterAll(() => foyer?.stop());

  describe('GET /groups/{id}/members', () => {
    it('applies $top, $select and $count, and pages with @odata.nextLink', async () => {
      const one = groups['Rel One']!;
      const first = await get(`/groups/${one}/members?$top=1&$count=true&$select=id`, eventual);
      expect(first.status).toBe(200);
      expect(first.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#directoryObjects(id)`);
      expect(first.body['@odata.count']).toBe(3);
      expect(first.body.value).toHaveLength(1);
      expect(Object.keys(first.body.value[0]).sort()).toEqual(['@odata.type', 'id']);
      expect(first.body['@odata.nextLink']).toContain('%24skiptoken=');
      const all = await pages(`/groups/${one}/members?$top=1&$count=true&$select=id`, eventual);
      expect(all).toHaveLength(3);
      const ids = all.flatMap((p) => p.value.map((u: { id: string }) => u.id));
      expect(ids.sort()).toEqual([users['rel.ann'], users['rel.bob'], users['rel.cy']].sort());
      for (const p of all) expect(p['@odata.count']).toBe(3);
    });

    it('drops $count=true without ConsistencyLevel, as Graph does', async () => {
      const res = await get(`/groups/${groups['Rel One']}/members?$count=true`);
      expect(res.status).toBe(200);
      expect(res.body['@odata.count']).toBeUndefined();
      expect(res.body.value).toHaveLength(3);
    });

    it('applies $filter with the user properties and operators GET /users takes', async () => {
      const engineers = await get(`/groups/${groups['Rel One']}/members?$filter=${q("jobTitle eq 'Engineer'")}&$select=displayName`);
      expect(engineers.status).toBe(200);
      expect(engineers.body.value.map((u: { displayName: string }) => u.displayName).sort()).toEqual(['rel.ann', 'rel.bob']);
      const prefix = await get(`/groups/${groups['Rel One']}/members?$filter=${q("startswith(displayName,'rel.c')")}`);
      expect(prefix.body.value.map((u: { id: string }) => u.id)).toEqual([users['rel.cy']]);
      // Only the group's members: the admin is a user of the tenant, in Rel Two, not Rel One.
      const admin = await get(`/groups/${groups['Rel One']}/members?$filter=${q(`id eq '${tenant.admin.id}'`)}`);
      expect(admin.body.value).toEqual([]);
    });

    it('refuses advanced operators without ConsistencyLevel and $count=true, and accepts them with', async () => {
      const path = `/groups/${groups['Rel One']}/members?$filter=${q("jobTitle ne 'Engineer'")}`;
      const bare = await get(path);
      expect(bare.status).toBe(400);
      expect(bare.body.error.code).toBe('Request_UnsupportedQuery');
      const advanced = await get(`${path}&$count=true`, eventual);
      expect(advanced.status).toBe(200);
      expect(advanced.body['@odata.count']).toBe(1);
    });

    it('refuses unknown options and properties with Graph 400 instead of ignoring them', async () => {
      for (const query of ['$expand=manager', '$select=nope', '$top=0', `$filter=${q("nope eq 'x'")}`]) {
        const res = await get(`/groups/${groups['Rel One']}/members?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.code, query).toBe('Request_UnsupportedQuery');
      }
    });

    it('lists an empty group, and 404s for a missing one', async () => {
      const empty = await get(`/groups/${groups['Rel Empty']}/members?$count=true`, eventual);
      expect(empty.status).toBe(200);
      expect(empty.body).toMatchObject({ '@odata.count': 0, value: [] });
      expect((await get('/groups/00000000-0000-4000-8000-000000000000/members')).status).toBe(404);
    });

    it('casts to microsoft.graph.user: the users, without @odata.type', async () => {
      const res = await get(`/groups/${groups['Rel Two']}/members/microsoft.graph.user?$select=id,userPrincipalName`);
      expect(res.status).toBe(200);
      expect(res.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#users(id,userPrincipalName)`);
      expect(res.body.value.map((u: { id: string }) => u.id).sort()).toEqual([users['rel.ann'], tenant.admin.id].sort());
      for (const u of res.body.value) expect(Object.keys(u).sort()).toEqual(['id', 'userPrincipalName']);
      const paged = await pages(`/groups/${groups['Rel Two']}/members/microsoft.graph.user?$top=1`);
      expect(paged).toHaveLength(2);
      expect(paged[0]['@odata.nextLink']).toContain('/members/microsoft.graph.user?');
    });

    it('counts with /$count and ConsistencyLevel: eventual, as text/plain', async () => {
      const one = groups['Rel One']!;
      const res = await get(`/groups/${one}/members/$count`, eventual);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.body).toBe(3);
      expect((await get(`/groups/${one}/members/$count?$filter=${q("jobTitle eq 'Engineer'")}`, eventual)).body).toBe(2);
      expect((await get(`/groups/${one}/members/microsoft.graph.user/$count`, eventual)).body).toBe(3);
      expect((await get(`/groups/${groups['Rel Empty']}/members/$count`, eventual)).body).toBe(0);
      const bare = await get(`/groups/${one}/members/$count`);
      expect(bare.status).toBe(400);
      expect(bare.body.error).toMatchObject({ code: 'Request_BadRequest', message: '$count is not currently supported.' });
      expect((await get(`/groups/${one}/members/$count?$top=1`, eventual)).status).toBe(400);
    });

    it('refuses a cast Foyer has no members of as an unknown segment', async () => {
      const res = await get(`/groups/${groups['Rel One']}/members/microsoft.graph.device`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain("'microsoft.graph.device'");
    });
  });

  describe('GET /users/{id}/memberOf', () => {
    it('applies $select, $top and $count, and pages with @odata.nextLink', async () => {
      const ann = users['rel.ann']!;
      const res = await get(`/users/${ann}/memberOf?$select=id,displayName&$count=true`, eventual);
      expect(res.status).toBe(200);
      expect(res.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#directoryObjects(id,displayName)`);
      expect(res.body['@odata.count']).toBe(2);
      for (const g of res.body.value) expect(Object.keys(g).sort()).toEqual(['@odata.type', 'displayName', 'id']);
      expect(res.body.value.map((g: { displayName: string }) => g.displayName).sort()).toEqual(['Rel One', 'Rel Two']);
      const paged = await pages(`/users/${ann}/memberOf?$top=1`);
      expect(paged.map((p) => p.value.length)).toEqual([1, 1]);
      expect(paged.flatMap((p) => p.value.map((g: { id: string }) => g.id)).sort()).toEqual([groups['Rel One'], groups['Rel Two']].sort());
    });

    it('lists groups and directory roles; the group cast lists only groups', async () => {
      const admin = tenant.admin.id;
      const all = await get(`/users/${admin}/memberOf`);
      expect(all.body.value.map((o: { '@odata.type': string }) => o['@odata.type']).sort()).toEqual([
        '#microsoft.graph.directoryRole',
        '#microsoft.graph.group',
      ]);
      const cast = await get(`/users/${admin}/memberOf/microsoft.graph.group`);
      expect(cast.status).toBe(200);
      expect(cast.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#groups`);
      expect(cast.body.value).toHaveLength(1);
      expect(cast.body.value[0]).toMatchObject({ id: groups['Rel Two'], displayName: 'Rel Two', securityEnabled: true });
      expect(cast.body.value[0]['@odata.type']).toBeUndefined();
    });

    it('applies the group options on the cast, and counts both', async () => {
      const ann = users['rel.ann']!;
      const filtered = await get(`/users/${ann}/memberOf/microsoft.graph.group?$filter=${q("displayName eq 'Rel Two'")}&$select=displayName`);
      expect(filtered.status).toBe(200);
      expect(filtered.body.value).toEqual([{ id: groups['Rel Two'], displayName: 'Rel Two' }]);
      const counted = await get(`/users/${ann}/memberOf/microsoft.graph.group?$count=true&$top=1`, eventual);
      expect(counted.body['@odata.count']).toBe(2);
      expect(counted.body['@odata.nextLink']).toContain('/memberOf/microsoft.graph.group?');
      expect((await get(`/users/${tenant.admin.id}/memberOf/$count`, eventual)).body).toBe(2);
      expect((await get(`/users/${tenant.admin.id}/memberOf/microsoft.graph.group/$count`, eventual)).body).toBe(1);
      expect((await get(`/users/${ann}/memberOf/microsoft.graph.group/$count?$filter=${q("startswith(displayName,'Rel O')")}`, eventual)).body).toBe(1);
      const bare = await get(`/users/${ann}/memberOf/$count`);
      expect(bare.status).toBe(400);
      expect(bare.body.error.message).toBe('$count is not currently supported.');
    });

    it('refuses $filter and $orderby on the mixed collection as not supported by Foyer', async () => {
      for (const query of [`$filter=${q("displayName eq 'Rel One'")}`, '$orderby=displayName', '$expand=members', '$select=nope']) {
        const res = await get(`/users/${users['rel.ann']}/memberOf?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.code, query).toBe('Request_UnsupportedQuery');
      }
      const res = await get(`/users/${users['rel.ann']}/memberOf?$filter=${q("displayName eq 'Rel One'")}`);
      expect(res.body.error.message).toContain('not supported by Foyer');
    });
  });

  describe('$select on single objects', () => {
    it('selects group properties on /groups/{id} and refuses collection options', async () => {
      const res = await get(`/groups/${groups['Rel One']}?$select=displayName`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ '@odata.context': `${foyer.url}/graph/v1.0/$metadata#groups/$entity`, id: groups['Rel One'], displayName: 'Rel One' });
      expect((await get(`/groups/${groups['Rel One']}?$select=nope`)).status).toBe(400);
      expect((await get(`/groups/${groups['Rel One']}?$top=1`)).status).toBe(400);
    });

    it('selects organization properties on /organization and /organization/{id}', async () => {
      const list = await get('/organization?$select=displayName');
      expect(list.status).toBe(200);
      expect(list.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#organization(id,displayName)`);
      expect(list.body.value).toEqual([{ id: tenant.id, displayName: 'Contoso' }]);
      const one = await get(`/organization/${tenant.id}?$select=verifiedDomains`);
      expect(Object.keys(one.body).sort()).toEqual(['@odata.context', 'id', 'verifiedDomains']);
      expect((await get('/organization')).body.value[0]).toHaveProperty('privacyProfile');
      for (const query of ['$top=1', '$filter=id%20eq%20%27x%27', '$select=nope']) {
        const res = await get(`/organization?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.code, query).toBe('Request_UnsupportedQuery');
      }
    });
  });

  describe('through the classic Graph client', () => {
    const client = () => classicGraphClient(foyer.url, token);

    it('applies top and select on members, and the link pages by hand', async () => {
      const page = await client().api(`/groups/${groups['Rel One']}/members`).top(1).select('id').get();
      expect(page.value).toHaveLength(1);
      expect(Object.keys(page.value[0]).sort()).toEqual(['@odata.type', 'id']);
      // PageIterator would read this http:// link as relative: follow it as a script on http would.
      const rest = await pages(page['@odata.nextLink'].slice(`${foyer.url}/graph/v1.0`.length));
      expect(rest).toHaveLength(2);
    });

    it('reads the type casts and counts', async () => {
      const groupsOfAnn = await client()
        .api(`/users/${users['rel.ann']}/memberOf/microsoft.graph.group`)
        .select('displayName')
        .orderby('displayName')
        .count(true)
        .header('ConsistencyLevel', 'eventual')
        .get();
      expect(groupsOfAnn.value.map((g: { displayName: string }) => g.displayName)).toEqual(['Rel One', 'Rel Two']);
      expect(groupsOfAnn['@odata.count']).toBe(2);
      const members = await client().api(`/groups/${groups['Rel One']}/members/microsoft.graph.user`).filter("jobTitle eq 'Designer'").get();
      expect(members.value.map((u: { id: string }) => u.id)).toEqual([users['rel.cy']]);
      expect(Number(await client().api(`/groups/${groups['Rel One']}/members/$count`).header('ConsistencyLevel', 'eventual').get())).toBe(3);
      const org = await client().api('/organization').select('displayName').get();
      expect(org.value).toEqual([{ id: tenant.id, displayName: 'Contoso' }]);
    });
  });
});
