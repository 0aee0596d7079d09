/**
 * `GET /users/$count` and `GET /groups/$count` as Graph answers them: the number as text/plain with
 * `ConsistencyLevel: eventual`, 400 "$count is not currently supported." without it; over HTTP and
 * through the classic Graph client's request builder. (The Kiota SDK is not a dependency of Foyer.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { classicGraphClient } from '../support/graph-client.js';
import { appToken, graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };

describe.each(backends)('counting segments on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const tokens: Record<string, string> = {};

  const newUser = (local: string, jobTitle: string) => ({
    accountEnabled: true,
    displayName: local,
    mailNickname: local,
    userPrincipalName: `${local}@contoso.example`,
    jobTitle,
    passwordProfile: { password: 'Long-Enough-Passphrase-1' },
  });

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      writer: ['User.ReadWrite.All', 'Group.ReadWrite.All'],
      nothing: [],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: name, applicationPermissions: permissions });
      tokens[name] = await appToken(foyer, tenant, app);
    }
    for (const [local, job] of [
      ['count.ann', 'Engineer'],
      ['count.bob', 'Engineer'],
      ['count.cy', 'Designer'],
      ['count.gone', 'Engineer'],
      ['count.hidden', 'Engineer'],
    ] as const) {
      const res = await graph(foyer, tokens.writer!, 'POST', '/users', newUser(local, job));
      expect(res.status).toBe(201);
    }
    // One user deleted through the API, and one soft-deleted (a row the list does not show).
    expect((await graph(foyer, tokens.writer!, 'DELETE', '/users/count.gone@contoso.example')).status).toBe(204);
    await foyer.ctx.db.kysely.updateTable('users').set({ deleted_at: Date.now() }).where('upn_lower', '=', 'count.hidden@contoso.example').execute();
    for (const name of ['Count Alpha', 'Count Beta', 'Other']) {
      const res = await graph(foyer, tokens.writer!, 'POST', '/groups', { displayName: name, mailNickname: name.replace(' ', '') });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => foyer?.stop());

  const listed = async (path: string) => {
    // `$count=true` adds `@odata.count` only with `ConsistencyLevel: eventual`, as on Graph.
    const res = await graph(foyer, tokens.writer!, 'GET', path, undefined, eventual);
    expect(res.status).toBe(200);
    return res.body['@odata.count'] as number;
  };

  describe('GET /users/$count', () => {
    it('answers the number of users the list shows, as text/plain', async () => {
      const res = await graph(foyer, tokens.writer!, 'GET', '/users/$count', undefined, eventual);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      // The admin and the three users left: neither the deleted nor the soft-deleted one.
      expect(res.body).toBe(4);
      expect(res.body).toBe(await listed('/users?$count=true&$top=1'));
    });

    it('respects $filter, compiled as the list compiles it', async () => {
      const res = await graph(foyer, tokens.writer!, 'GET', `/users/$count?$filter=${encodeURIComponent("jobTitle eq 'Engineer'")}`, undefined, eventual);
      expect(res.status).toBe(200);
      expect(res.body).toBe(2);
      const prefix = encodeURIComponent("startswith(displayName,'count.')");
      const counted = await graph(foyer, tokens.writer!, 'GET', `/users/$count?$filter=${prefix}`, undefined, eventual);
      expect(counted.body).toBe(3);
      expect(counted.body).toBe(await listed(`/users?$count=true&$filter=${prefix}`));
    });

    it('refuses a bad $filter as the list does', async () => {
      const res = await graph(foyer, tokens.writer!, 'GET', `/users/$count?$filter=${encodeURIComponent("nickname eq 'x'")}`, undefined, eventual);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
    });

    it("without ConsistencyLevel: eventual answers Graph's 400", async () => {
      for (const headers of [{}, { ConsistencyLevel: 'session' }] as Array<Record<string, string>>) {
        const res = await graph(foyer, tokens.writer!, 'GET', '/users/$count', undefined, headers);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({
          code: 'Request_BadRequest',
          message: '$count is not currently supported.',
          innerError: { code: 'request.consistency_level_required' },
        });
      }
    });

    it('is the $count segment when percent-encoded too, never a user id', async () => {
      const res = await graph(foyer, tokens.writer!, 'GET', '/users/%24count', undefined, eventual);
      expect(res.status).toBe(200);
      expect(res.body).toBe(4);
    });

    it('needs the permission to read users', async () => {
      const res = await graph(foyer, tokens.nothing!, 'GET', '/users/$count', undefined, eventual);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('Authorization_RequestDenied');
    });
  });

  describe('GET /groups/$count', () => {
    it('answers the number of groups, with and without $filter', async () => {
      const all = await graph(foyer, tokens.writer!, 'GET', '/groups/$count', undefined, eventual);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(all.body).toBe(3);
      expect(all.body).toBe(await listed('/groups?$count=true&$top=1'));
      const filter = encodeURIComponent("startswith(displayName,'Count')");
      const some = await graph(foyer, tokens.writer!, 'GET', `/groups/$count?$filter=${filter}`, undefined, eventual);
      expect(some.body).toBe(2);
      expect((await graph(foyer, tokens.writer!, 'GET', '/groups/%24count', undefined, eventual)).body).toBe(3);
    });

    it("without ConsistencyLevel: eventual answers Graph's 400", async () => {
      const res = await graph(foyer, tokens.writer!, 'GET', '/groups/$count');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'Request_BadRequest', message: '$count is not currently supported.' });
    });

    it('needs the permission to read groups', async () => {
      const res = await graph(foyer, tokens.nothing!, 'GET', '/groups/$count', undefined, eventual);
      expect(res.status).toBe(403);
    });
  });

  describe('through the classic Graph client', () => {
    const client = () => classicGraphClient(foyer.url, tokens.writer!);

    it('counts users and groups with the ConsistencyLevel header and a filter', async () => {
      expect(Number(await client().api('/users/$count').header('ConsistencyLevel', 'eventual').get())).toBe(4);
      expect(Number(await client().api('/users/$count').header('ConsistencyLevel', 'eventual').filter("jobTitle eq 'Designer'").get())).toBe(1);
      expect(Number(await client().api('/groups/$count').header('ConsistencyLevel', 'eventual').get())).toBe(3);
    });

    it('surfaces the 400 as a GraphError without the header', async () => {
      await expect(client().api('/users/$count').get()).rejects.toMatchObject({
        statusCode: 400,
        code: 'Request_BadRequest',
        message: '$count is not currently supported.',
      });
    });
  });
});
