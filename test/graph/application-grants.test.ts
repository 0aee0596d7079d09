/**
 * What an app's registration decides after its tokens are issued, and what Graph SDKs send and read:
 * - a permission taken from an app stops working with the tokens it already holds within the app cache
 *   time (application permissions in `roles`, delegated ones in `scp`), and userinfo refuses the tokens
 *   of a deleted app as Graph does;
 * - `GET /applications/{id}/owners` names the app that created it (Application.ReadWrite.OwnedBy);
 * - credential dates stay within four-digit years, `web` takes the properties SDKs send back, and
 *   addPassword works with an empty body.
 * The server runs on a clock the test moves, so nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateApplication } from '../../src/directory/applications.js';
import { GRAPH_APP_CACHE_MS } from '../../src/graph/auth.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';

describe.each(backends)('application grants and Graph fidelity on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const clock = new ManualClock(Date.now());
  let admin: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const tool = await foyer.createApp(tenant.id, { displayName: 'admin tool', applicationPermissions: ['Application.ReadWrite.All'] });
    admin = await appToken(foyer, tenant, tool);
  });
  afterAll(() => foyer?.stop());

  const who = () => ({ email: 'admin@contoso.example', password: tenant.admin.password });
  const newApp = async () => {
    const res = await graph(foyer, admin, 'POST', '/applications', { displayName: 'Target' });
    expect(res.status).toBe(201);
    return res.body as { id: string; appId: string };
  };

  it('a removed application permission is refused with the token issued before, within the app cache time', async () => {
    const app = await foyer.createApp(tenant.id, { displayName: 'Provisioning', applicationPermissions: ['User.ReadWrite.All', 'Group.Read.All'] });
    const token = await appToken(foyer, tenant, app);
    expect((await graph(foyer, token, 'GET', '/users')).status).toBe(200);
    await updateApplication(foyer.ctx, tenant.id, app.id, { applicationPermissions: ['Group.Read.All'] });
    clock.advance(GRAPH_APP_CACHE_MS + 1);
    const refused = await graph(foyer, token, 'GET', '/users');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('Authorization_RequestDenied');
    // The permission it still holds keeps working with the same token.
    expect((await graph(foyer, token, 'GET', '/groups')).status).toBe(200);
  });

  it('a removed delegated permission is refused with the token issued before, within the app cache time', async () => {
    const app = await foyer.createApp(tenant.id, {
      displayName: 'Directory browser',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['User.Read', 'User.Read.All'],
    });
    const tokens = await delegatedTokens(foyer, tenant, app, REDIRECT, who(), 'openid profile User.Read.All');
    expect((await graph(foyer, tokens.access_token, 'GET', '/users')).status).toBe(200);
    await updateApplication(foyer.ctx, tenant.id, app.id, { delegatedPermissions: ['User.Read'] });
    clock.advance(GRAPH_APP_CACHE_MS + 1);
    expect((await graph(foyer, tokens.access_token, 'GET', '/users')).status).toBe(403);
    // Reading one's own profile needs no permission beyond signing in.
    expect((await graph(foyer, tokens.access_token, 'GET', '/me')).status).toBe(200);
  });

  it('userinfo refuses a token of an app deleted since, as Graph does', async () => {
    const app = await foyer.createApp(tenant.id, { displayName: 'Short-lived portal', redirectUris: [REDIRECT] });
    const tokens = await delegatedTokens(foyer, tenant, app, REDIRECT, who(), 'openid profile');
    const userinfo = () => fetch(`${foyer.url}/${tenant.id}/openid/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);
    expect((await graph(foyer, admin, 'DELETE', `/applications/${app.id}`)).status).toBe(204);
    const refused = await userinfo();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('GET /applications/{id}/owners names the app that created it with Application.ReadWrite.OwnedBy, and nothing for others', async () => {
    const owner = await foyer.createApp(tenant.id, { displayName: 'Self-service tool', applicationPermissions: ['Application.ReadWrite.OwnedBy'] });
    const ownerToken = await appToken(foyer, tenant, owner);
    const made = await graph(foyer, ownerToken, 'POST', '/applications', { displayName: 'Made by the tool' });
    expect(made.status).toBe(201);
    for (const token of [admin, ownerToken]) {
      const owners = await graph(foyer, token, 'GET', `/applications/${made.body.id}/owners`);
      expect(owners.status).toBe(200);
      expect(owners.body).toEqual({
        '@odata.context': `${foyer.url}/graph/v1.0/$metadata#directoryObjects`,
        value: [{ '@odata.type': '#microsoft.graph.servicePrincipal', id: owner.id, appId: owner.appId, displayName: 'Self-service tool' }],
      });
    }
    // Any app that registers one through Graph owns it, as in Entra; one registered from the command line has no owner.
    const byAdminTool = await newApp();
    expect((await graph(foyer, admin, 'GET', `/applications/${byAdminTool.id}/owners`)).body.value).toMatchObject([{ displayName: 'admin tool' }]);
    const other = await foyer.createApp(tenant.id, { displayName: 'Registered by an operator' });
    expect((await graph(foyer, admin, 'GET', `/applications/${other.id}/owners`)).body.value).toEqual([]);
    // An OwnedBy app sees the owners of its own apps only.
    expect((await graph(foyer, ownerToken, 'GET', `/applications/${other.id}/owners`)).status).toBe(403);
  });

  it('addPassword with an empty JSON body makes a secret with the defaults, as Graph does', async () => {
    const app = await newApp();
    for (const body of ['', undefined]) {
      const res = await fetch(`${foyer.url}/graph/v1.0/applications/${app.id}/addPassword`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body }),
      });
      expect(res.status).toBe(200);
      const added = (await res.json()) as { secretText: string; startDateTime: string; endDateTime: string };
      expect(added.secretText).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(added.endDateTime) - Date.parse(added.startDateTime)).toBe(2 * 365 * 24 * 3600 * 1000);
    }
    // A malformed body is still refused.
    expect((await graph(foyer, admin, 'POST', `/applications/${app.id}/addPassword`, '{"passwordCredential":')).status).toBe(400);
  });

  it('keeps credential dates within four-digit years: the default end stops at 9999-12-31T23:59:59Z, a later date is a 400', async () => {
    const app = await newApp();
    const late = await graph(foyer, admin, 'POST', `/applications/${app.id}/addPassword`, {
      passwordCredential: { startDateTime: '9999-06-01T00:00:00Z' },
    });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ startDateTime: '9999-06-01T00:00:00Z', endDateTime: '9999-12-31T23:59:59Z' });
    const listed = await graph(foyer, admin, 'GET', `/applications/${app.id}`);
    expect(listed.body.passwordCredentials[0].endDateTime).toBe('9999-12-31T23:59:59Z');
    for (const passwordCredential of [{ endDateTime: '9999-12-31T23:59:59-05:00' }, { startDateTime: '9999-12-31T22:00:00-05:00' }]) {
      const res = await graph(foyer, admin, 'POST', `/applications/${app.id}/addPassword`, { passwordCredential });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('9999-12-31T23:59:59Z');
    }
    expect((await graph(foyer, admin, 'GET', `/applications/${app.id}`)).body.passwordCredentials).toHaveLength(1);
  });

  it('accepts the web properties Graph SDKs send back, and refuses to switch on an implicit grant', async () => {
    const web = {
      homePageUrl: 'https://portal.example/',
      logoutUrl: null,
      redirectUris: ['https://portal.example/cb'],
      redirectUriSettings: [{ uri: 'https://portal.example/cb', index: null }],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    };
    const created = await graph(foyer, admin, 'POST', '/applications', { displayName: 'Round trip', web });
    expect(created.status).toBe(201);
    const read = await graph(foyer, admin, 'GET', `/applications/${created.body.id}`);
    expect(read.body.web).toEqual({
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: ['https://portal.example/cb'],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    });
    // What an SDK read, sent back with one change.
    const patched = await graph(foyer, admin, 'PATCH', `/applications/${created.body.id}`, {
      web: { ...read.body.web, redirectUris: ['https://portal.example/v2/cb'] },
    });
    expect(patched.status).toBe(204);
    expect((await graph(foyer, admin, 'GET', `/applications/${created.body.id}`)).body.web.redirectUris).toEqual(['https://portal.example/v2/cb']);
    const implicit = await graph(foyer, admin, 'PATCH', `/applications/${created.body.id}`, {
      web: { implicitGrantSettings: { enableIdTokenIssuance: true } },
    });
    expect(implicit.status).toBe(400);
    expect(implicit.body.error.message).toContain('no implicit grant');
  });
});
