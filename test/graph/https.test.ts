/**
 * Foyer serving https itself (FOYER_TLS_CERT, FOYER_TLS_KEY) with a certificate from `foyer dev
 * certificate`, on both backends: a client that trusts the local CA gets tokens whose issuer is https, and
 * Microsoft's classic Graph client, in a Node.js process that trusts the CA through NODE_EXTRA_CA_CERTS as
 * the command tells, attaches its token itself and follows `@odata.nextLink` with its PageIterator. Over
 * plain http the same client sends no token (it attaches tokens only to https hosts), so Foyer answers 401:
 * the reason https matters in development. Also the start-up errors and warnings of a TLS setting.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { loadTlsCredentials } from '../../src/platform/tls.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { EMPTY_CONFIG } from '../support/config-file.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';

const USERS = 150;
const PAGE = 40;

const dir = mkdtempSync(join(tmpdir(), 'foyer-https-'));
const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };

beforeAll(async () => {
  const out = io({});
  expect(await runCli(['dev', 'certificate', '--dir', dir], out)).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An https request that trusts the local CA (as a client configured with it would), answering parsed JSON. */
function httpsJson(agent: Agent, url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }>((done, fail) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // a page, not JSON
        }
        done({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

/**
 * The start of a script as a developer would write it against graph.microsoft.com: a client-credentials
 * token, then the classic client (no header in fetchOptions: the SDK attaches the token to the hosts it is
 * told are Graph), counting the requests it attaches the token to.
 */
const sdkClientSetup = `
import { Client, PageIterator } from '@microsoft/microsoft-graph-client';
const { FOYER_URL: url, TENANT: tenant, CLIENT_ID, CLIENT_SECRET } = process.env;
const tokenResponse = await fetch(url + '/' + tenant + '/oauth2/v2.0/token', {
  method: 'POST',
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: url + '/graph/.default' }),
});
const { access_token: token } = await tokenResponse.json();
let tokensAttached = 0;
const client = Client.init({
  baseUrl: url + '/graph/',
  defaultVersion: 'v1.0',
  customHosts: new Set([new URL(url).hostname]),
  authProvider: (done) => { tokensAttached++; done(null, token); },
});
`;

/** The classic client's PageIterator over every user. It trusts nothing but what NODE_EXTRA_CA_CERTS adds. */
const sdkScript = `${sdkClientSetup}
const first = await client.api('/users').top(${PAGE}).select('id,userPrincipalName').get();
const seen = [];
const iterator = new PageIterator(client, first, (user) => { seen.push(user.userPrincipalName); return true; });
await iterator.iterate();
console.log(JSON.stringify({ tokenStatus: tokenResponse.status, firstPage: first.value.length, firstNextLink: first['@odata.nextLink'], seen, tokensAttached }));
`;

describe.each(backends)('https with a local CA on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let app: { appId: string; clientSecret?: string };
  let agent: Agent;

  const token = async () => {
    const res = await httpsJson(agent, `${foyer.url}/${tenant.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.appId,
        client_secret: app.clientSecret!,
        scope: `${foyer.url}/graph/.default`,
      }).toString(),
    });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  beforeAll(async () => {
    agent = new Agent({ ca: readFileSync(files.ca), keepAlive: true });
    foyer = await startTestFoyer({ backend, tls: { cert: files.cert, key: files.key } });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    app = await foyer.createApp(tenant.id, { displayName: 'Directory script', applicationPermissions: ['User.ReadWrite.All'] });
    const bearer = await token();
    for (let start = 0; start < USERS; start += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, USERS - start) }, async (_, i) => {
          const n = String(start + i).padStart(3, '0');
          const res = await httpsJson(agent, `${foyer.url}/graph/v1.0/users`, {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              accountEnabled: true,
              displayName: `Paged ${n}`,
              mailNickname: `paged${n}`,
              userPrincipalName: `paged${n}@contoso.example`,
              passwordProfile: { password: 'Long-Enough-Passphrase-1' },
            }),
          });
          expect(res.status).toBe(201);
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    agent?.destroy();
    await foyer?.stop();
  });

  it('serves https at an https public URL, and a client that does not trust the local CA is refused', async () => {
    expect(foyer.url).toBe(`https://localhost:${foyer.port}`);
    const refused = await fetch(`${foyer.url}/healthz`).then(
      () => undefined,
      (err: Error & { cause?: { code?: string } }) => err.cause?.code,
    );
    expect(refused).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    const trusted = await httpsJson(agent, `https://127.0.0.1:${foyer.port}/healthz`);
    expect(trusted).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers a token request over https, with an https issuer and Graph audience', async () => {
    const discovery = await httpsJson(agent, `${foyer.url}/${tenant.id}/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.body.issuer).toBe(`https://localhost:${foyer.port}/${tenant.id}/v2.0`);
    expect(discovery.body.token_endpoint).toBe(`https://localhost:${foyer.port}/${tenant.id}/oauth2/v2.0/token`);
    const claims = JSON.parse(Buffer.from((await token()).split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: discovery.body.issuer, aud: `${foyer.url}/graph` });
  });

  it("walks every user with the classic SDK's PageIterator over https, the SDK attaching the token itself", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', sdkScript], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: files.ca,
        FOYER_URL: foyer.url,
        TENANT: tenant.id,
        CLIENT_ID: app.appId,
        CLIENT_SECRET: app.clientSecret,
      },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result.tokenStatus).toBe(200);
    expect(result.firstPage).toBe(PAGE);
    expect(result.firstNextLink).toMatch(new RegExp(`^https://localhost:${foyer.port}/graph/v1\\.0/users\\?`));
    const expected = [tenant.admin.userPrincipalName, ...Array.from({ length: USERS }, (_, i) => `paged${String(i).padStart(3, '0')}@contoso.example`)];
    // Every user once: the administrator and the 150, over ceil(151 / 40) = 4 requests, each with the token.
    expect(result.seen).toHaveLength(expected.length);
    expect([...result.seen].sort()).toEqual([...expected].sort());
    expect(result.tokensAttached).toBe(Math.ceil(expected.length / PAGE));
  }, 90_000);

  it('marks cookies Secure under https, also in development mode', async () => {
    const redirectUri = 'https://app.contoso.example/callback';
    const web = await foyer.createApp(tenant.id, { displayName: 'Web app', redirectUris: [redirectUri], delegatedPermissions: ['User.Read'] });
    const params = new URLSearchParams({ client_id: web.appId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 's', nonce: 'n' });
    params.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    params.set('code_challenge_method', 'S256');
    const res = await httpsJson(agent, `${foyer.url}/${tenant.id}/oauth2/v2.0/authorize?${params}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    const cookies = [res.headers['set-cookie'] ?? []].flat();
    expect(cookies.length).toBeGreaterThan(0);
    // The OpenID provider's interaction cookies: Secure, because Foyer tells it the public URL's scheme.
    for (const cookie of cookies) expect(cookie).toMatch(/;\s*secure/i);
    // Foyer's own on the sign-in page it leads to (the form's CSRF cookie): Secure and bound to this origin.
    const page = await httpsJson(agent, `${foyer.url}${res.headers.location}`, {
      headers: { accept: 'text/html', cookie: cookies.map((c) => c.split(';')[0]).join('; ') },
    });
    expect(page.status).toBe(200);
    const own = [page.headers['set-cookie'] ?? []].flat();
    expect(own.length).toBeGreaterThan(0);
    for (const cookie of own) expect(cookie).toMatch(/^__Host-[^=]+=.*;\s*Secure/i);
  });
});

/** The same classic client, told the same custom host, against Foyer over plain http. */
const httpSdkScript = `${sdkClientSetup}
let status = 200;
try { await client.api('/users').top(5).get(); } catch (err) { status = err.statusCode; }
console.log(JSON.stringify({ tokenStatus: tokenResponse.status, status, tokensAttached }));
`;

describe('the classic Graph client over plain http', () => {
  let foyer: TestFoyer;
  afterAll(async () => {
    await foyer?.stop();
  });

  it('sends no token to an http host, so Foyer answers 401 where the same script over https walks every user', async () => {
    foyer = await startTestFoyer({ backend: backends.find((b) => b.name === 'sqlite')! });
    expect(foyer.url).toMatch(/^http:\/\//);
    const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'Directory script', applicationPermissions: ['User.ReadWrite.All'] });
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', httpSdkScript], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { PATH: process.env.PATH, FOYER_URL: foyer.url, TENANT: tenant.id, CLIENT_ID: app.appId, CLIENT_SECRET: app.clientSecret },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result).toEqual({ tokenStatus: 200, status: 401, tokensAttached: 0 });
  }, 90_000);
});

describe('FOYER_TLS_CERT and FOYER_TLS_KEY', () => {
  const env = (extra: Record<string, string>) => ({ FOYER_CONFIG: EMPTY_CONFIG, FOYER_PORT: '8443', ...extra });

  it('make https the public URL by default', () => {
    expect(loadConfig(env({ FOYER_TLS_CERT: files.cert, FOYER_TLS_KEY: files.key })).publicUrl).toBe('https://localhost:8443');
    expect(loadConfig(env({})).publicUrl).toBe('http://localhost:8443');
  });

  it('are set together or not at all', () => {
    expect(() => loadConfig(env({ FOYER_TLS_CERT: files.cert }))).toThrow('FOYER_TLS_CERT is set without FOYER_TLS_KEY: set both (https) or neither (http)');
    expect(() => loadConfig(env({ FOYER_TLS_KEY: files.key }))).toThrow('FOYER_TLS_KEY is set without FOYER_TLS_CERT');
  });

  it('refuse an http public URL: issuers, links and cookies must name the scheme Foyer answers on', () => {
    expect(() => loadConfig(env({ FOYER_TLS_CERT: files.cert, FOYER_TLS_KEY: files.key, FOYER_PUBLIC_URL: 'http://localhost:8443' }))).toThrow(
      'FOYER_PUBLIC_URL must be https when FOYER_TLS_CERT is set',
    );
  });

  it("warn at start when the certificate is not for the public URL's host or has expired", () => {
    const credentials = (publicUrl: string, now = Date.now()) => loadTlsCredentials({ tlsCert: files.cert, tlsKey: files.key, publicUrl }, now)?.warnings;
    expect(credentials('https://localhost:8443')).toEqual([]);
    expect(credentials('https://[::1]:8443')).toEqual([]);
    expect(credentials('https://id.contoso.example')).toEqual([expect.stringContaining('is not for id.contoso.example, the host of the public URL')]);
    expect(credentials('https://127.0.0.1:8443', Date.now() + 400 * 24 * 3600 * 1000)).toEqual([
      expect.stringMatching(/^the certificate in FOYER_TLS_CERT expired on /),
    ]);
  });

  it('warn at start when the key file is readable by other users of the machine', () => {
    const key = join(dir, 'shared-key.pem');
    copyFileSync(files.key, key);
    const warnings = () => loadTlsCredentials({ tlsCert: files.cert, tlsKey: key, publicUrl: 'https://localhost:8443' })?.warnings;
    for (const mode of [0o640, 0o604, 0o644]) {
      chmodSync(key, mode);
      expect(warnings()).toEqual([
        `FOYER_TLS_KEY=${key} is readable by other users of this machine (mode ${mode.toString(8).padStart(4, '0')}): make it private with: chmod 600 ${key}`,
      ]);
    }
    chmodSync(key, 0o600);
    expect(warnings()).toEqual([]);
  });

  it.each([
    [
      'a missing certificate',
      { FOYER_TLS_CERT: join(dir, 'nowhere.pem'), FOYER_TLS_KEY: files.key },
      `FOYER_TLS_CERT=${join(dir, 'nowhere.pem')}: cannot read it (no such file)`,
    ],
    ['a key that is no key', { FOYER_TLS_CERT: files.cert, FOYER_TLS_KEY: files.cert }, `FOYER_TLS_KEY=${files.cert}: not a PEM private key`],
    [
      'the CA key for the server certificate',
      { FOYER_TLS_CERT: files.cert, FOYER_TLS_KEY: join(dir, 'ca-key.pem') },
      `FOYER_TLS_KEY=${join(dir, 'ca-key.pem')} is not the key of the certificate in FOYER_TLS_CERT=${files.cert}`,
    ],
  ])('stop `foyer start` with a configuration error naming the setting: %s', async (_case, tls, message) => {
    const out = io({ FOYER_DATABASE_URL: `sqlite:${join(dir, 'never-created.db')}`, ...tls });
    expect(await runCli(['start'], out)).toBe(2);
    const stderr = out.stderr.join('\n');
    expect(stderr).toContain(`configuration error: ${message}`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
