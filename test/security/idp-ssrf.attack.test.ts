/**
 * Attack script, against a real `foyer start` in production mode: an administrator (or whoever holds an
 * app with `IdentityProvider.ReadWrite.All`) tries to make Foyer call its own machine through an identity
 * provider's issuer, then an anonymous visitor starts a guest flow that makes Foyer fetch it. A listener on
 * 127.0.0.1 stands in for the internal service under attack; it must never see a connection.
 *
 * The server believes it is https://foyer.example; the test talks to its socket with that Host, as a
 * TLS-terminating proxy would, and keeps cookies as a browser on https would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { io } from '../support/cli-io.js';
import { freePort } from '../support/foyer.js';
import { startServer } from '../support/foyer-process.js';
import { HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { TEST_MASTER_KEY } from '../support/master-key.js';

const PUBLIC = 'https://foyer.example';

/** HttpBrowser for https://foyer.example, delivered to the server's loopback socket. */
class BehindTlsProxy extends HttpBrowser {
  constructor(private readonly local: string) {
    super();
  }
  override async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const headers: Record<string, string> = { accept: 'text/html', 'accept-language': this.language, ...init.headers, host: 'foyer.example' };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url.replace(PUBLIC, this.local), { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url, { ignoreError: true });
    return { status: res.status, url, headers: res.headers, body: await res.text() };
  }
}

async function cli(env: Record<string, string>, args: string[]): Promise<any> {
  const captured = io(env);
  if ((await runCli([...args, '--json'], captured)) !== 0) throw new Error(captured.stderr.join('\n'));
  return JSON.parse(captured.stdout.join('\n'));
}

describe('SSRF through an identity provider issuer, against a production server', () => {
  const cleanup: Array<() => unknown> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('an issuer on loopback is refused when registered, and one that names loopback through DNS or plain http is never connected to', async () => {
    // The internal service an attacker would like Foyer to talk to.
    let connections = 0;
    const internal = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => internal.close(resolve)));
    const target = (internal.address() as { port: number }).port;

    const dir = mkdtempSync(join(tmpdir(), 'foyer-ssrf-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const local = `http://127.0.0.1:${port}`;
    const env = {
      FOYER_MODE: 'production',
      FOYER_PUBLIC_URL: PUBLIC,
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_DATABASE_URL: `sqlite:${join(dir, 'foyer.db')}`,
      FOYER_MASTER_KEY: TEST_MASTER_KEY,
      FOYER_LOG_LEVEL: 'info',
    };
    const tenant = await cli({ ...env, FOYER_ADMIN_PASSWORD: 'an attack-script password 7f3a' }, [
      'tenant',
      'create',
      '--name',
      'Contoso',
      '--domain',
      'contoso.example',
      '--admin-email',
      'admin@contoso.example',
    ]);
    const app = await cli(env, ['app', 'create', '--tenant', tenant.id, '--name', 'script', '--permissions', 'IdentityProvider.ReadWrite.All,User.Invite.All']);

    const server = await startServer(env);
    cleanup.push(async () => {
      if (server.child.exitCode !== null) return;
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    });
    await server.waitFor('Foyer is listening');

    const tokenRes = await fetch(`${local}/${tenant.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { host: 'foyer.example' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.appId, client_secret: app.clientSecret, scope: `${PUBLIC}/graph/.default` }),
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    expect(token, 'app token').toBeTruthy();
    const graph = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${local}/graph/v1.0${path}`, {
        method,
        headers: { host: 'foyer.example', authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const provider = (issuer: string, domain: string) => ({
      '@odata.type': '#microsoft.graph.oidcIdentityProvider',
      displayName: 'Partner',
      issuer,
      clientId: 'foyer',
      domains: [domain],
    });

    // 1. Registering the internal service as a provider is refused, plain http or not.
    for (const issuer of [
      `http://127.0.0.1:${target}/`,
      `https://127.0.0.1:${target}/`,
      `https://localhost:${target}`,
      `https://[::ffff:127.0.0.1]:${target}`,
    ]) {
      const refused = await graph('POST', '/identity/identityProviders', provider(issuer, 'partner.example'));
      expect(refused.status, issuer).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'Request_BadRequest', innerError: { code: 'request.invalid_body' } });
    }
    expect((await graph('GET', '/identity/identityProviders')).body.value).toEqual([]);

    // 2. Providers that reached the database anyway: `https://localhost:…` stored while the operator allowed
    //    private networks (the name reaches loopback only through DNS), and a plain-http one stored by a
    //    development-mode process on the same database.
    await cli({ ...env, FOYER_IDP_ALLOW_PRIVATE_NETWORKS: 'true' }, [
      'idp',
      'add',
      '--tenant',
      tenant.id,
      '--name',
      'Through DNS',
      '--issuer',
      `https://localhost:${target}`,
      '--client-id',
      'c',
      '--public-client',
      '--domain',
      'partner.example',
    ]);
    await cli({ ...env, FOYER_MODE: 'development' }, [
      'idp',
      'add',
      '--tenant',
      tenant.id,
      '--name',
      'Plain http',
      '--issuer',
      `http://localhost:${target}`,
      '--client-id',
      'c',
      '--public-client',
      '--domain',
      'plain.example',
    ]);

    // 3. Anonymous guest flows that make the server fetch them: the usual page, no connection, the reason logged.
    for (const address of ['pat@partner.example', 'pia@plain.example']) {
      const invited = await graph('POST', '/invitations', {
        invitedUserEmailAddress: address,
        inviteRedirectUrl: 'https://apps.contoso.example/',
        sendInvitationMessage: false,
      });
      expect(invited.status).toBe(201);
      const b = new BehindTlsProxy(local);
      const page = await b.press(await b.go(invited.body.inviteRedeemUrl), 'Next');
      expect(page.status, address).toBe(502);
      expect(visibleText(page)).toContain('Sign-in with your provider didn’t work');
    }
    expect(connections).toBe(0);
    // The reasons are in the server's log (which reaches this process a moment after the page).
    expect(await server.waitFor('localhost resolves to 127.0.0.1')).toContain('external identity provider unreachable');
    expect(await server.waitFor('only https issuers are called in production mode')).toContain('external identity provider unreachable');
  });
});
