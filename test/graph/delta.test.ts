/**
 * Delta queries (`GET /users/delta`, `GET /groups/delta`) as Graph answers them: a first round pages
 * through every object and ends with an `@odata.deltaLink`; following it answers exactly what changed
 * since (created and changed objects as they are now, deleted ones with `@removed`, membership changes
 * in `members@delta`), with the `$select` of the first request. `$deltatoken=latest` starts from now;
 * a changed, foreign or expired token is refused with Graph's error. Over HTTP and through the Kiota SDK
 * (`users.delta.get()`, following `odataNextLink` and `odataDeltaLink` with `withUrl`), on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneChangeLog } from '../../src/directory/changes.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient } from '../support/kiota-client.js';
import { appToken, graph } from '../support/tokens.js';

const DAY = 24 * 60 * 60 * 1000;

describe.each(backends)('delta queries on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let readerOfUsers: string;
  let otherTenantToken: string;
  const users: Record<string, string> = {};
  const groups: Record<string, string> = {};

  const api = `/graph/v1.0`;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => graph(foyer, token, method, path, body, headers);
  /** A link Foyer returned, as a path for graph(). */
  const pathOf = (link: string) => {
    expect(link.startsWith(`${foyer.url}${api}/`)).toBe(true);
    return link.slice(`${foyer.url}${api}`.length);
  };
  /** Follows one round from `path` to its deltaLink: every page, the objects in order, the deltaLink. */
  const round = async (path: string, headers: Record<string, string> = {}, as = token) => {
    const pages: any[] = [];
    const value: any[] = [];
    let next: string | undefined = path;
    while (next) {
      const res = await graph(foyer, as, 'GET', next, undefined, headers);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      pages.push(res.body);
      value.push(...res.body.value);
      const nextLink = res.body['@odata.nextLink'] as string | undefined;
      // A page carries one of the two links, never both.
      expect(Boolean(nextLink) !== Boolean(res.body['@odata.deltaLink'])).toBe(true);
      next = nextLink ? pathOf(nextLink) : undefined;
      expect(pages.length).toBeLessThan(20);
    }
    return { pages, value, deltaLink: pathOf(pages.at(-1)['@odata.deltaLink']), context: pages[0]['@odata.context'] as string };
  };
  const byId = (value: any[]) => new Map(value.map((v) => [v.id, v]));
  /** Objects by id, a group that came on several pages (its members split) merged into one. */
  const merged = (value: any[]) => {
    const out = new Map<string, any>();
    for (const v of value) {
      const before = out.get(v.id);
      const members = [...(before?.['members@delta'] ?? []), ...(v['members@delta'] ?? [])];
      out.set(v.id, { ...before, ...v, ...(members.length ? { 'members@delta': members } : {}) });
    }
    return out;
  };

  const newUser = (local: string) => ({
    accountEnabled: true,
    displayName: local,
    mailNickname: local,
    userPrincipalName: `${local}@delta.example`,
    passwordProfile: { password: 'Long-Enough-Passphrase-1' },
  });
  const createUser = async (local: string) => {
    const res = await call('POST', '/users', newUser(local));
    expect(res.status).toBe(201);
    users[local] = res.body.id;
    return res.body.id as string;
  };
  const createGroup = async (name: string, members: string[] = []) => {
    const res = await call('POST', '/groups', {
      displayName: name,
      mailNickname: name,
      securityEnabled: true,
      mailEnabled: false,
      ...(members.length ? { 'members@odata.bind': members.map((id) => `${foyer.url}${api}/directoryObjects/${id}`) } : {}),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    groups[name] = res.body.id;
    return res.body.id as string;
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Delta', { domains: ['delta.example'] });
    const writer = await foyer.createApp(tenant.id, {
      displayName: 'sync',
      applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All', 'User.Invite.All'],
    });
    token = await appToken(foyer, tenant, writer);
    const reader = await foyer.createApp(tenant.id, { displayName: 'users only', applicationPermissions: ['User.Read.All'] });
    readerOfUsers = await appToken(foyer, tenant, reader);
    const other = await foyer.createTenant('Elsewhere', { domains: ['elsewhere.example'] });
    const otherApp = await foyer.createApp(other.id, { displayName: 'other', applicationPermissions: ['User.Read.All', 'Group.Read.All'] });
    otherTenantToken = await appToken(foyer, other, otherApp);
    for (const local of ['ann', 'bob', 'cy', 'dee', 'eve']) await createUser(local);
    await createGroup('team', [users.ann!, users.bob!]);
    await createGroup('empty');
  });
  afterAll(() => foyer?.stop());

  it('a first round pages through every user and ends with a deltaLink; a second round answers exactly what changed', async () => {
    const first = await round('/users/delta', { Prefer: 'odata.maxpagesize=2' });
    expect(first.context).toBe(`${foyer.url}${api}/$metadata#users`);
    // The admin and five users, two per page: three pages, each but the last with a nextLink.
    expect(first.pages.length).toBe(3);
    expect(first.value.map((u) => u.id).sort()).toEqual([tenant.admin.id, ...Object.values(users)].sort());
    expect(first.value.find((u) => u.id === users.ann)).toMatchObject({ displayName: 'ann', userPrincipalName: 'ann@delta.example' });
    expect(first.value.every((u) => !('@removed' in u))).toBe(true);
    const onePage = await call('GET', '/users/delta', undefined, { Prefer: 'odata.maxpagesize=2' });
    expect(onePage.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
    expect(onePage.body.value.length).toBe(2);

    const created = await createUser('fay');
    expect((await call('PATCH', `/users/${users.cy}`, { jobTitle: 'Archivist' })).status).toBe(204);
    expect((await call('DELETE', `/users/${users.dee}`)).status).toBe(204);

    const second = await round(first.deltaLink);
    expect(second.value.length).toBe(3);
    const changed = byId(second.value);
    expect(changed.get(created)).toMatchObject({ displayName: 'fay', userPrincipalName: 'fay@delta.example' });
    expect(changed.get(users.cy!)).toMatchObject({ jobTitle: 'Archivist' });
    // A deleted user is restorable for 30 days (directory/deletedItems): Graph's reason for that is "changed".
    expect(changed.get(users.dee!)).toEqual({ id: users.dee, '@removed': { reason: 'changed' } });

    // Nothing changed since: an empty round, and a deltaLink again.
    const third = await round(second.deltaLink);
    expect(third.value).toEqual([]);
  });

  it('groups: the first round lists members in members@delta; the next one the groups created, changed and deleted and the members added and removed', async () => {
    const first = await round('/groups/delta', { Prefer: 'odata.maxpagesize=1' });
    expect(first.context).toBe(`${foyer.url}${api}/$metadata#groups`);
    // One member per page at this size: the team's two members come on two pages, the team on both.
    expect(first.value.filter((g) => g.id === groups.team).length).toBe(2);
    const seen = merged(first.value);
    expect(seen.get(groups.team!)['members@delta']).toEqual([users.ann, users.bob].sort().map((id) => ({ '@odata.type': '#microsoft.graph.user', id })));
    expect(seen.get(groups.team!)).toMatchObject({ displayName: 'team', securityEnabled: true });
    expect(seen.get(groups.empty!)['members@delta']).toBeUndefined();

    expect((await call('POST', `/groups/${groups.team}/members/$ref`, { '@odata.id': `${foyer.url}${api}/directoryObjects/${users.eve}` })).status).toBe(204);
    expect((await call('DELETE', `/groups/${groups.team}/members/${users.ann}/$ref`)).status).toBe(204);
    expect((await call('DELETE', `/groups/${groups.empty}`)).status).toBe(204);
    const fresh = await createGroup('fresh');

    const second = await round(first.deltaLink);
    expect(second.value.map((g) => g.id).sort()).toEqual([groups.team, groups.empty, fresh].sort());
    const changed = byId(second.value);
    expect(changed.get(groups.team!)['members@delta']).toEqual(
      [
        { '@odata.type': '#microsoft.graph.user', id: users.eve },
        { '@odata.type': '#microsoft.graph.user', id: users.ann, '@removed': { reason: 'deleted' } },
      ].sort((a, b) => (a.id! < b.id! ? -1 : 1)),
    );
    expect(changed.get(groups.empty!)).toEqual({ id: groups.empty, '@removed': { reason: 'deleted' } });
    expect(changed.get(fresh)).toMatchObject({ displayName: 'fresh' });

    // A deleted user leaves the groups it was in: they come with the user removed from their members.
    await round(second.deltaLink);
    const before = await round('/groups/delta?$deltatoken=latest');
    expect((await call('DELETE', `/users/${users.eve}`)).status).toBe(204);
    const after = await round(before.deltaLink);
    expect(after.value).toEqual([
      expect.objectContaining({
        id: groups.team,
        'members@delta': [{ '@odata.type': '#microsoft.graph.user', id: users.eve, '@removed': { reason: 'deleted' } }],
      }),
    ]);
  });

  it('honours $select in every round, carried in the links', async () => {
    const first = await round('/users/delta?$select=displayName,jobTitle', { Prefer: 'odata.maxpagesize=3' });
    expect(first.context).toBe(`${foyer.url}${api}/$metadata#users(id,displayName,jobTitle)`);
    for (const u of first.value) expect(Object.keys(u).sort()).toEqual(['displayName', 'id', 'jobTitle']);
    for (const page of first.pages.slice(0, -1)) expect(page['@odata.nextLink']).not.toMatch(/select/i);

    expect((await call('PATCH', `/users/${users.bob}`, { jobTitle: 'Binder', department: 'Books' })).status).toBe(204);
    const second = await round(first.deltaLink);
    expect(second.context).toBe(`${foyer.url}${api}/$metadata#users(id,displayName,jobTitle)`);
    expect(second.value).toEqual([{ id: users.bob, displayName: 'bob', jobTitle: 'Binder' }]);

    const groupRound = await round('/groups/delta?$select=displayName');
    for (const g of groupRound.value) expect(Object.keys(g).sort()).toEqual(['displayName', 'id']);
  });

  it('$deltatoken=latest answers no objects and a deltaLink from now', async () => {
    const latest = await call('GET', '/users/delta?$deltatoken=latest');
    expect(latest.status).toBe(200);
    expect(latest.body.value).toEqual([]);
    expect(latest.body['@odata.nextLink']).toBeUndefined();
    const created = await createUser('gus');
    const next = await round(pathOf(latest.body['@odata.deltaLink']));
    expect(next.value.map((u) => u.id)).toEqual([created]);
  });

  it('refuses a changed, foreign or malformed token with Graph’s 400, and options delta does not take', async () => {
    const { deltaLink } = await round('/users/delta');
    const token = new URL(`${foyer.url}${api}${deltaLink}`).searchParams.get('$deltatoken')!;
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const forge = (change: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...state, ...change })).toString('base64url');
    for (const bad of [
      `/users/delta?$deltatoken=${token.slice(0, -3)}`,
      '/users/delta?$deltatoken=not-a-token',
      `/users/delta?$deltatoken=${forge({ n: -1 })}`,
      `/users/delta?$deltatoken=${forge({ n: state.n + 1000 })}`,
      `/users/delta?$deltatoken=${forge({ s: ['passwordHash'] })}`,
      `/users/delta?$deltatoken=${forge({ extra: 1 })}`,
      `/users/delta?$skiptoken=${token}`,
      // A users token on groups.
      `/groups/delta?$deltatoken=${token}`,
    ]) {
      const res = await call('GET', bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('Request_BadRequest');
      expect(res.body.error.message).toMatch(/delta token is not valid/);
    }
    // Another tenant's app cannot use this tenant's token.
    const foreign = await graph(foyer, otherTenantToken, 'GET', deltaLink);
    expect(foreign.status).toBe(400);

    for (const [path, message] of [
      ['/users/delta?$top=5', /not supported by Foyer.*maxpagesize/],
      [`/users/delta?$filter=${encodeURIComponent("id eq 'x'")}`, /not supported by Foyer/],
      [`${deltaLink}&$select=displayName`, /without adding \$select/],
      ['/users/delta?$select=nonsense', /Could not find a property named 'nonsense'/],
    ] as const) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
      expect(res.body.error.message).toMatch(message);
    }
  });

  it('asks for a full synchronization (410 syncStateNotFound) when the token is older than the change log', async () => {
    const { deltaLink } = await round('/users/delta');
    await createUser('old');
    expect((await call('DELETE', `/users/${users.old}`)).status).toBe(204);
    // Purged (a soft deletion shows on the user's row; a purge is logged as a deletion).
    expect((await call('DELETE', `/directory/deletedItems/${users.old}`)).status).toBe(204);
    // Housekeeping forgets the deletion once the retention has passed: the old token could miss it.
    await pruneChangeLog(foyer.ctx.db.kysely, Date.now() + 31 * DAY);
    const res = await call('GET', deltaLink);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('syncStateNotFound');
    // A new round works, and so do the tokens it hands out.
    const fresh = await round('/users/delta');
    expect(fresh.value.some((u) => u.id === users.old)).toBe(false);
    expect((await call('GET', fresh.deltaLink)).status).toBe(200);
  });

  it('an invited guest comes in the next round, as a Guest pending acceptance', async () => {
    const { deltaLink } = await round('/users/delta?$select=userType,externalUserState,mail');
    const invited = await call('POST', '/invitations', {
      invitedUserEmailAddress: 'guest@fabrikam.example',
      inviteRedirectUrl: 'https://app.example/welcome',
      sendInvitationMessage: false,
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    const next = await round(deltaLink);
    expect(next.value).toEqual([
      { id: invited.body.invitedUser.id, userType: 'Guest', externalUserState: 'PendingAcceptance', mail: 'guest@fabrikam.example' },
    ]);
  });

  it('never skips a change committed while rounds are being read (concurrent writers)', async () => {
    let link = pathOf((await call('GET', '/users/delta?$deltatoken=latest')).body['@odata.deltaLink']);
    const seen = new Set<string>();
    let writing = true;
    const writers = Promise.all(Array.from({ length: 16 }, (_, i) => createUser(`burst${i}`))).finally(() => {
      writing = false;
    });
    while (writing) {
      const next = await round(link);
      for (const u of next.value) seen.add(u.id);
      link = next.deltaLink;
    }
    const created = await writers;
    for (const u of (await round(link)).value) seen.add(u.id);
    expect(created.filter((id) => !seen.has(id))).toEqual([]);
  });

  it('needs the permission to read the resource', async () => {
    expect((await graph(foyer, readerOfUsers, 'GET', '/users/delta')).status).toBe(200);
    const res = await graph(foyer, readerOfUsers, 'GET', '/groups/delta');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('Authorization_RequestDenied');
  });

  it('works with the Kiota SDK: users.delta.get(), following odataNextLink and odataDeltaLink with withUrl', async () => {
    const client = kiotaGraphClient(foyer.url, token);
    const seen: string[] = [];
    let page = await client.users.delta.get({ headers: { Prefer: 'odata.maxpagesize=2' }, queryParameters: { select: ['displayName'] } });
    let pages = 1;
    while (page?.odataNextLink) {
      seen.push(...(page.value ?? []).map((u) => u.id!));
      page = await client.users.delta.withUrl(page.odataNextLink).get({ headers: { Prefer: 'odata.maxpagesize=2' } });
      pages++;
    }
    seen.push(...(page?.value ?? []).map((u) => u.id!));
    expect(pages).toBeGreaterThan(1);
    const listed = await call('GET', '/users?$select=id');
    expect(seen.sort()).toEqual(listed.body.value.map((u: { id: string }) => u.id).sort());
    const deltaLink = page?.odataDeltaLink;
    expect(deltaLink).toBeTruthy();

    const created = await createUser('kiota');
    const changes = await client.users.delta.withUrl(deltaLink!).get();
    expect(changes?.value?.map((u) => [u.id, u.displayName])).toEqual([[created, 'kiota']]);
    expect(changes?.odataDeltaLink).toBeTruthy();
  });

  it('a group with more members than a page holds comes on several pages, each with the members that follow', async () => {
    const people = [];
    for (let i = 0; i < 5; i++) people.push(await createUser(`crowd${i}`));
    const big = await createGroup('crowd', people);
    const start = await round('/groups/delta?$deltatoken=latest');
    // A page counts a group and each of its members: at two per page, one member per page, in member order.
    const first = await round('/groups/delta', { Prefer: 'odata.maxpagesize=2' });
    for (const page of first.pages) {
      const size = page.value.reduce((n: number, g: any) => n + 1 + (g['members@delta']?.length ?? 0), 0);
      expect(size, JSON.stringify(first.pages.map((p: any) => p.value.map((g: any) => [g.displayName, g['members@delta']?.length])))).toBeLessThanOrEqual(2);
    }
    const crowd = first.value.filter((g) => g.id === big);
    expect(crowd.length).toBe(5);
    expect(crowd.flatMap((g) => g['members@delta'].map((m: any) => m.id))).toEqual([...people].sort());
    expect(crowd.every((g) => g.displayName === 'crowd')).toBe(true);
    expect(merged(first.value).get(groups.team!)).toBeDefined();

    // Later rounds split the same way: four changes at three per page.
    const extra = await createUser('crowd5');
    expect((await call('POST', `/groups/${big}/members/$ref`, { '@odata.id': `${foyer.url}${api}/directoryObjects/${extra}` })).status).toBe(204);
    for (const gone of people.slice(0, 3)) expect((await call('DELETE', `/groups/${big}/members/${gone}/$ref`)).status).toBe(204);
    const next = await round(start.deltaLink, { Prefer: 'odata.maxpagesize=3' });
    expect(next.pages.length).toBe(2);
    expect(next.value.every((g) => g.id === big)).toBe(true);
    expect(merged(next.value).get(big)['members@delta']).toEqual(
      [
        { '@odata.type': '#microsoft.graph.user', id: extra },
        ...people.slice(0, 3).map((id) => ({ '@odata.type': '#microsoft.graph.user', id, '@removed': { reason: 'deleted' } })),
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });
});
