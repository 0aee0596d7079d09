/**
 * Every MFA page runs no script under its Content-Security-Policy, except the passkey page: WebAuthn exists
 * only in the browser. That page allows exactly the script tags carrying its response's nonce (a new one
 * each time), no inline script without it, and its options travel as an inert JSON block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, type PageResponse } from '../support/http-browser.js';
import { appToken, graph } from '../support/tokens.js';

const PASSWORD = 'Velvet-Orchard-Signal-8';

describe.each(backends)('the MFA pages’ scripts on $name', (backend) => {
  let w: GuestWorld;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    const token = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Security', applicationPermissions: ['Policy.ReadWrite.ConditionalAccess'] }),
    );
    const created = await graph(w.foyer, token, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Everyone needs MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(created.status).toBe(201);
    await createMember(w.foyer.ctx, w.contoso.id, { userPrincipalName: 'csp@contoso.example', displayName: 'Cara Script', password: PASSWORD });
  });
  afterAll(() => w?.close());

  const csp = (page: PageResponse) => page.headers.get('content-security-policy') ?? '';
  const scriptTags = (page: PageResponse) => [...page.body.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);

  it('the registration choice and the authenticator-app page run nothing; the passkey page only its two nonced scripts, with a new nonce each time', async () => {
    const b = new HttpBrowser();
    const atApp = (u: string) => u.startsWith(`${w.portal.url}/callback`);
    const start = await b.go(`${w.portal.url}/login`, {}, atApp);
    const pw = await b.submit(start, formWith(start, 'email'), { email: 'csp@contoso.example' });
    const choice = await b.submit(pw, formWith(pw, 'password'), { password: PASSWORD }, atApp);
    expect(choice.body).toContain('More information required');

    for (const page of [choice, await b.go(`${w.foyer.url}/mfa/totp/register`)]) {
      expect(page.status).toBe(200);
      expect(csp(page)).toContain("default-src 'none'");
      expect(csp(page)).not.toContain('script-src');
      expect(scriptTags(page)).toEqual([]);
    }

    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await b.go(`${w.foyer.url}/mfa/passkey/register`);
      expect(page.status).toBe(200);
      const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp(page))?.[1];
      expect(nonce).toBeDefined();
      expect(csp(page)).not.toMatch(/unsafe-inline'[^;]*script|script-src[^;]*(unsafe|https:|\*)/);
      nonces.push(nonce!);
      const tags = scriptTags(page);
      // The options block (inert JSON), the library and the page's lines: the two that run carry the nonce.
      expect(tags.filter((t) => t.includes('application/json'))).toHaveLength(1);
      const running = tags.filter((t) => !t.includes('application/json'));
      expect(running).toHaveLength(2);
      for (const t of running) expect(t).toContain(`nonce="${nonce}"`);
      for (const src of ['/mfa/webauthn.js', '/mfa/passkey.js']) {
        const file = await fetch(`${w.foyer.url}${src}`);
        expect(file.status).toBe(200);
        expect(file.headers.get('content-type')).toContain('javascript');
      }
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });
});
