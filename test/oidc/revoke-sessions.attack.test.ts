/**
 * The attack of issue item 5, against a real server (`bin/foyer.js start`, set up with the `foyer`
 * command as an operator would): a person's access token, refresh token and browser session are taken
 * (a lost laptop); an administrator calls Graph's revokeSignInSessions; from then on the stolen access
 * token is refused at Graph `/me` and at userinfo, the refresh token at the token endpoint, and the
 * browser is asked to sign in again. The operator's `foyer user set-password` and `foyer user
 * revoke-sessions`, run beside the server, end a person's tokens the same way.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { freePort } from '../support/foyer.js';
import { bin, startServer } from '../support/foyer-process.js';
import { formWith, HttpBrowser, visibleText } from '../support/http-browser.js';
import { authorizationRequest } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';
const isCallback = (u: string) => u.startsWith(REDIRECT);
const PASSWORD = 'Lantern-Orbit-Cedar-9';

describe.each(backends)('revokeSignInSessions against a running server on $name', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-revoke-'));
  const databaseUrl = backend.name === 'sqlite' ? `sqlite:${join(dir, 'foyer.db')}` : backend.freshUrl();
  let server: ChildProcess | undefined;
  let url: string;
  let env: Record<string, string>;
  let tenant: { id: string };
  let portal: { appId: string; clientSecret: string };
  let client: oidc.Configuration;

  /** Runs `foyer …` as an operator would, with the server's settings; returns its JSON output. */
  async function foyer(args: string[], extraEnv: Record<string, string> = {}): Promise<any> {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, ...args, '--json'], { cwd: dir, env: { ...process.env, ...env, ...extraEnv } });
    return JSON.parse(stdout);
  }

  beforeAll(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    env = {
      FOYER_PORT: String(port),
      FOYER_PUBLIC_URL: url,
      FOYER_DATABASE_URL: databaseUrl,
      FOYER_MASTER_KEY: randomBytes(32).toString('base64url'),
      FOYER_LOG_LEVEL: 'info',
    };
    const started = await startServer(env);
    server = started.child;
    await started.waitFor('Foyer is listening');
    tenant = await foyer(['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example'], {
      FOYER_ADMIN_PASSWORD: 'Granite-Willow-Ember-2',
    });
    portal = await foyer(['app', 'create', '--tenant', 'contoso.example', '--name', 'Portal', '--redirect-uri', REDIRECT]);
    client = await oidc.discovery(new URL(`${url}/${tenant.id}/v2.0`), portal.appId, portal.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (backend.name === 'postgres') await backend.drop(databaseUrl);
    rmSync(dir, { recursive: true, force: true });
  });

  /** One browser's sign-ins to the portal: authorization code + PKCE through the real sign-in pages. */
  function portalBrowser() {
    const browser = new HttpBrowser();
    const authorize = async () => {
      const request = await authorizationRequest(client, REDIRECT, { scope: 'openid profile offline_access' });
      return { ...request, page: await browser.go(request.url, {}, isCallback) };
    };
    const signIn = async (email: string, password: string) => {
      const first = await authorize();
      const pw = await browser.submit(first.page, formWith(first.page, 'email'), { email });
      const done = await browser.submit(pw, formWith(pw, 'password'), { password }, isCallback);
      return oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: first.verifier, expectedState: first.state });
    };
    return { authorize, signIn };
  }

  const me = (token: string) => fetch(`${url}/graph/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
  const userinfo = (token: string) => fetch(`${url}/${tenant.id}/openid/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  it('a stolen access token, refresh token and browser session stop working once the sessions are revoked', async () => {
    const victim = await foyer(['user', 'create', '--tenant', 'contoso.example', '--upn', 'mia@contoso.example'], { FOYER_USER_PASSWORD: PASSWORD });
    const helpdesk = await foyer(['app', 'create', '--tenant', 'contoso.example', '--name', 'Helpdesk', '--permissions', 'User.RevokeSessions.All']);

    // The victim signs in; the thief copies the tokens and the browser.
    const browser = portalBrowser();
    const stolen = await browser.signIn('mia@contoso.example', PASSWORD);
    expect(stolen.refresh_token).toBeTruthy();
    // What the thief holds works: the token at both APIs, and the browser signs in without a password.
    expect((await me(stolen.access_token)).status).toBe(200);
    expect((await userinfo(stolen.access_token)).status).toBe(200);
    expect(isCallback((await browser.authorize()).page.url)).toBe(true);

    // The administrator's helpdesk script revokes the victim's sessions.
    const token = await oidc.clientCredentialsGrant(
      await oidc.discovery(new URL(`${url}/${tenant.id}/v2.0`), helpdesk.appId, helpdesk.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] }),
      { scope: `${url}/graph/.default` },
    );
    const revoked = await fetch(`${url}/graph/v1.0/users/${victim.id}/revokeSignInSessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ '@odata.context': `${url}/graph/v1.0/$metadata#Edm.Boolean`, value: true });

    await expectEnded(browser, stolen);
  });

  it('`foyer user set-password` and `foyer user revoke-sessions` end a person’s tokens too', async () => {
    await foyer(['user', 'create', '--tenant', 'contoso.example', '--upn', 'noor@contoso.example'], { FOYER_USER_PASSWORD: PASSWORD });
    const first = portalBrowser();
    const before = await first.signIn('noor@contoso.example', PASSWORD);
    expect((await me(before.access_token)).status).toBe(200);
    const changed = await foyer(['user', 'set-password', '--tenant', 'contoso.example', '--user', 'noor@contoso.example'], {
      FOYER_USER_PASSWORD: 'Thistle-Beacon-Drum-4',
    });
    expect(changed).toMatchObject({ userPrincipalName: 'noor@contoso.example', signInSessionsValidFromDateTime: expect.any(String) });
    await expectEnded(first, before);

    const second = portalBrowser();
    const after = await second.signIn('noor@contoso.example', 'Thistle-Beacon-Drum-4');
    expect((await me(after.access_token)).status).toBe(200);
    await foyer(['user', 'revoke-sessions', '--tenant', 'contoso.example', '--user', 'noor@contoso.example']);
    await expectEnded(second, after);
  });

  /** Everything the holder of these tokens and this browser notices once the person's sign-ins ended. */
  async function expectEnded(browser: ReturnType<typeof portalBrowser>, tokens: { access_token: string; refresh_token?: string }) {
    const graphAnswer = await me(tokens.access_token);
    expect(graphAnswer.status).toBe(401);
    expect(((await graphAnswer.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
    const infoAnswer = await userinfo(tokens.access_token);
    expect(infoAnswer.status).toBe(401);
    expect(((await infoAnswer.json()) as { error: string }).error).toBe('invalid_token');
    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await browser.authorize();
    expect(isCallback(again.page.url)).toBe(false);
    expect(visibleText(again.page)).toContain('Sign in to Contoso');
  }
});
