/**
 * Everything a sign-in must refuse, each with the right protocol error or a clear page, and no code
 * issued: wrong password, unknown account (indistinguishable), too many attempts, forged forms, unknown
 * client, unregistered redirect URI, missing PKCE, replayed code, wrong client secret, and more.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, updateUser } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import type { TestFoyer, TestTenant } from '../support/foyer.js';
import { forms, formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { isCallback, type Portal, REDIRECT, startPortal } from '../support/portal.js';
import { authorizationRequest } from '../support/tokens.js';

describe.each(backends)('sign-in refusals on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let web: Portal['web'];
  let client: oidc.Configuration;

  beforeAll(async () => {
    ({ foyer, tenant, web, client } = await startPortal(backend, { FOYER_SIGNIN_ATTEMPT_LIMIT: '3' }));
  });
  afterAll(() => foyer?.stop());

  async function authorize(browser: HttpBrowser, params: Record<string, string> = {}) {
    const { url, verifier, state } = await authorizationRequest(client, REDIRECT, params);
    return { page: await browser.go(url, {}, isCallback), verifier, state };
  }

  async function passwordPage(browser: HttpBrowser, email: string): Promise<PageResponse> {
    const { page } = await authorize(browser);
    return browser.submit(page, formWith(page, 'email'), { email });
  }

  async function codes(): Promise<number> {
    const row = await foyer.ctx.db.kysely
      .selectFrom('oidc_payloads')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('model', '=', 'AuthorizationCode')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  const WRONG = 'Your account or password is incorrect. If you don’t remember your password, ask your administrator to reset it.';

  it('refuses a wrong password on the same page, and issues no code', async () => {
    const before = await codes();
    const browser = new HttpBrowser();
    const page = await passwordPage(browser, 'admin@contoso.example');
    const refused = await browser.submit(page, formWith(page, 'password'), { password: 'not-it' }, isCallback);
    expect(refused.status).toBe(400);
    expect(visibleText(refused)).toContain(WRONG);
    expect(refused.body).toContain('role="alert"');
    expect(await codes()).toBe(before);
  });

  it('answers an unknown address exactly like a wrong password (no account enumeration)', async () => {
    const browser = new HttpBrowser();
    const page = await passwordPage(browser, 'nobody@contoso.example');
    expect(visibleText(page)).toContain('Enter the password for nobody@contoso.example');
    const refused = await browser.submit(page, formWith(page, 'password'), { password: 'guess' }, isCallback);
    expect(refused.status).toBe(400);
    expect(visibleText(refused)).toContain(WRONG);
  });

  it('refuses a disabled account like a wrong password, even with the right one', async () => {
    await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'off@contoso.example', displayName: 'Off', password: 'Right-Password-1' });
    await updateUser(foyer.ctx, tenant.id, 'off@contoso.example', { accountEnabled: false });
    const browser = new HttpBrowser();
    const page = await passwordPage(browser, 'off@contoso.example');
    const refused = await browser.submit(page, formWith(page, 'password'), { password: 'Right-Password-1' }, isCallback);
    expect(refused.status).toBe(400);
    expect(visibleText(refused)).toContain(WRONG);
  });

  it('stops checking passwords after too many failures, even the right one', async () => {
    const browser = new HttpBrowser();
    await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'target@contoso.example', displayName: 'Target', password: 'Right-Password-1' });
    let page = await passwordPage(browser, 'target@contoso.example');
    for (let i = 0; i < 3; i++) {
      page = await browser.submit(page, formWith(page, 'password'), { password: `wrong-${i}` }, isCallback);
      expect(page.status).toBe(400);
    }
    const blocked = await browser.submit(page, formWith(page, 'password'), { password: 'Right-Password-1' }, isCallback);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(visibleText(blocked)).toMatch(/You’ve tried to sign in too many times with an incorrect account or password\. Wait \d+ minutes? and try again\./);
    expect(blocked.url).not.toMatch(/callback/);
  });

  it('refuses a form without its CSRF token, or with another browser’s, and signs nobody in', async () => {
    const before = await codes();
    const browser = new HttpBrowser();
    const page = await passwordPage(browser, 'admin@contoso.example');
    const form = forms(page)[formWith(page, 'password')]!;
    const action = new URL(form.action, page.url).toString();
    const withoutToken = await browser.go(action, { form: { email: 'admin@contoso.example', password: tenant.admin.password } }, isCallback);
    expect(withoutToken.status).toBe(403);
    expect(visibleText(withoutToken)).toContain('This form has expired or was not sent from this page.');

    const attacker = new HttpBrowser();
    const attackerPage = await passwordPage(attacker, 'admin@contoso.example');
    const foreignToken = forms(attackerPage)[formWith(attackerPage, 'password')]!.fields._csrf!;
    const forged = await browser.go(action, { form: { _csrf: foreignToken, email: 'admin@contoso.example', password: tenant.admin.password } }, isCallback);
    expect(forged.status).toBe(403);
    expect(await codes()).toBe(before);
  });

  it('shows an error page, not a redirect, for an unknown client or an unregistered redirect URI', async () => {
    const browser = new HttpBrowser();
    const unknownClient = await browser.go(
      `${foyer.url}/${tenant.id}/oauth2/v2.0/authorize?client_id=00000000-0000-4000-8000-000000000000&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=abc&code_challenge_method=S256`,
    );
    expect(unknownClient.status).toBe(400);
    expect(visibleText(unknownClient)).toContain('Something went wrong');
    expect(visibleText(unknownClient)).toContain('invalid_client');

    const { page } = await authorize(browser, { redirect_uri: 'https://attacker.example/steal' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(visibleText(page)).toContain('invalid_redirect_uri');
  });

  it('refuses an authorization request without PKCE', async () => {
    const browser = new HttpBrowser();
    const url = oidc.buildAuthorizationUrl(client, { redirect_uri: REDIRECT, scope: 'openid' });
    const res = await browser.go(url.toString(), {}, isCallback);
    const back = new URL(res.url);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe('Authorization Server policy requires PKCE to be used for this request');
  });

  it('refuses a replayed code and revokes what the first exchange issued', async () => {
    const browser = new HttpBrowser();
    const { page, verifier, state } = await authorize(browser, { scope: 'openid offline_access' });
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'admin@contoso.example' });
    const done = await browser.submit(pw, formWith(pw, 'password'), { password: tenant.admin.password }, isCallback);
    const tokens = await oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    await expect(oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const res = await fetch(`${foyer.url}/${tenant.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${web.appId}:wrong`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: `${foyer.url}/graph/.default` }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('sends the person back to the app with access_denied when they cancel', async () => {
    const browser = new HttpBrowser();
    const { page } = await authorize(browser, { state: 'xyz' });
    const cancelForm = forms(page).findIndex((f) => f.action.endsWith('/cancel'));
    const back = await browser.submit(page, cancelForm, {}, isCallback);
    const url = new URL(back.url);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('xyz');
  });

  it('says the page expired when the interaction is unknown', async () => {
    const browser = new HttpBrowser();
    const res = await browser.go(`${foyer.url}/${tenant.id}/login/not-a-real-interaction`);
    expect(res.status).toBe(400);
    expect(visibleText(res)).toContain('This sign-in page has expired');
  });

  it('signs out: the browser session ends, so the next sign-in asks again', async () => {
    const browser = new HttpBrowser();
    const { page, verifier, state } = await authorize(browser);
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'admin@contoso.example' });
    const done = await browser.submit(pw, formWith(pw, 'password'), { password: tenant.admin.password }, isCallback);
    const tokens = await oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    const logout = await browser.go(`${foyer.url}/${tenant.id}/oauth2/v2.0/logout?id_token_hint=${tokens.id_token}`);
    expect(visibleText(logout)).toContain('Do you want to sign out?');
    const signedOut = await browser.submit(logout, 0, { logout: 'yes' });
    expect(visibleText(signedOut)).toContain('You signed out');
    const again = await authorize(browser);
    expect(visibleText(again.page)).toContain('Sign in to Contoso');
  });

  it('speaks Swedish to a Swedish browser', async () => {
    const browser = new HttpBrowser();
    browser.language = 'sv-SE,sv;q=0.9,en;q=0.5';
    const { page } = await authorize(browser);
    expect(page.body).toContain('<html lang="sv-SE">');
    expect(visibleText(page)).toContain('Logga in på Contoso');
    expect(page.body).toMatch(/<label for="email">E-postadress<\/label>/);
    expect(page.body).toMatch(/<button type="submit" class="primary">Nästa<\/button>/);
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'admin@contoso.example' });
    expect(pw.body).toMatch(/<button type="submit" class="primary">Logga in<\/button>/);
  });

  it('publishes its endpoints at FOYER_PUBLIC_URL whatever Host header arrives', async () => {
    const { request } = await import('node:http');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${foyer.url}/${tenant.id}/v2.0/.well-known/openid-configuration`, { headers: { host: 'evil.example' } }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    const doc = JSON.parse(body);
    expect(doc.authorization_endpoint).toBe(`${foyer.url}/${tenant.id}/oauth2/v2.0/authorize`);
    expect(doc.jwks_uri).toBe(`${foyer.url}/${tenant.id}/discovery/v2.0/keys`);
  });

  it('shows a page, not a 500, for a NUL character or broken percent-encoding in a page URL', async () => {
    const browser = new HttpBrowser();
    const nul = await browser.go(`${foyer.url}/${tenant.id}/login/abc%00def`);
    expect(nul.status).toBe(400);
    expect(visibleText(nul)).toContain('Something went wrong');
    expect(visibleText(nul)).toContain('request.malformed');
    for (const path of [`/${tenant.id}/login/%E0%A4%A`, '/%E0%A4%A/oauth2/v2.0/authorize']) {
      const res = await browser.go(`${foyer.url}${path}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('answers an unknown tenant with a page saying so', async () => {
    const res = await new HttpBrowser().go(`${foyer.url}/nowhere.example/oauth2/v2.0/authorize?client_id=x`);
    expect(res.status).toBe(404);
    expect(visibleText(res)).toContain('This organization does not exist on this Foyer instance.');
  });
});
