/**
 * A member signs in to their tenant's app through the real sign-in pages, with a real OpenID Connect
 * client (openid-client): authorization code + PKCE, ID token validated against the JWKS, refresh,
 * userinfo; and an app lists users through the Graph API with a client-credentials token.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import type { TestFoyer, TestTenant } from '../support/foyer.js';
import { formWith, HttpBrowser, visibleText } from '../support/http-browser.js';
import { isCallback, type Portal, REDIRECT, startPortal } from '../support/portal.js';
import { appToken, authorizationRequest, graph } from '../support/tokens.js';

describe.each(backends)('member sign-in on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let web: Portal['web'];
  let client: oidc.Configuration;

  beforeAll(async () => {
    ({ foyer, tenant, web, client } = await startPortal(backend));
  });
  afterAll(() => foyer?.stop());

  async function startSignIn(browser: HttpBrowser, extra: Record<string, string> = {}) {
    const { url, verifier, state } = await authorizationRequest(client, REDIRECT, { scope: 'openid profile email offline_access', ...extra });
    return { page: await browser.go(url, {}, isCallback), verifier, state };
  }

  async function signIn(browser: HttpBrowser, email: string, password: string) {
    const { page, verifier, state } = await startSignIn(browser);
    expect(visibleText(page)).toContain('Sign in to Contoso');
    const passwordPage = await browser.submit(page, formWith(page, 'email'), { email });
    expect(visibleText(passwordPage)).toContain(`Enter the password for ${email}`);
    const done = await browser.submit(passwordPage, formWith(passwordPage, 'password'), { password }, isCallback);
    return { done, verifier, state };
  }

  it('completes authorization code + PKCE, validates the ID token, refreshes, and reads userinfo', async () => {
    const browser = new HttpBrowser();
    const { done, verifier, state } = await signIn(browser, 'admin@contoso.example', tenant.admin.password);
    expect(done.url).toMatch(/^http:\/\/localhost:3999\/callback\?code=/);

    const tokens = await oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(tenant.issuer);
    expect(claims.aud).toBe(web.appId);
    expect(claims).toMatchObject({
      tid: tenant.id,
      oid: tenant.admin.id,
      sub: tenant.admin.id,
      acct: 0,
      idp: tenant.issuer,
      amr: ['pwd'],
      preferred_username: 'admin@contoso.example',
      email: 'admin@contoso.example',
    });
    expect(tokens.refresh_token).toBeTruthy();

    // The access token is a Graph token: it reads the signed-in person's own profile.
    const me = await graph(foyer, tokens.access_token, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.userPrincipalName).toBe('admin@contoso.example');

    const info = await oidc.fetchUserInfo(client, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: tenant.admin.id, email: 'admin@contoso.example', name: 'admin' });

    const refreshed = await oidc.refreshTokenGrant(client, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(tenant.admin.id);
    // Refresh tokens rotate: the old one is spent.
    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('signs the same browser in again without a password (single sign-on)', async () => {
    const browser = new HttpBrowser();
    await signIn(browser, 'admin@contoso.example', tenant.admin.password);
    const again = await startSignIn(browser);
    expect(again.page.url).toMatch(/^http:\/\/localhost:3999\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(client, new URL(again.page.url), { pkceCodeVerifier: again.verifier, expectedState: again.state });
    expect(tokens.claims()?.sub).toBe(tenant.admin.id);
  });

  it('asks for the password again when the app says prompt=login', async () => {
    const browser = new HttpBrowser();
    await signIn(browser, 'admin@contoso.example', tenant.admin.password);
    const again = await startSignIn(browser, { prompt: 'login' });
    expect(visibleText(again.page)).toContain('Sign in to Contoso');
  });

  it('shows the organization’s branding and privacy statement on its sign-in page', async () => {
    const admin = await foyer.createApp(tenant.id, { displayName: 'Branding', applicationPermissions: ['Organization.ReadWrite.All'] });
    const token = await appToken(foyer, tenant, admin);
    const branding = {
      backgroundColor: '#1f4e79',
      signInPageText: 'Contoso partners only <b>please</b>',
      bannerLogoUrl: 'https://cdn.contoso.example/logo.png',
    };
    expect((await graph(foyer, token, 'PATCH', `/organization/${tenant.id}/branding`, branding)).status).toBe(204);
    expect(
      (await graph(foyer, token, 'PATCH', `/organization/${tenant.id}`, { privacyProfile: { statementUrl: 'https://contoso.example/privacy' } })).status,
    ).toBe(204);
    const { page } = await startSignIn(new HttpBrowser());
    expect(page.body).toContain('<img src="https://cdn.contoso.example/logo.png" alt="">');
    expect(page.body).toContain('body { background: #1f4e79; }');
    expect(page.body).toContain('Contoso partners only &lt;b&gt;please&lt;/b&gt;');
    expect(page.body).toContain('<a href="https://contoso.example/privacy">Privacy statement</a>');
  });

  it('lists users through the Graph API with a client-credentials token', async () => {
    const script = await foyer.createApp(tenant.id, { displayName: 'Directory sync', applicationPermissions: ['User.Read.All'] });
    const token = await appToken(foyer, tenant, script);
    const users = await graph(foyer, token, 'GET', '/users?$select=displayName,userPrincipalName,userType');
    expect(users.status).toBe(200);
    expect(users.body.value).toEqual([{ id: tenant.admin.id, displayName: 'admin', userPrincipalName: 'admin@contoso.example', userType: 'Member' }]);
  });
});
