/**
 * Where Foyer will fetch an external identity provider from (server-side request forgery through the
 * issuer): what an administrator may register in production and when private networks are not allowed,
 * what a guest sees when the provider is refused, and that a provider that failed is not called again for
 * a while, counted at a real listener.
 */
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { allowsPrivateProviderNetworks, PROVIDER_FAILURE_HOLD_MS } from '../../src/redemption/provider-fetch.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { HttpBrowser, visibleText } from '../support/http-browser.js';
import { TEST_MASTER_KEY } from '../support/master-key.js';
import { graph } from '../support/tokens.js';

/** A TCP listener on loopback that counts connections and answers nothing useful. */
async function countingListener(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = createTcpServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const provider = (issuer: string, domain: string) => ({
  '@odata.type': '#microsoft.graph.oidcIdentityProvider',
  displayName: 'Partner',
  issuer,
  clientId: 'foyer',
  domains: [domain],
});

describe('FOYER_IDP_ALLOW_PRIVATE_NETWORKS', () => {
  const load = (env: Record<string, string>) => loadConfig({ FOYER_MASTER_KEY: TEST_MASTER_KEY, ...env });
  const production = { FOYER_MODE: 'production', FOYER_PUBLIC_URL: 'https://foyer.example' };

  it('defaults to allowed in development and refused in production; either mode can be told otherwise', () => {
    expect(allowsPrivateProviderNetworks(load({}))).toBe(true);
    expect(allowsPrivateProviderNetworks(load(production))).toBe(false);
    expect(allowsPrivateProviderNetworks(load({ ...production, FOYER_IDP_ALLOW_PRIVATE_NETWORKS: 'TRUE' }))).toBe(true);
    expect(allowsPrivateProviderNetworks(load({ FOYER_IDP_ALLOW_PRIVATE_NETWORKS: '0' }))).toBe(false);
  });

  it('a value that is not a boolean stops start-up, naming the variable', () => {
    expect(() => load({ FOYER_IDP_ALLOW_PRIVATE_NETWORKS: 'sometimes' })).toThrow(/FOYER_IDP_ALLOW_PRIVATE_NETWORKS="sometimes"/);
  });
});

describe.each(backends)('identity provider addresses on $name', (backend) => {
  describe('in production mode', () => {
    const PUBLIC = 'https://foyer.example';
    let foyer: TestFoyer;
    let token: string;
    /** Graph through the server's own socket, as a TLS-terminating proxy for foyer.example would send it. */
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${foyer.port}/graph/v1.0${path}`, {
        method,
        headers: { host: 'foyer.example', authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    beforeAll(async () => {
      foyer = await startTestFoyer({ backend, env: { FOYER_MODE: 'production', FOYER_PUBLIC_URL: PUBLIC, FOYER_MASTER_KEY: TEST_MASTER_KEY } });
      const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
      const app = await foyer.createApp(tenant.id, { displayName: 'Admin script', applicationPermissions: ['IdentityProvider.ReadWrite.All'] });
      const res = await fetch(`http://127.0.0.1:${foyer.port}/${tenant.id}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { host: 'foyer.example' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: app.appId,
          client_secret: app.clientSecret!,
          scope: `${PUBLIC}/graph/.default`,
        }),
      });
      token = ((await res.json()) as { access_token: string }).access_token;
      expect(token).toBeTruthy();
    });
    afterAll(() => foyer?.stop());

    it('refuses http issuers, and issuers on loopback, private, link-local or metadata addresses, with a Graph 400; stores nothing', async () => {
      const cases: Array<[string, string]> = [
        ['http://127.0.0.1:9/', 'must be an https URL (production mode)'],
        ['http://idp.partner.example', 'must be an https URL (production mode)'],
        ['http://localhost:8080', 'must be an https URL (production mode)'],
        ['https://127.0.0.1:8443', 'loopback'],
        ['https://[::1]', 'loopback'],
        ['https://[::ffff:127.0.0.1]', 'loopback'],
        ['https://localhost:8443', 'loopback'],
        ['https://idp.localhost', 'loopback'],
        ['https://169.254.169.254/latest/meta-data', 'link-local'],
        ['https://[fd00:ec2::254]', 'unique local'],
        ['https://10.0.0.5', 'private'],
        ['https://0.0.0.0', 'unspecified'],
        ['https://100.64.1.1', 'carrier-grade NAT'],
      ];
      for (const [issuer, message] of cases) {
        const res = await call('POST', '/identity/identityProviders', provider(issuer, 'partner.example'));
        expect(res.status, issuer).toBe(400);
        expect(res.body.error.code).toBe('Request_BadRequest');
        expect(res.body.error.innerError.code).toBe('request.invalid_body');
        expect(res.body.error.message, issuer).toContain(message);
      }
      expect((await call('GET', '/identity/identityProviders')).body.value).toEqual([]);
      // A public https issuer is still accepted (nothing is fetched when it is added).
      const ok = await call('POST', '/identity/identityProviders', provider('https://login.partner.example', 'partner.example'));
      expect(ok.status).toBe(201);
    });
  });

  describe('in development mode with FOYER_IDP_ALLOW_PRIVATE_NETWORKS=false', () => {
    let w: GuestWorld;
    beforeAll(async () => {
      w = await startGuestWorld(backend, { env: { FOYER_IDP_ALLOW_PRIVATE_NETWORKS: 'false' } });
    });
    afterAll(() => w?.close());

    it('refuses a loopback issuer when it is added', async () => {
      const res = await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', provider('http://localhost:9', 'partner.example'));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('FOYER_IDP_ALLOW_PRIVATE_NETWORKS');
    });

    it('does not call a loopback provider stored while private networks were allowed; the guest gets the usual page', async () => {
      const l = await countingListener();
      try {
        // The operator allowed private networks when the provider was added (the command line, same database).
        const out = io({ FOYER_DATABASE_URL: w.foyer.databaseUrl, FOYER_PUBLIC_URL: w.foyer.url, FOYER_IDP_ALLOW_PRIVATE_NETWORKS: 'true' });
        const args = ['idp', 'add', '--tenant', 'contoso.example', '--name', 'Internal', '--issuer', `http://localhost:${l.port}`];
        expect(await runCli([...args, '--client-id', 'c', '--public-client', '--domain', 'internal.example', '--json'], out), out.stderr.join('\n')).toBe(0);

        const inv = await w.invite('ivy@internal.example', { sendInvitationMessage: false });
        const b = new HttpBrowser();
        const page = await b.press(await b.go(inv.redeemUrl), 'Next');
        expect(page.status).toBe(502);
        expect(visibleText(page)).toContain('Sign-in with your provider didn’t work');
        expect(l.connections()).toBe(0);
      } finally {
        await l.close();
      }
    });
  });

  describe('a provider that failed', () => {
    const clock = new ManualClock();
    let w: GuestWorld;
    let requests = 0;
    const broken = createServer((_req, res) => {
      requests++;
      res.writeHead(503).end();
    });
    beforeAll(async () => {
      w = await startGuestWorld(backend, { clock });
      await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    });
    /** A guest flow up to the point where Foyer calls the provider: the usual page when that fails. */
    const flow = async (address: string) => {
      const inv = await w.invite(address, { sendInvitationMessage: false });
      const b = new HttpBrowser();
      const page = await b.press(await b.go(inv.redeemUrl), 'Next');
      expect(page.status).toBe(502);
      expect(visibleText(page)).toContain('Sign-in with your provider didn’t work');
    };
    afterAll(async () => {
      broken.closeAllConnections();
      await new Promise((resolve) => broken.close(resolve));
      await w?.close();
    });

    it(`is not called again for ${PROVIDER_FAILURE_HOLD_MS / 1000} s: the next guest flows get the usual page without a request reaching it`, async () => {
      const port = (broken.address() as { port: number }).port;
      const created = await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', provider(`http://localhost:${port}`, 'broken.example'));
      expect(created.status).toBe(201);
      await flow('a@broken.example');
      expect(requests).toBe(1);
      await flow('b@broken.example');
      await flow('a@broken.example');
      expect(requests).toBe(1);

      clock.advance(PROVIDER_FAILURE_HOLD_MS);
      await flow('c@broken.example');
      expect(requests).toBe(2);
    });

    it('a provider whose discovery answers with a redirect is not followed there (Foyer follows no redirect from a provider)', async () => {
      const reached: string[] = [];
      const elsewhere = createServer((req, res) => {
        reached.push(req.url!);
        res.end('{}');
      });
      await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
      const target = `http://localhost:${(elsewhere.address() as { port: number }).port}/.well-known/openid-configuration`;
      const redirecting = createServer((_req, res) => res.writeHead(302, { location: target }).end());
      await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
      try {
        const issuer = `http://localhost:${(redirecting.address() as { port: number }).port}`;
        expect((await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', provider(issuer, 'moved.example'))).status).toBe(201);
        await flow('m@moved.example');
        expect(reached).toEqual([]);
      } finally {
        for (const server of [elsewhere, redirecting]) {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      }
    });
  });
});
