/**
 * `PATCH /groups/{id}` and `members@odata.bind` (on `POST /groups` and `PATCH /groups/{id}`), as Graph
 * answers them: raw HTTP and the official Microsoft Graph client's own builder, on both backends.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { classicGraphClient } from '../support/graph-client.js';
import { appToken, graph } from '../support/tokens.js';

const GRAPH = 'https://graph.microsoft.com/v1.0';

describe.each(backends)('PATCH /groups/{id} and members@odata.bind on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const tokens: Record<string, string> = {};
  const people: string[] = [];

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      groups: ['Group.ReadWrite.All'],
      membersOnly: ['GroupMember.ReadWrite.All'],
      reader: ['Group.Read.All'],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: name, applicationPermissions: permissions });
      tokens[name] = await appToken(foyer, tenant, app);
    }
    for (const name of ['ann', 'bob', 'cat', 'dan']) {
      const u = await createMember(foyer.ctx, tenant.id, {
        userPrincipalName: `${name}@contoso.example`,
        displayName: name,
        password: 'Long-Enough-Passphrase-1',
      });
      people.push(u.id);
    }
  });
  afterAll(() => foyer?.stop());

  const newGroup = async (nick: string, extra: Record<string, unknown> = {}) => {
    const res = await graph(foyer, tokens.groups!, 'POST', '/groups', { displayName: nick, mailNickname: nick, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const memberIds = async (groupId: string) =>
    ((await graph(foyer, tokens.reader!, 'GET', `/groups/${groupId}/members`)).body.value as Array<{ id: string }>).map((m) => m.id).sort();
  const read = async (groupId: string) => (await graph(foyer, tokens.reader!, 'GET', `/groups/${groupId}`)).body;

  it('updates displayName, description, mailNickname and securityEnabled (204), and the group reads back changed', async () => {
    const id = await newGroup('before', { description: 'old' });
    const res = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, {
      displayName: 'After',
      description: 'new words',
      mailNickname: 'after',
      securityEnabled: true,
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(await read(id)).toMatchObject({ id, displayName: 'After', description: 'new words', mailNickname: 'after', securityEnabled: true });
    // $filter on displayName uses the lowered column: it must follow the change.
    const found = await graph(foyer, tokens.reader!, 'GET', `/groups?$filter=${encodeURIComponent("displayName eq 'after'")}`);
    expect(found.body.value.map((g: { id: string }) => g.id)).toEqual([id]);
    // null clears the description; an empty body changes nothing and is still 204.
    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { description: null })).status).toBe(204);
    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, {})).status).toBe(204);
    expect(await read(id)).toMatchObject({ displayName: 'After', description: null });
  });

  it('works through the classic SDK builder: client.api(`/groups/{id}`).patch(…)', async () => {
    const client = classicGraphClient(foyer.url, tokens.groups!);
    const id = await newGroup('sdkgroup');
    await client.api(`/groups/${id}`).patch({ displayName: 'SDK renamed', 'members@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`] });
    expect(await read(id)).toMatchObject({ displayName: 'SDK renamed' });
    expect(await memberIds(id)).toEqual([people[0]]);
    await expect(client.api(`/groups/${id}`).patch({ 'members@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`] })).rejects.toMatchObject({
      statusCode: 400,
      code: 'Request_BadRequest',
    });
    await expect(client.api(`/groups/${randomUUID()}`).patch({ displayName: 'x' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'Request_ResourceNotFound',
    });
  });

  it('adds members from members@odata.bind on PATCH: directoryObjects, users and Foyer-base references', async () => {
    const id = await newGroup('binds');
    const res = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, {
      'members@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`, `${GRAPH}/users/${people[1]}`, `${foyer.url}/graph/v1.0/directoryObjects/${people[2]}`],
    });
    expect(res.status).toBe(204);
    expect(await memberIds(id)).toEqual([people[0], people[1], people[2]].sort());
  });

  it('creates a group with its members in one request (POST /groups with members@odata.bind)', async () => {
    const id = await newGroup('withmembers', { 'members@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`, `${GRAPH}/users/${people[3]}`] });
    expect(await memberIds(id)).toEqual([people[0], people[3]].sort());
  });

  it('refuses an existing member with Graph’s message and adds none of the others', async () => {
    const id = await newGroup('dupes', { 'members@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`] });
    const res = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, {
      displayName: 'Renamed?',
      'members@odata.bind': [`${GRAPH}/directoryObjects/${people[1]}`, `${GRAPH}/directoryObjects/${people[0]}`],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'Request_BadRequest',
      message: "One or more added object references already exist for the following modified properties: 'members'.",
    });
    expect(await memberIds(id)).toEqual([people[0]]);
    expect((await read(id)).displayName).toBe('dupes');
  });

  it('answers an unknown member 404 and changes nothing; POST /groups then creates no group', async () => {
    const id = await newGroup('unknown');
    const ghost = randomUUID();
    const res = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, {
      'members@odata.bind': [`${GRAPH}/directoryObjects/${people[1]}`, `${GRAPH}/directoryObjects/${ghost}`],
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('Request_ResourceNotFound');
    expect(res.body.error.message).toContain(ghost);
    expect(await memberIds(id)).toEqual([]);

    const created = await graph(foyer, tokens.groups!, 'POST', '/groups', {
      displayName: 'Never',
      mailNickname: 'never',
      'members@odata.bind': [`${GRAPH}/directoryObjects/${ghost}`],
    });
    expect(created.status).toBe(404);
    const list = await graph(foyer, tokens.reader!, 'GET', `/groups?$filter=${encodeURIComponent("mailNickname eq 'never'")}`);
    expect(list.body.value).toEqual([]);
  });

  it('refuses more than 20 references (Graph: 20 link changes per request), and bad references', async () => {
    const id = await newGroup('limits');
    const refs = Array.from({ length: 21 }, () => `${GRAPH}/directoryObjects/${randomUUID()}`);
    const tooMany = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { 'members@odata.bind': refs });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 'Request_BadRequest', message: 'A resource cannot contain more than 20 link changes.' });
    const onCreate = await graph(foyer, tokens.groups!, 'POST', '/groups', { displayName: 'Big', mailNickname: 'big', 'members@odata.bind': refs });
    expect(onCreate.status).toBe(400);

    for (const bad of ['not-a-url', [`${GRAPH}/groups`], [42], [`${GRAPH}/directoryObjects/not-a-guid`]]) {
      const res = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { 'members@odata.bind': bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe('Request_BadRequest');
    }
    expect(await memberIds(id)).toEqual([]);
  });

  it('refuses owners@odata.bind on PATCH as not supported by Foyer (creation takes it), and read-only or unknown properties', async () => {
    const id = await newGroup('owners');
    const owners = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { 'owners@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`] });
    expect(owners.status).toBe(400);
    expect(owners.body.error.message).toContain('not supported by Foyer');
    const onCreate = await graph(foyer, tokens.groups!, 'POST', '/groups', {
      displayName: 'Owned',
      mailNickname: 'owned',
      'owners@odata.bind': [`${GRAPH}/directoryObjects/${people[0]}`],
    });
    expect(onCreate.status).toBe(201);

    // Real Graph properties Foyer's groups lack say so, never "does not exist".
    for (const property of [{ visibility: 'Private' }, { allowExternalSenders: true }, { mailEnabled: true }]) {
      const res = await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, property);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('not supported by Foyer');
    }
    const visibleOnCreate = await graph(foyer, tokens.groups!, 'POST', '/groups', { displayName: 'V', mailNickname: 'v', visibility: 'Public' });
    expect(visibleOnCreate.body.error.message).toContain('not supported by Foyer');

    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { id: randomUUID() })).status).toBe(400);
    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { displayName: null })).status).toBe(400);
    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { displayName: '' })).status).toBe(400);
    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { mailNickname: 'has space' })).status).toBe(400);
    expect((await graph(foyer, tokens.groups!, 'PATCH', `/groups/${id}`, { groupTypes: ['Unified'] })).status).toBe(400);
    expect(await read(id)).toMatchObject({ displayName: 'owners', mailNickname: 'owners' });
  });

  it('asks the permissions of the group write routes: GroupMember.ReadWrite.All may bind members only', async () => {
    const id = await newGroup('perms');
    const asReader = await graph(foyer, tokens.reader!, 'PATCH', `/groups/${id}`, { displayName: 'Nope' });
    expect(asReader.status).toBe(403);
    expect(asReader.body.error.code).toBe('Authorization_RequestDenied');
    const rename = await graph(foyer, tokens.membersOnly!, 'PATCH', `/groups/${id}`, { displayName: 'Nope' });
    expect(rename.status).toBe(403);
    const mixed = await graph(foyer, tokens.membersOnly!, 'PATCH', `/groups/${id}`, {
      displayName: 'Nope',
      'members@odata.bind': [`${GRAPH}/directoryObjects/${people[2]}`],
    });
    expect(mixed.status).toBe(403);
    const readerBind = await graph(foyer, tokens.reader!, 'PATCH', `/groups/${id}`, { 'members@odata.bind': [`${GRAPH}/directoryObjects/${people[2]}`] });
    expect(readerBind.status).toBe(403);
    expect(await memberIds(id)).toEqual([]);
    const bind = await graph(foyer, tokens.membersOnly!, 'PATCH', `/groups/${id}`, { 'members@odata.bind': [`${GRAPH}/directoryObjects/${people[2]}`] });
    expect(bind.status).toBe(204);
    expect(await memberIds(id)).toEqual([people[2]]);
  });
});
