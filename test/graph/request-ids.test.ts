/**
 * Graph's request ids and routing errors: every response under the Graph prefix carries a GUID `request-id`
 * and a `client-request-id` (the client's own, echoed, or else a generated GUID), and error bodies repeat
 * them; a method the resource does not take is `405` with `Allow`, an unknown segment `400` naming that
 * segment. Over HTTP and through the official Microsoft Graph JavaScript client; pages keep their own ids.
 */
import { type GraphError, ResponseType } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { classicGraphClient } from '../support/graph-client.js';
import { appToken, graph } from '../support/tokens.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GRAPH_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

describe.each(backends)('Graph request ids, 405 and unknown segments on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'ids', applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All'] });
    token = await appToken(foyer, tenant, app);
    const user = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: 'Ida',
      mailNickname: 'ida',
      userPrincipalName: 'ida@contoso.example',
      passwordProfile: { password: 'Long-Enough-Passphrase-1', forceChangePasswordNextSignIn: false },
    });
    expect(user.status).toBe(201);
    userId = user.body.id;
    const group = await graph(foyer, token, 'POST', '/groups', { displayName: 'Ids', mailEnabled: false, mailNickname: 'ids', securityEnabled: true });
    expect(group.status).toBe(201);
    groupId = group.body.id;
  });
  afterAll(() => foyer?.stop());

  describe('request-id and client-request-id', () => {
    it('gives a success a GUID request-id and, when the client sent none, a generated client-request-id', async () => {
      const res = await graph(foyer, token, 'GET', '/users');
      expect(res.status).toBe(200);
      const requestId = res.headers.get('request-id');
      expect(requestId).toMatch(GUID);
      expect(res.headers.get('client-request-id')).toBe(requestId);
      const again = await graph(foyer, token, 'GET', '/users');
      expect(again.headers.get('request-id')).toMatch(GUID);
      expect(again.headers.get('request-id')).not.toBe(requestId);
    });

    it('echoes the client’s client-request-id in the header and the error body, with the request-id and date', async () => {
      const sent = '5bd3ea1a-0d7c-4bb4-9a7c-3fb1b1c4f1d2';
      const res = await graph(foyer, token, 'GET', '/users/nobody@contoso.example', undefined, { 'client-request-id': sent });
      expect(res.status).toBe(404);
      expect(res.headers.get('client-request-id')).toBe(sent);
      expect(res.headers.get('request-id')).toMatch(GUID);
      expect(res.body.error.innerError).toMatchObject({ 'request-id': res.headers.get('request-id'), 'client-request-id': sent });
      expect(res.body.error.innerError.date).toMatch(GRAPH_DATE);
    });

    it('puts the generated client-request-id in error bodies too', async () => {
      const res = await graph(foyer, token, 'GET', '/users/nobody@contoso.example');
      expect(res.status).toBe(404);
      const requestId = res.headers.get('request-id');
      expect(requestId).toMatch(GUID);
      expect(res.headers.get('client-request-id')).toBe(requestId);
      expect(res.body.error.innerError).toMatchObject({ 'request-id': requestId, 'client-request-id': requestId });
    });

    it('carries both ids on errors raised before routing (bad percent-encoding) and without a token', async () => {
      const bad = await fetch(`${foyer.url}/graph/v1.0/users/%E0%A4%A`, { headers: { authorization: `Bearer ${token}` } });
      const badBody = (await bad.json()) as { error: { innerError: Record<string, string> } };
      expect(bad.status).toBe(400);
      expect(bad.headers.get('request-id')).toMatch(GUID);
      expect(badBody.error.innerError).toMatchObject({ 'request-id': bad.headers.get('request-id'), 'client-request-id': bad.headers.get('request-id') });
      const anonymous = await fetch(`${foyer.url}/graph/v1.0/users`, { headers: { 'client-request-id': 'my-id' } });
      const anonymousBody = (await anonymous.json()) as { error: { innerError: Record<string, string> } };
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('client-request-id')).toBe('my-id');
      expect(anonymousBody.error.innerError).toMatchObject({ 'request-id': anonymous.headers.get('request-id'), 'client-request-id': 'my-id' });
    });

    it('leaves pages and OAuth endpoints their own ids: no GUID, no generated client-request-id', async () => {
      const page = await fetch(`${foyer.url}/no-such-page`, { headers: { 'client-request-id': 'page-id' } });
      expect(page.headers.get('request-id')).toMatch(/^[\w-]+-[0-9a-z]+$/);
      expect(page.headers.get('request-id')).not.toMatch(GUID);
      expect(page.headers.get('client-request-id')).toBe('page-id');
      for (const path of ['/no-such-page', `/${tenant.id}/v2.0/.well-known/openid-configuration`, `/${tenant.id}/oauth2/v2.0/token`]) {
        const res = await fetch(`${foyer.url}${path}`, { method: path.endsWith('token') ? 'POST' : 'GET' });
        expect(res.headers.get('request-id') ?? '').not.toMatch(GUID);
        expect(res.headers.get('client-request-id')).toBeNull();
        const echoed = await fetch(`${foyer.url}${path}`, { method: path.endsWith('token') ? 'POST' : 'GET', headers: { 'client-request-id': 'page-id' } });
        expect(echoed.headers.get('request-id') ?? '').not.toMatch(GUID);
      }
    });
  });

  describe('a method the resource does not take', () => {
    it.each([
      ['PUT', () => `/users/${userId}`, 'DELETE, GET, HEAD, PATCH'],
      ['DELETE', () => '/users', 'GET, HEAD, POST'],
      ['PATCH', () => `/groups/${groupId}/members`, 'GET, HEAD'],
      ['POST', () => '/organization', 'GET, HEAD'],
    ])('answers %s %s with 405 Request_BadRequest, Allow and the method named', async (method, path, allow) => {
      const res = await graph(foyer, token, method, path(), method === 'DELETE' ? undefined : {}, { 'client-request-id': 'c-405' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      const segment = path().split('/').at(-1);
      expect(res.body.error).toMatchObject({
        code: 'Request_BadRequest',
        message: `Specified HTTP method '${method}' is not allowed for the segment '${segment}'; it takes ${allow}.`,
        innerError: { code: 'request.method_not_allowed', 'request-id': res.headers.get('request-id'), 'client-request-id': 'c-405' },
      });
    });

    it('changes nothing', async () => {
      const put = await graph(foyer, token, 'PUT', `/users/${userId}`, { displayName: 'Changed' });
      expect(put.status).toBe(405);
      const read = await graph(foyer, token, 'GET', `/users/${userId}`);
      expect(read.body.displayName).toBe('Ida');
      const del = await graph(foyer, token, 'DELETE', '/users');
      expect(del.status).toBe(405);
      expect((await graph(foyer, token, 'GET', `/users/${userId}`)).status).toBe(200);
    });
  });

  describe('an unknown segment', () => {
    it.each([
      [() => `/users/${userId}/nonsense`, 'nonsense'],
      [() => `/users/${userId}/nonsense/deeper?$select=id`, 'nonsense'],
      [() => `/groups/${groupId}/members/nonsense`, 'nonsense'],
      [() => '/contacts', 'contacts'],
      [() => '/users%20x/abc', 'users x'],
    ])('answers %s with 400 naming that segment', async (path, segment) => {
      const res = await graph(foyer, token, 'GET', path());
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'BadRequest',
        message: `Resource not found for the segment '${segment}'.`,
        innerError: { code: 'request.unknown_segment' },
      });
      expect(res.headers.get('allow')).toBeNull();
    });
  });

  describe('with the official Microsoft Graph client', () => {
    const client = () => classicGraphClient(foyer.url, token);

    it('parses the 405 and its request-id into a GraphError', async () => {
      const err = (await client()
        .api(`/users/${userId}`)
        .put({ displayName: 'Changed' })
        .catch((e: unknown) => e)) as GraphError;
      expect(err).toMatchObject({ statusCode: 405, code: 'Request_BadRequest' });
      expect(err.message).toContain("'PUT'");
      expect(err.requestId).toMatch(GUID);
      expect(err.headers?.get('request-id')).toBe(err.requestId);
      // Over plain http the client sends no client-request-id (its telemetry handler adds one for https hosts
      // only), so Foyer generates one, as Graph does.
      expect(err.headers?.get('client-request-id')).toBe(err.requestId);
    });

    it('parses the unknown segment, and reads the ids of a success', async () => {
      const err = (await client()
        .api(`/users/${userId}/nonsense`)
        .get()
        .catch((e: unknown) => e)) as GraphError;
      expect(err).toMatchObject({ statusCode: 400, code: 'BadRequest', message: "Resource not found for the segment 'nonsense'." });
      expect(err.requestId).toMatch(GUID);
      const raw = (await client().api(`/users/${userId}`).responseType(ResponseType.RAW).get()) as Response;
      expect(raw.status).toBe(200);
      expect(raw.headers.get('request-id')).toMatch(GUID);
      expect(raw.headers.get('client-request-id')).toBe(raw.headers.get('request-id'));
    });
  });
});
