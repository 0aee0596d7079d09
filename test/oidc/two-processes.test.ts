/**
 * Two Foyer processes on one PostgreSQL behind a round-robin load balancer: every request of a sign-in
 * lands on the other process than the one before, and the sign-in still completes. Sessions,
 * interactions, codes, refresh tokens, signing keys and cookie keys all live in the database.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSigningKey } from '../../src/directory/signing-keys.js';
import { backends } from '../support/backends.js';
import { freePort, startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { formWith, HttpBrowser } from '../support/http-browser.js';
import { type RoundRobin, startRoundRobin } from '../support/round-robin.js';
import { appToken, authorizationRequest, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';
const isCallback = (u: string) => u.startsWith(REDIRECT);
const postgres = backends.find((b) => b.name === 'postgres');

describe.skipIf(!postgres)('two processes on one PostgreSQL', () => {
  let a: TestFoyer;
  let b: TestFoyer;
  let balancer: RoundRobin;
  let tenant: TestTenant;
  let client: oidc.Configuration;
  let web: { appId: string; clientSecret?: string };

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    a = await startTestFoyer({ backend: postgres!, publicUrl });
    b = await startTestFoyer({ backend: postgres!, publicUrl, databaseUrl: a.databaseUrl });
    balancer = await startRoundRobin(port, () => [a.port, b.port]);
    tenant = await a.createTenant('Contoso', { domains: ['contoso.example'] });
    web = await a.createApp(tenant.id, { displayName: 'Portal', redirectUris: [REDIRECT] });
    client = await oidc.discovery(new URL(tenant.issuer), web.appId, web.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await balancer?.close();
    await b?.stop();
    await a?.stop();
  });

  it('completes a sign-in whose every step lands on the other process', async () => {
    const before = [...balancer.served];
    const browser = new HttpBrowser();
    const { url, verifier, state } = await authorizationRequest(client, REDIRECT, { scope: 'openid profile offline_access' });
    const page = await browser.go(url, {}, isCallback);
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'admin@contoso.example' });
    const done = await browser.submit(pw, formWith(pw, 'password'), { password: tenant.admin.password }, isCallback);
    const tokens = await oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(tenant.admin.id);
    const refreshed = await oidc.refreshTokenGrant(client, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(tenant.admin.id);
    const servedA = balancer.served[0]! - (before[0] ?? 0);
    const servedB = balancer.served[1]! - (before[1] ?? 0);
    expect(servedA).toBeGreaterThanOrEqual(3);
    expect(servedB).toBeGreaterThanOrEqual(3);
  });

  it('shares a key rotation at once: a token signed after rotation on one process is accepted by the other', async () => {
    const app = await a.createApp(tenant.id, { displayName: 'Reader', applicationPermissions: ['User.Read.All'] });
    // Warm both processes' caches with the old key.
    for (let i = 0; i < 2; i++) expect((await graph(a, await appToken(a, tenant, app), 'GET', '/users')).status).toBe(200);
    const kid = await rotateSigningKey(a.ctx, tenant.id, 3600);
    a.app.registry.invalidate(tenant.id);
    // Signed by A with the new key...
    const token = await (async () => {
      const res = await fetch(`http://127.0.0.1:${a.port}/${tenant.id}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: app.appId,
          client_secret: app.clientSecret!,
          scope: `${a.url}/graph/.default`,
        }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    })();
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(kid);
    // ...and accepted by B straight away.
    const res = await fetch(`http://127.0.0.1:${b.port}/graph/v1.0/users`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });
});
