/**
 * The OpenID endpoints answer clients in OAuth's shape (`{"error", "error_description"}`, JSON), also for
 * an unknown tenant, an endpoint Foyer does not have, and bad input; and every OAuth error code that
 * docs/api.md names is the one the server really sends. The table in docs/api.md drives the requests:
 * a row without a request here, or a code the server does not send, fails.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';

const apiDoc = readFileSync(resolve(import.meta.dirname, '../../docs/api.md'), 'utf8');

/** The rows of the "OAuth errors" table: situation, status, error code. */
function documentedErrors(): Array<{ situation: string; status: number; error: string }> {
  const section = /### OAuth errors\n([\s\S]*?)(?:\n#|$)/.exec(apiDoc)?.[1] ?? '';
  return section
    .split('\n')
    .filter((l) => /^\| [^-]/.test(l) && !l.startsWith('| situation'))
    .map((l) => {
      const [situation, status, error] = l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { situation: situation!, status: Number(status), error: error!.replaceAll('`', '') };
    });
}

/** Every OAuth error code docs/api.md mentions anywhere. */
function codesMentioned(): Set<string> {
  return new Set(
    [...apiDoc.matchAll(/`(invalid_[a-z_]+|unsupported_[a-z_]+|unauthorized_client|insufficient_scope|access_denied|server_error|invalid_target)`/g)].map(
      (m) => m[1]!,
    ),
  );
}

describe.each(backends)('OAuth errors on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let app: { appId: string; clientSecret?: string };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    app = await foyer.createApp(tenant.id, { displayName: 'Script', redirectUris: ['https://x.example/cb'], applicationPermissions: ['User.Read.All'] });
  });
  afterAll(() => foyer?.stop());

  const graphDefault = () => `${foyer.url}/graph/.default`;
  const form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${foyer.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields),
    });
  const token = (fields: Record<string, string>) => form(`/${tenant.id}/oauth2/v2.0/token`, fields);
  const asApp = (fields: Record<string, string>) => token({ client_id: app.appId, client_secret: app.clientSecret!, ...fields });

  /** One request per documented situation; the keys are the table's first column, word for word. */
  const requests: Record<string, () => Promise<Response>> = {
    'unknown tenant, token endpoint': () => form('/nowhere.example/oauth2/v2.0/token', { grant_type: 'client_credentials' }),
    'unknown tenant, revocation': () => form('/nowhere.example/oauth2/v2.0/revoke', { token: 'x' }),
    'unknown tenant, discovery': () => fetch(`${foyer.url}/nowhere.example/v2.0/.well-known/openid-configuration`),
    'unknown tenant, signing keys': () => fetch(`${foyer.url}/nowhere.example/discovery/v2.0/keys`),
    'unknown tenant, userinfo': () => fetch(`${foyer.url}/nowhere.example/openid/userinfo`, { headers: { authorization: 'Bearer x' } }),
    'malformed tenant in the URL': () => form('/no%20where/oauth2/v2.0/token', { grant_type: 'client_credentials' }),
    'a NUL character in the URL': () => form(`/${tenant.id}/oauth2/v2.0/token?x=%00`, { grant_type: 'client_credentials' }),
    'a userinfo body that is not valid JSON': () =>
      fetch(`${foyer.url}/${tenant.id}/openid/userinfo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' }),
    'an endpoint Foyer does not have (introspection, device code)': () => form(`/${tenant.id}/oauth2/v2.0/introspect`, { token: 'x' }),
    'a path below token or revocation (`…/oauth2/v2.0/token/x`)': () => form(`/${tenant.id}/oauth2/v2.0/token/x`, { grant_type: 'client_credentials' }),
    'a method the endpoint does not take (`GET` at token; `Allow` names the ones it takes)': () => fetch(`${foyer.url}/${tenant.id}/oauth2/v2.0/token`),
    'unknown tenant, path in other letter case (`…/OAuth2/v2.0/token`)': () => form('/nope.example/OAuth2/v2.0/token', { grant_type: 'client_credentials' }),
    'no `grant_type`': () => asApp({ scope: graphDefault() }),
    'a grant type Foyer does not support (`password`)': () => asApp({ grant_type: 'password', username: 'a', password: 'b' }),
    'unknown client id': () => token({ grant_type: 'client_credentials', client_id: 'no-such-app', client_secret: 'x', scope: graphDefault() }),
    'wrong client secret': () => token({ grant_type: 'client_credentials', client_id: app.appId, client_secret: 'wrong', scope: graphDefault() }),
    'client credentials without `{resource}/.default`': () => asApp({ grant_type: 'client_credentials', scope: 'User.Read.All' }),
    'a `.default` scope of another resource': () => asApp({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }),
    'unknown, used or expired authorization code': () =>
      asApp({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://x.example/cb', code_verifier: 'v'.repeat(43) }),
    'unknown, used or expired refresh token': () => asApp({ grant_type: 'refresh_token', refresh_token: 'not-a-token' }),
    'revocation without `token`': () => form(`/${tenant.id}/oauth2/v2.0/revoke`, { client_id: app.appId, client_secret: app.clientSecret! }),
    'userinfo without an access token': () => fetch(`${foyer.url}/${tenant.id}/openid/userinfo`),
    'userinfo with a token that is not valid here': () =>
      fetch(`${foyer.url}/${tenant.id}/openid/userinfo`, { headers: { authorization: 'Bearer not.a.jwt' } }),
  };

  it('docs/api.md has an OAuth errors table, and a request here for each of its rows', () => {
    const rows = documentedErrors();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.map((r) => r.situation).filter((s) => !(s in requests))).toEqual([]);
  });

  it('each documented situation answers, as JSON, the documented status and OAuth error code', async () => {
    const seen: Array<{ situation: string; status: number; error: unknown; json: boolean }> = [];
    for (const { situation } of documentedErrors()) {
      const res = await requests[situation]!();
      const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
      const body = json ? ((await res.json()) as { error?: unknown; error_description?: unknown }) : { error: await res.text() };
      seen.push({ situation, status: res.status, error: body.error, json });
      if (json) expect(body.error_description, situation).toEqual(expect.any(String));
    }
    expect(seen).toEqual(documentedErrors().map((r) => ({ situation: r.situation, status: r.status, error: r.error, json: true })));
  });

  it('names no OAuth error code in docs/api.md that the table does not prove', () => {
    const proven = new Set(documentedErrors().map((r) => r.error));
    expect([...codesMentioned()].filter((c) => !proven.has(c))).toEqual([]);
  });

  it('answers a known tenant’s client endpoints in JSON for any method and any path below them', async () => {
    const at = (path: string, method: string, body?: URLSearchParams) => fetch(`${foyer.url}/${tenant.id}${path}`, { method, body });
    const cases: Array<[path: string, method: string, status: number, allow: string | null]> = [
      ['/oauth2/v2.0/token', 'GET', 405, 'POST, OPTIONS'],
      ['/oauth2/v2.0/token', 'PUT', 405, 'POST, OPTIONS'],
      ['/oauth2/v2.0/revoke', 'GET', 405, 'POST, OPTIONS'],
      ['/discovery/v2.0/keys', 'POST', 405, 'GET, HEAD, OPTIONS'],
      ['/v2.0/.well-known/openid-configuration', 'POST', 405, 'GET, HEAD, OPTIONS'],
      ['/openid/userinfo', 'DELETE', 405, 'GET, HEAD, POST'],
      ['/oauth2/v2.0/token/x', 'GET', 404, null],
      ['/oauth2/v2.0/token/x', 'POST', 404, null],
      ['/oauth2/v2.0/revoke/x', 'POST', 404, null],
      ['/openid/userinfo/x', 'GET', 404, null],
    ];
    const seen = [];
    for (const [path, method, ,] of cases) {
      const res = await at(path, method, method === 'POST' || method === 'PUT' ? new URLSearchParams({ token: 'x' }) : undefined);
      const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
      const body = json ? ((await res.json()) as { error?: string }) : {};
      seen.push([path, method, res.status, res.headers.get('allow'), json && body.error === 'invalid_request']);
    }
    expect(seen).toEqual(cases.map(([path, method, status, allow]) => [path, method, status, allow, true]));
  });

  it('serves a known tenant’s endpoints in any letter case, and still answers their own methods', async () => {
    const discovery = await fetch(`${foyer.url}/${tenant.id}/V2.0/.well-known/OpenID-Configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`${foyer.url}/${tenant.id}/v2.0`);
    const head = await fetch(`${foyer.url}/${tenant.id}/discovery/v2.0/keys`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const upper = await form(`/${tenant.id}/OAuth2/V2.0/Token`, {
      grant_type: 'client_credentials',
      client_id: app.appId,
      client_secret: app.clientSecret!,
      scope: graphDefault(),
    });
    expect(upper.status).toBe(200);
    expect(((await upper.json()) as { access_token?: string }).access_token).toEqual(expect.any(String));
  });

  it('still shows a person who follows a sign-in link to an unknown tenant a page, not JSON', async () => {
    const res = await fetch(`${foyer.url}/nowhere.example/oauth2/v2.0/authorize?client_id=x&response_type=code`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
