/**
 * JSON batching (`POST /$batch`) as Graph answers it: up to 20 requests run with the caller's token, one
 * 200 holding each request's own status, headers and body; `dependsOn` runs a request after another and
 * answers 424 when that one failed; a malformed batch is one 400 and runs nothing. Over raw HTTP, and
 * through the Kiota SDK's own `BatchRequestContent`.
 */
import { createUntypedObject, createUntypedString, HttpMethod, RequestInformation } from '@microsoft/kiota-abstractions';
import { createODataErrorFromDiscriminatorValue, type ODataError } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';
import { BatchRequestContent } from '@microsoft/msgraph-sdk-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient, kiotaRequestAdapter } from '../support/kiota-client.js';
import { appToken, graph } from '../support/tokens.js';

const json = { 'Content-Type': 'application/json' };
const errorMappings = { XXX: createODataErrorFromDiscriminatorValue };
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

const newUser = (local: string) => ({
  accountEnabled: true,
  displayName: local,
  mailNickname: local,
  userPrincipalName: `${local}@contoso.example`,
  passwordProfile: { password: 'Long-Enough-Passphrase-1' },
});

describe.each(backends)('JSON batching on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    // A small invitation limit, to show a batch counts against it like separate requests.
    foyer = await startTestFoyer({ backend, config: { invitationRateLimit: 2 } });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      writer: ['User.ReadWrite.All', 'Group.ReadWrite.All'],
      reader: ['User.Read.All'],
      inviter: ['User.Invite.All'],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: name, applicationPermissions: permissions });
      tokens[name] = await appToken(foyer, tenant, app);
    }
  });
  afterAll(() => foyer?.stop());

  const batch = (token: string, body: unknown, headers: Record<string, string> = {}) => graph(foyer, token, 'POST', '/$batch', body, headers);
  const byId = (body: { responses: Array<{ id: string }> }) => Object.fromEntries(body.responses.map((r) => [r.id, r])) as Record<string, any>;
  const groupNamed = async (name: string) => {
    const res = await graph(foyer, tokens.writer!, 'GET', `/groups?$filter=${encodeURIComponent(`displayName eq '${name}'`)}`);
    expect(res.status).toBe(200);
    return res.body.value as Array<{ id: string }>;
  };

  describe('over HTTP', () => {
    it('runs each request and answers them all in one 200, each with its own status, headers and body', async () => {
      const res = await batch(tokens.writer!, {
        requests: [
          { id: 'list', method: 'GET', url: '/users?$top=1&$select=id,userPrincipalName' },
          { id: 'one', method: 'get', url: `users/${tenant.admin.userPrincipalName}` },
          { id: 'count', method: 'GET', url: '/users/$count', headers: { ConsistencyLevel: 'eventual' } },
          { id: 'no-header', method: 'GET', url: '/users/$count' },
          { id: 'missing', method: 'GET', url: `/users/${NO_SUCH_ID}` },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.responses.map((r: { id: string }) => r.id)).toEqual(['list', 'one', 'count', 'no-header', 'missing']);
      const r = byId(res.body);
      expect(r.list.status).toBe(200);
      expect(r.list.headers['Content-Type']).toMatch(/^application\/json/);
      expect(r.list.body.value).toHaveLength(1);
      expect(Object.keys(r.list.body.value[0]).sort()).toEqual(['id', 'userPrincipalName']);
      expect(r.one.body.userPrincipalName).toBe(tenant.admin.userPrincipalName);
      // ConsistencyLevel given for one request applies to that request only; a text body comes base64-encoded.
      expect(r.count.status).toBe(200);
      expect(Number(Buffer.from(r.count.body, 'base64').toString())).toBe(1);
      expect(r['no-header'].status).toBe(400);
      expect(r['no-header'].body.error.message).toBe('$count is not currently supported.');
      expect(r.missing.status).toBe(404);
      expect(r.missing.body.error.code).toBe('Request_ResourceNotFound');
    });

    it('runs a request after the one named in dependsOn, and answers 424 down the chain when that one failed', async () => {
      const res = await batch(tokens.writer!, {
        requests: [
          {
            id: '1',
            method: 'POST',
            url: `/groups/${NO_SUCH_ID}/members/$ref`,
            headers: json,
            body: { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${NO_SUCH_ID}` },
          },
          { id: '2', dependsOn: ['1'], method: 'POST', url: '/users', headers: json, body: newUser('batch.never') },
          { id: '3', dependsOn: ['2'], method: 'GET', url: '/users/batch.never@contoso.example' },
          { id: '4', method: 'GET', url: '/users?$top=1' },
        ],
      });
      expect(res.status).toBe(200);
      const r = byId(res.body);
      expect([r['1'].status, r['2'].status, r['3'].status, r['4'].status]).toEqual([404, 424, 424, 200]);
      expect(r['2'].body.error.code).toBe('FailedDependency');
      expect(r['2'].body.error.message).toContain("request '1'");
      // The request that depended on a failure did not run.
      expect((await graph(foyer, tokens.writer!, 'GET', '/users/batch.never@contoso.example')).status).toBe(404);

      const ok = await batch(tokens.writer!, {
        requests: [
          { id: 'create', method: 'POST', url: '/users', headers: json, body: newUser('batch.chain') },
          { id: 'read', dependsOn: ['CREATE'], method: 'GET', url: '/users/batch.chain@contoso.example?$select=displayName' },
        ],
      });
      expect(byId(ok.body).create.status).toBe(201);
      expect(byId(ok.body).read).toMatchObject({ status: 200, body: { displayName: 'batch.chain' } });
    });

    it('takes 20 requests, and refuses 21 with one 400 before running any', async () => {
      const twenty = Array.from({ length: 20 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users?$top=1' }));
      const ok = await batch(tokens.writer!, { requests: twenty });
      expect(ok.status).toBe(200);
      expect(ok.body.responses).toHaveLength(20);

      const create = { id: 'create', method: 'POST', url: '/groups', headers: json, body: { displayName: 'Batch21', mailNickname: 'batch21' } };
      const res = await batch(tokens.writer!, { requests: [create, ...twenty] });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BadRequest');
      expect(res.body.error.message).toBe('Number of requests inside batch exceeds the limit.');
      expect(await groupNamed('Batch21')).toEqual([]);
    });

    it('answers 403 for the request the caller lacks permission for, and runs the others', async () => {
      const res = await batch(tokens.reader!, {
        requests: [
          { id: 'read', method: 'GET', url: '/users?$top=1' },
          { id: 'write', method: 'POST', url: '/groups', headers: json, body: { displayName: 'Not Allowed', mailNickname: 'notallowed' } },
          // A token inside the batch is not used: every request runs with the outer request's token.
          {
            id: 'smuggled',
            method: 'POST',
            url: '/groups',
            headers: { ...json, Authorization: `Bearer ${tokens.writer}` },
            body: { displayName: 'Smuggled', mailNickname: 'smuggled' },
          },
          { id: 'count', method: 'GET', url: '/users/$count', headers: { ConsistencyLevel: 'eventual' } },
        ],
      });
      expect(res.status).toBe(200);
      const r = byId(res.body);
      expect([r.read.status, r.write.status, r.smuggled.status, r.count.status]).toEqual([200, 403, 403, 200]);
      expect(r.write.body.error.code).toBe('Authorization_RequestDenied');
      expect(await groupNamed('Smuggled')).toEqual([]);
    });

    it('needs a token for the batch itself', async () => {
      const res = await fetch(`${foyer.url}/graph/v1.0/$batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/users' }] }),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('InvalidAuthenticationToken');
    });

    it.each([
      ['no requests array', { value: [] }, 'Invalid batch payload format'],
      [
        'two ids differing only in case',
        {
          requests: [
            { id: 'a', method: 'GET', url: '/users' },
            { id: 'A', method: 'GET', url: '/users' },
          ],
        },
        "two requests with the id 'A'",
      ],
      ['an absolute url', { requests: [{ id: 'x', method: 'GET', url: 'https://graph.microsoft.com/v1.0/users' }] }, 'absolute url'],
      ['a url climbing out of the API', { requests: [{ id: 'x', method: 'GET', url: '/../../healthz' }] }, 'outside the API'],
      ['an encoded climb', { requests: [{ id: 'x', method: 'GET', url: '/%2e%2e/%2E%2E/readyz' }] }, 'outside the API'],
      ['a batch in a batch', { requests: [{ id: 'x', method: 'POST', url: '/$batch', headers: json, body: { requests: [] } }] }, 'batches do not nest'],
      [
        'dependsOn a later request',
        {
          requests: [
            { id: 'a', dependsOn: ['b'], method: 'GET', url: '/users' },
            { id: 'b', method: 'GET', url: '/users' },
          ],
        },
        "depends on 'b'",
      ],
      [
        'a write without Content-Type',
        { requests: [{ id: 'w', method: 'PATCH', url: `/users/${NO_SUCH_ID}`, body: { jobTitle: 'x' } }] },
        'Write request id : w does not contain Content-Type header or body.',
      ],
      [
        'a write without body',
        { requests: [{ id: 'w', method: 'POST', url: '/groups', headers: json }] },
        'Write request id : w does not contain Content-Type header or body.',
      ],
      ['an unknown method', { requests: [{ id: 'x', method: 'TRACE', url: '/users' }] }, 'valid "method"'],
      [
        'a header with a line break',
        { requests: [{ id: 'x', method: 'GET', url: '/users', headers: { 'client-request-id': 'a\r\nx-evil: 1' } }] },
        "header 'client-request-id'",
      ],
    ])('refuses a batch with %s as one 400, running none of it', async (_name, body, message) => {
      // A valid request first: it must not run either.
      const name = `Refused ${_name}`;
      const first = { id: 'first', method: 'POST', url: '/groups', headers: json, body: { displayName: name, mailNickname: 'refused' } };
      const payload = 'requests' in body ? { requests: [first, ...body.requests] } : body;
      const res = await batch(tokens.writer!, payload);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BadRequest');
      expect(res.body.error.innerError.code).toBe('batch.invalid');
      expect(res.body.error.message).toContain(message);
      expect(await groupNamed(name)).toEqual([]);
    });

    it('counts each request against rate limits, as if sent alone', async () => {
      const invite = (n: number) => ({
        id: `invite${n}`,
        method: 'POST',
        url: '/invitations',
        headers: json,
        body: { invitedUserEmailAddress: `guest${n}@fabrikam.example`, inviteRedirectUrl: 'https://app.example/' },
      });
      const res = await batch(tokens.inviter!, { requests: [invite(1), invite(2), invite(3)] });
      expect(res.status).toBe(200);
      const r = byId(res.body);
      expect([r.invite1.status, r.invite2.status, r.invite3.status]).toEqual([201, 201, 429]);
      expect(r.invite3.body.error.code).toBe('TooManyRequests');
      expect(Number(r.invite3.headers['Retry-After'])).toBeGreaterThan(0);
    });

    it('keeps the body size limit for the batch as a whole', async () => {
      const big = 'x'.repeat(1024 * 1024);
      const res = await batch(tokens.writer!, {
        requests: [{ id: 'big', method: 'PATCH', url: `/users/${tenant.admin.id}`, headers: json, body: { jobTitle: big } }],
      });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('RequestEntityTooLarge');
    });
  });

  describe("through the Kiota SDK's BatchRequestContent", () => {
    const sdk = (token: string) => ({ adapter: kiotaRequestAdapter(foyer.url, token), client: kiotaGraphClient(foyer.url, token) });
    /** A request the SDK has no builder for (no groups package on this registry), built as its builders build them. */
    const request = (method: HttpMethod, template: string, params: Record<string, string>, body?: unknown) => {
      const info = new RequestInformation(method, template);
      info.pathParameters = { ...params };
      if (body !== undefined) info.content = new TextEncoder().encode(JSON.stringify(body)).buffer as ArrayBuffer;
      return info;
    };

    /**
     * A step's `Content-Type`. This SDK version drops a request's own headers when it turns it into a
     * batch step, and writes a plain object of headers as `{}`; only an untyped node comes through (and
     * with it the SDK sends the body base64-encoded, which Graph's batch format allows).
     */
    const jsonStep = createUntypedObject({ 'Content-Type': createUntypedString('application/json') }) as unknown as Record<string, string>;

    it('creates a user and a group, then adds the user to the group, each step after the one it depends on', async () => {
      const { adapter, client } = sdk(tokens.writer!);
      const first = new BatchRequestContent(adapter, errorMappings);
      const user = first.addBatchRequest(client.users.toPostRequestInformation(newUser('kiota.batch')), 'user');
      const group = first.addBatchRequest(
        request(HttpMethod.POST, '{+baseurl}/groups', {}, { displayName: 'Kiota Batch', mailNickname: 'kiotabatch' }),
        'group',
      );
      group.dependsOn = ['user'];
      user.headers = jsonStep;
      group.headers = jsonStep;
      const created = await first.postAsync();
      expect(Object.fromEntries(await created!.getResponsesStatusCodes())).toEqual({ user: 201, group: 201 });

      const userId = (await client.users.byUserId('kiota.batch@contoso.example').get())!.id!;
      // The SDK reads no JSON body out of a batch response (it expects base64), so the ids are read back.
      const groupId = (await groupNamed('Kiota Batch'))[0]!.id;

      const second = new BatchRequestContent(adapter, errorMappings);
      const add = second.addBatchRequest(
        request(HttpMethod.POST, '{+baseurl}/groups/{id}/members/$ref', { id: groupId }, { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${userId}` }),
        'add',
      );
      add.headers = jsonStep;
      const check = second.addBatchRequest(client.users.byUserId(userId).memberOf.graphGroup.toGetRequestInformation(), 'check');
      check.dependsOn = ['add'];
      const added = await second.postAsync();
      expect(Object.fromEntries(await added!.getResponsesStatusCodes())).toEqual({ add: 204, check: 200 });
      const memberOf = await client.users.byUserId(userId).memberOf.graphGroup.get();
      expect(memberOf!.value!.map((g) => g.displayName)).toEqual(['Kiota Batch']);
    });

    it('answers 424 for a step whose dependency failed', async () => {
      const { adapter, client } = sdk(tokens.writer!);
      const content = new BatchRequestContent(adapter, errorMappings);
      content.addBatchRequest(client.users.byUserId('nobody@contoso.example').toGetRequestInformation(), 'missing');
      const next = content.addBatchRequest(client.users.toGetRequestInformation(), 'after');
      next.dependsOn = ['missing'];
      const res = await content.postAsync();
      expect(Object.fromEntries(await res!.getResponsesStatusCodes())).toEqual({ missing: 404, after: 424 });
    });

    it('refuses 21 steps with an ODataError carrying Graph’s code and message', async () => {
      const { adapter, client } = sdk(tokens.writer!);
      const content = new BatchRequestContent(adapter, errorMappings);
      for (let i = 0; i < 20; i++) content.addBatchRequest(client.users.toGetRequestInformation(), `r${i}`);
      // The SDK stops at 20 itself; past its guard, the server says the same.
      expect(() => content.addBatchRequest(client.users.toGetRequestInformation(), 'r20')).toThrow(/limit/i);
      content.requests.set('r20', { id: 'r20', method: 'GET', url: '/users' });
      const err = (await content.postAsync().catch((e) => e)) as ODataError;
      expect(err.responseStatusCode).toBe(400);
      expect(err.errorEscaped?.code).toBe('BadRequest');
      expect(err.errorEscaped?.message).toBe('Number of requests inside batch exceeds the limit.');
    });

    it('answers 403 for the step the caller lacks permission for, and 200 for the others', async () => {
      const { adapter, client } = sdk(tokens.reader!);
      const content = new BatchRequestContent(adapter, errorMappings);
      content.addBatchRequest(client.users.toGetRequestInformation(), 'read');
      const write = content.addBatchRequest(client.users.toPostRequestInformation(newUser('kiota.denied')), 'write');
      write.headers = jsonStep;
      content.addBatchRequest(client.users.byUserId(tenant.admin.id).toGetRequestInformation(), 'me');
      const res = await content.postAsync();
      expect(Object.fromEntries(await res!.getResponsesStatusCodes())).toEqual({ read: 200, write: 403, me: 200 });
    });

    it('refuses the whole batch when a write step lost its Content-Type, as Graph does', async () => {
      const { adapter, client } = sdk(tokens.writer!);
      const content = new BatchRequestContent(adapter, errorMappings);
      content.addBatchRequest(client.users.toPostRequestInformation(newUser('kiota.headerless')), 'headerless');
      const err = (await content.postAsync().catch((e) => e)) as ODataError;
      expect(err.responseStatusCode).toBe(400);
      expect(err.errorEscaped?.message).toBe('Write request id : headerless does not contain Content-Type header or body.');
      expect((await graph(foyer, tokens.writer!, 'GET', '/users/kiota.headerless@contoso.example')).status).toBe(404);
    });
  });
});
