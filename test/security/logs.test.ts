/**
 * Secrets stay out of the log. A Foyer whose own logger writes at level `trace` into memory goes through
 * a whole guest redemption (invitation e-mail with its ticket link and block link, passcode, consent,
 * back to the app), a member's sign-in, authorization code + PKCE token exchanges with a client secret,
 * refreshes, userinfo, Graph calls and a sign-out with `id_token_hint`. Every secret the test saw on the
 * way is then looked for in the log text: none may be there, while the request lines are.
 *
 * Logging does not depend on the storage backend, so this runs on SQLite only.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../../src/directory/applications.js';
import { createTenant } from '../../src/directory/tenants.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { createLogger, withRedaction } from '../../src/platform/log.js';
import { redactUrl } from '../../src/platform/log-redaction.js';
import { type RunningFoyer, startFoyer } from '../../src/server.js';
import { backends } from '../support/backends.js';
import { freePort } from '../support/foyer.js';
import { linkIn, waitForMail } from '../support/guests.js';
import { forms, formWith, HttpBrowser, type PageResponse } from '../support/http-browser.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { authorizationRequest } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';
const WELCOME = 'http://localhost:3999/welcome';
const ADMIN_PASSWORD = 'Correct-Horse-9-Staple';

describe('the log at level trace', () => {
  const backend = backends.find((b) => b.name === 'sqlite')!;
  const log: string[] = [];
  /** Every secret the test handled, by what it is. */
  const secrets = new Map<string, string>();
  let smtp: TestSmtp;
  let foyer: RunningFoyer;
  let url: string;
  let databaseUrl: string;
  let tenantId: string;
  let issuer: string;
  let admin: { appId: string; clientSecret: string };
  let portal: { appId: string; clientSecret: string };
  let client: oidc.Configuration;

  const keep = (what: string, value: string | undefined | null) => {
    // Short values (a flag, a counter) would be found by accident; every secret here is longer.
    if (value && value.length >= 8) secrets.set(`${what} #${secrets.size}`, value);
  };
  async function keepCookies(b: HttpBrowser) {
    for (const c of await b.jar.getCookies(url)) {
      keep(`cookie ${c.key}`, c.value);
      keep(`cookie ${c.key} (decoded)`, decodeURIComponent(c.value));
    }
  }
  function keepForms(page: PageResponse) {
    for (const f of forms(page)) keep('CSRF token', f.fields._csrf);
  }
  function keepTokens(what: string, t: oidc.TokenEndpointResponse) {
    keep(`${what} access token`, t.access_token);
    keep(`${what} refresh token`, t.refresh_token);
    keep(`${what} ID token`, t.id_token);
  }
  const isCallback = (u: string) => u.startsWith(REDIRECT);

  beforeAll(async () => {
    smtp = await startSmtp();
    const port = await freePort();
    databaseUrl = backend.freshUrl();
    url = `http://localhost:${port}`;
    const config = loadConfig({
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_PUBLIC_URL: url,
      FOYER_DATABASE_URL: databaseUrl,
      FOYER_LOG_LEVEL: 'trace',
      FOYER_SMTP_URL: smtp.url,
      FOYER_MAIL_POLL_INTERVAL: '0.1',
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log.push(chunk.toString());
        done();
      },
    });
    // Foyer's own logger, as `foyer start` builds it, writing here instead of standard output.
    foyer = await startFoyer(config, { logDestination: sink });
    const created = await createTenant(foyer.ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'admin@contoso.example',
      adminPassword: ADMIN_PASSWORD,
    });
    tenantId = created.tenant.id;
    issuer = `${url}/${tenantId}/v2.0`;
    keep('administrator password', ADMIN_PASSWORD);
    const script = await createApplication(foyer.ctx, tenantId, { displayName: 'Admin script', applicationPermissions: ['User.Invite.All'] });
    admin = { appId: script.application.appId, clientSecret: script.clientSecret! };
    const web = await createApplication(foyer.ctx, tenantId, { displayName: 'Portal', redirectUris: [REDIRECT] });
    portal = { appId: web.application.appId, clientSecret: web.clientSecret! };
    keep('admin script client secret', admin.clientSecret);
    keep('portal client secret', portal.clientSecret);
    client = await oidc.discovery(new URL(issuer), portal.appId, portal.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await foyer?.close();
    await smtp?.close();
    if (databaseUrl) await backend.drop(databaseUrl);
  });

  /** Code + PKCE from the browser's current sign-in to the app's callback, redeemed with the client secret, then refreshed. */
  async function exchange(what: string, callback: string, request: { verifier: string; state: string }) {
    const back = new URL(callback);
    keep(`${what} authorization code`, back.searchParams.get('code'));
    const tokens = await oidc.authorizationCodeGrant(client, back, { pkceCodeVerifier: request.verifier, expectedState: request.state });
    keepTokens(what, tokens);
    const info = await oidc.fetchUserInfo(client, tokens.access_token, tokens.claims()!.sub);
    expect(info.sub).toBe(tokens.claims()!.sub);
    const refreshed = await oidc.refreshTokenGrant(client, tokens.refresh_token!);
    keepTokens(`${what} refreshed`, refreshed);
    const me = await fetch(`${url}/graph/v1.0/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    expect(me.status).toBe(200);
    return refreshed;
  }
  async function startSignIn(b: HttpBrowser, what: string) {
    const request = await authorizationRequest(client, REDIRECT, { scope: 'openid profile email offline_access' });
    keep(`${what} state`, request.state);
    keep(`${what} code verifier`, request.verifier);
    return { request, page: await b.go(request.url, {}, isCallback) };
  }

  it('holds none of the secrets of a redemption, a sign-in and token exchanges, and does hold the requests', async () => {
    // An administrator's script gets a token and invites a guest.
    const tokenResponse = await fetch(`${issuer.replace(/\/v2\.0$/, '')}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: admin.appId,
        client_secret: admin.clientSecret,
        scope: `${url}/graph/.default`,
      }),
    });
    const appToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
    keep('app token', appToken);
    const before = smtp.messages.length;
    const invited = await fetch(`${url}/graph/v1.0/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ invitedUserEmailAddress: 'guest@outlook.example', inviteRedirectUrl: WELCOME, sendInvitationMessage: true }),
    });
    expect(invited.status).toBe(201);

    // The e-mail: its redemption link (ticket) and its block link (signature).
    const mail = await waitForMail(smtp, 'guest@outlook.example', before);
    const redeemUrl = linkIn(mail);
    keep('redemption ticket', new URL(redeemUrl).searchParams.get('ticket'));
    const blockUrl = /(http:\/\/localhost:\d+\/invitations\/block\?[^\s"<>]+)/.exec(mail.text ?? '')?.[1];
    expect(blockUrl).toBeDefined();
    keep('block link signature', new URL(blockUrl!).searchParams.get('sig'));

    const guest = new HttpBrowser();
    const blockPage = await guest.go(blockUrl!);
    expect(blockPage.status).toBe(200);
    keepForms(blockPage);

    // Redemption: the link, a passcode to the address, consent, back to the app.
    const landing = await guest.go(redeemUrl);
    keepForms(landing);
    const verify = await guest.press(landing, 'Next');
    keepForms(verify);
    const sentBefore = smtp.messages.length;
    const sent = await guest.press(verify, 'Send code');
    keepForms(sent);
    const codeMail = await waitForMail(smtp, 'guest@outlook.example', sentBefore);
    const passcode = /\b(\d{8})\b/.exec(codeMail.text ?? '')?.[1];
    expect(passcode).toBeDefined();
    keep('passcode', passcode);
    const consent = await guest.submit(sent, formWith(sent, 'code'), { code: passcode! });
    keepForms(consent);
    const welcome = await guest.press(consent, 'Accept', {}, (u) => u.startsWith(WELCOME));
    expect(welcome.url.startsWith(WELCOME)).toBe(true);
    await keepCookies(guest);

    // The guest signs in to the app (single sign-on), which redeems the code and refreshes.
    const guestSignIn = await startSignIn(guest, 'guest');
    expect(isCallback(guestSignIn.page.url)).toBe(true);
    await exchange('guest', guestSignIn.page.url, guestSignIn.request);

    // A member signs in with a password; the app redeems the code, refreshes, and later signs out.
    const member = new HttpBrowser();
    const signIn = await startSignIn(member, 'member');
    keepForms(signIn.page);
    const passwordPage = await member.submit(signIn.page, formWith(signIn.page, 'email'), { email: 'admin@contoso.example' });
    keepForms(passwordPage);
    const done = await member.submit(passwordPage, formWith(passwordPage, 'password'), { password: ADMIN_PASSWORD }, isCallback);
    expect(isCallback(done.url)).toBe(true);
    await keepCookies(member);
    const memberTokens = await exchange('member', done.url, signIn.request);
    const logout = new URL(client.serverMetadata().end_session_endpoint!);
    logout.searchParams.set('id_token_hint', memberTokens.id_token!);
    keep('ID token hint', memberTokens.id_token);
    const signOut = await member.go(logout.toString());
    expect(signOut.status).toBeLessThan(500);
    await keepCookies(member);

    // A form posted without its CSRF token, to a URL carrying a ticket: the refusal is logged with its path.
    const refused = await new HttpBrowser().request(`${url}/redeem?ticket=${'t'.repeat(12)}Leaked`, { method: 'POST', form: { a: 'b' } });
    expect(refused.status).toBe(403);
    keep('ticket of a refused form', `${'t'.repeat(12)}Leaked`);

    await new Promise((r) => setTimeout(r, 200)); // the last response lines
    const text = log.join('');
    // The log is there and shows the requests; the secrets are not in it; their parameters are, by name.
    expect(text.length).toBeGreaterThan(0);
    expect(text).toContain('"msg":"incoming request"');
    expect(text).toContain('"msg":"request completed"');
    expect(text).toMatch(/"url":"\/[^"]+\/oauth2\/v2\.0\/token"/);
    expect(text).toContain('form refused: CSRF token missing or invalid');

    expect(secrets.size).toBeGreaterThan(20);
    const leaked = [...secrets].filter(([, value]) => text.includes(value)).map(([what]) => what);
    expect(leaked).toEqual([]);
    expect(text).toMatch(/"url":"\/redeem\?tenant=[^"&]+&user=[^"&]+&ticket=\[redacted\]/);
    expect(text).toContain('&sig=[redacted]');
    expect(text).toMatch(/"url":"\/[^"]+\/oauth2\/v2\.0\/authorize\?[^"]*state=\[redacted\]/);
    expect(text).toContain('id_token_hint=[redacted]');
  });

  /** Writes `request` as it is on a fresh connection and returns the status line Node.js answered with. */
  function rawRequest(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString('latin1');
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
      socket.end(request);
    });
  }

  it('holds no part of a request Node.js refused before Foyer saw it (header overflow, malformed header)', async () => {
    const ticket = 'TICKET-SECRET-123456';
    const session = 'SESSION-SECRET-abcdef';
    const bearer = 'BEARER-SECRET-ghijkl';
    const start = log.length;
    const overflow = await rawRequest(
      `GET /redeem?tenant=t&user=u&ticket=${ticket} HTTP/1.1\r\nHost: localhost\r\n` +
        `Cookie: foyer_session=${session}; pad=${'x'.repeat(17000)}\r\nAuthorization: Bearer ${bearer}\r\n\r\n`,
    );
    expect(overflow).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    const malformed = await rawRequest(
      `GET /redeem?tenant=t&user=u&ticket=${ticket} HTTP/1.1\r\nHost: localhost\r\nCookie: foyer_session=${session}\r\n` +
        `Authorization: Bearer ${bearer}\r\nBad Header: y\r\n\r\n`,
    );
    expect(malformed).toBe('HTTP/1.1 400 Bad Request');
    await new Promise((r) => setTimeout(r, 100));
    const text = log.slice(start).join('');
    expect(text).toContain('"msg":"client header_overflow"');
    expect(text).toContain('"msg":"client error"');
    // What is kept of them: their size, and the request line (of the one whose first packet held it) without the ticket.
    expect(text).toMatch(/"rawPacket":"\[redacted: \d+ bytes\]"/);
    expect(text).toContain('"requestLine":"GET /redeem?tenant=t&user=u&ticket=[redacted] HTTP/1.1"');
    // Neither as text nor as the bytes of a Buffer written out (`"data":[84,73,…]`).
    for (const secret of [ticket, session, bearer]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain([...Buffer.from(secret)].join(','));
    }
    expect(text).not.toContain('"type":"Buffer"');
  });
});

describe('what a log line keeps of a request', () => {
  function lines(write: (log: Logger) => void, handed = false): string {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString());
        done();
      },
    });
    write(handed ? withRedaction(pino({ level: 'trace' }, sink)) : createLogger({ logLevel: 'trace' }, sink));
    return out.join('');
  }

  it('keeps every parameter name and the values that are not secrets, whatever the spelling of the name', () => {
    expect(redactUrl('/redeem?tenant=t1&user=u1&ticket=abc&ver=2.0')).toBe('/redeem?tenant=t1&user=u1&ticket=[redacted]&ver=2.0');
    expect(redactUrl('/cb?Code=abc&STATE=def&%74icket=ghi&login_hint=a%40b.example')).toBe(
      '/cb?Code=[redacted]&STATE=[redacted]&%74icket=[redacted]&login_hint=a%40b.example',
    );
    expect(redactUrl('/invitations/block?tenant=t&address=a%40b.example&sig=xyz')).toBe('/invitations/block?tenant=t&address=a%40b.example&sig=[redacted]');
    expect(redactUrl('/graph/v1.0/users?$top=5')).toBe('/graph/v1.0/users?$top=5');
  });

  it('blanks secrets in headers, in fields and in message texts, also through a logger Foyer was handed', () => {
    for (const handed of [false, true]) {
      const text = lines((log) => {
        log.info({ req: { method: 'GET', url: '/x?ticket=Secret-1', headers: { authorization: 'Bearer Secret-2' } } }, 'incoming request');
        log.info({ headers: { cookie: 'foyer_session=Secret-3', 'set-cookie': ['a=Secret-4'] }, body: { password: 'Secret-5' } }, 'fields');
        log.error({ err: new Error('GET /guest/callback?code=Secret-6&state=Secret-7 failed') }, 'failed');
        // An identity provider's answer carried by a library's error.
        const carried = { cause: { body: { access_token: 'Secret-8', id_token: 'Secret-9' } }, request: { headers: { authorization: 'Basic Secret-0' } } };
        log.warn({ err: Object.assign(new Error('token request failed'), carried) }, 'external sign-in failed');
      }, handed);
      expect(text).toContain('"url":"/x?ticket=[redacted]"');
      expect(text).toContain('code=[redacted]&state=[redacted]');
      expect(text.match(/Secret-\d/g) ?? []).toEqual([]);
    }
  });

  it('scrubs the finished line of a logger Foyer was handed as it does its own', () => {
    for (const handed of [false, true]) {
      const text = lines((log) => {
        log.info(`redirecting to /cb?code=Secret-1&state=Secret-2`);
        log.info({ target: 'https://app.example/cb?code=Secret-3' }, 'redirect with %s', 'Bearer Secret-4');
        log.child({ reqId: 'req-1' }).warn('sent /redeem?ticket=Secret-5 again');
      }, handed);
      expect(text).toContain('/cb?code=[redacted]&state=[redacted]');
      expect(text).toContain('"reqId":"req-1"');
      expect(text.match(/Secret-\d/g) ?? []).toEqual([]);
    }
  });

  it('writes no bytes: a refused request keeps its request line without secrets, any other binary its size', () => {
    const packet = Buffer.from(
      'GET /redeem?tenant=t&user=u&ticket=Secret-1 HTTP/1.1\r\nHost: localhost\r\nCookie: foyer_session=Secret-2\r\nAuthorization: Bearer Secret-3\r\n\r\n',
    );
    // A later chunk of a request: it has no request line, so nothing of it is kept.
    const chunk = Buffer.from('xxxxxxxx\r\nAuthorization: Bearer Secret-4\r\n\r\n');
    for (const handed of [false, true]) {
      const text = lines((log) => {
        const refused = Object.assign(new Error('Parse Error: Header overflow'), { code: 'HPE_HEADER_OVERFLOW', rawPacket: packet });
        log.trace({ err: refused }, 'client header_overflow');
        log.trace({ err: Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_HEADER_TOKEN', rawPacket: chunk }) }, 'client error');
        const carried = { response: { body: new Uint8Array(Buffer.from('access_token=Secret-5')), raw: Buffer.from('Secret-6').buffer } };
        log.warn({ err: Object.assign(new Error('token request failed'), carried) }, 'external sign-in failed');
        log.warn({ err: new AggregateError([Object.assign(new Error('inner'), { rawPacket: packet })], 'both failed') }, 'failed');
        log.info({ packet, nested: { bytes: Buffer.from('Secret-7') } }, 'fields');
      }, handed);
      expect(text).toContain('"requestLine":"GET /redeem?tenant=t&user=u&ticket=[redacted] HTTP/1.1"');
      expect(text).toContain(`"rawPacket":"[redacted: ${packet.length} bytes]"`);
      expect(text).toContain(`"rawPacket":"[redacted: ${chunk.length} bytes]"`);
      expect(text).not.toContain('"type":"Buffer"');
      expect(text).not.toMatch(/"data":\[\d|"0":\d/);
      expect(text.match(/Secret-\d/g) ?? []).toEqual([]);
    }
  });
});
