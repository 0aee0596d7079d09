/**
 * A guest's sign-ins after redemption, scripted over HTTP: single sign-on ends with the home account
 * (disabled at home) and with the passcode session (24 hours, fake clock); an address a guest was moved
 * away from (reset to another address) cannot redeem by signing in; people invited as members sign in
 * through their home identity, never with a password here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, updateUser } from '../../src/directory/users.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import type { TestTenant } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { graph } from '../support/tokens.js';

describe.each(backends)('guest sign-in after redemption on $name', (backend) => {
  let w: GuestWorld;
  let fabrikam: TestTenant;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
  });
  afterAll(() => w?.close());

  const atApp = (u: string) => u.startsWith(`${w.portal.url}/callback`);
  /** A browser holding only Foyer's own session cookie: no tenant provider session to lean on. */
  async function onlyFoyerSession(b: HttpBrowser): Promise<HttpBrowser> {
    const fresh = new HttpBrowser();
    for (const c of await b.jar.getCookies(w.foyer.url)) if (c.key === 'foyer_session') await fresh.jar.setCookie(c.toString(), w.foyer.url);
    return fresh;
  }
  async function viaPasscode(b: HttpBrowser, page: PageResponse, address: string) {
    const before = w.smtp.messages.length;
    const sent = await b.press(page, 'Send code');
    return b.submit(sent, formWith(sent, 'code'), { code: await w.passcode(address, before) });
  }

  it('ends single sign-on into Contoso when the guest’s Fabrikam account is disabled', async () => {
    const bob = await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'bob@fabrikam.example', displayName: 'Bob', password: 'Bob-Passphrase-1' });
    const inv = await w.invite('bob@fabrikam.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const pw = await b.press(await b.go(inv.redeemUrl), 'Next');
    expect(visibleText(pw)).toContain('Sign in with your Fabrikam account');
    const consent = await b.submit(pw, formWith(pw, 'password'), { password: 'Bob-Passphrase-1' });
    await b.press(consent, 'Accept', {}, (u) => u.startsWith(w.portal.url));
    expect((await (await onlyFoyerSession(b)).go(`${w.portal.url}/login`, {}, atApp)).url).toMatch(/\/callback/);

    await updateUser(w.foyer.ctx, fabrikam.id, bob.id, { accountEnabled: false });
    // Neither Foyer's session nor the tenant's own provider session lets him in any more.
    for (const browser of [b, await onlyFoyerSession(b)]) {
      const page = await browser.go(`${w.portal.url}/login`, {}, atApp);
      expect(atApp(page.url)).toBe(false);
      expect(visibleText(page)).toContain('Sign in to Contoso');
    }
  });

  it('an address the guest was moved away from cannot redeem by signing in to the app', async () => {
    const inv = await w.invite('old@outlook.example', { sendInvitationMessage: false });
    expect(
      (await graph(w.foyer, w.admin, 'PATCH', `/users/${inv.guestId}`, { mail: 'new@partner2.example', otherMails: ['new@partner2.example'] })).status,
    ).toBe(204);
    const reset = await graph(w.foyer, w.admin, 'POST', '/invitations', {
      invitedUserEmailAddress: 'new@partner2.example',
      inviteRedirectUrl: `${w.portal.url}/login`,
      invitedUser: { id: inv.guestId },
      resetRedemption: true,
    });
    expect(reset.status).toBe(201);
    const b = new HttpBrowser();
    const signIn = await b.go(`${w.portal.url}/login`);
    const step = await b.submit(signIn, formWith(signIn, 'email'), { email: 'old@outlook.example' });
    // The page reads as usual, but no code goes to the old address, and no code binds it.
    const before = w.smtp.messages.length;
    const sent = await b.press(step, 'Send code');
    const page = await b.submit(sent, formWith(sent, 'code'), { code: '12345678' });
    expect(visibleText(page)).not.toContain('Review permissions');
    await new Promise((r) => setTimeout(r, 500));
    expect(w.smtp.messages.slice(before).some((m) => JSON.stringify(m.to).includes('old@outlook.example'))).toBe(false);
    const guest = (await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState,identities`)).body;
    expect(guest.externalUserState).toBe('PendingAcceptance');
    expect(guest.identities.some((i: { issuer: string }) => i.issuer === 'mail')).toBe(false);
  });

  it('a person invited as a member signs in through their home identity, not a password page', async () => {
    const inv = await w.invite('mem@outlook.example', { sendInvitationMessage: false, invitedUserType: 'Member' });
    const b = new HttpBrowser();
    await b.press(await viaPasscode(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'mem@outlook.example'), 'Accept', {}, (u) =>
      u.startsWith(w.portal.url),
    );
    const fresh = new HttpBrowser();
    const signIn = await fresh.go(`${w.portal.url}/login`);
    const step = await fresh.submit(signIn, formWith(signIn, 'email'), { email: 'mem@outlook.example' });
    expect(visibleText(step)).toContain('Verify your e-mail address');
    const done = await (async () => {
      const before = w.smtp.messages.length;
      const sent = await fresh.press(step, 'Send code');
      return fresh.submit(sent, formWith(sent, 'code'), { code: await w.passcode('mem@outlook.example', before) }, atApp);
    })();
    expect(atApp(done.url)).toBe(true);
  });
  it('a deleted guest cannot sign in: no single sign-on, and after proving the address a page says there is no access', async () => {
    const inv = await w.invite('gone@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const consent = await viaPasscode(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'gone@outlook.example');
    await b.press(consent, 'Accept', {}, (u) => u.startsWith(w.portal.url));
    expect((await graph(w.foyer, w.admin, 'DELETE', `/users/${inv.guestId}`)).status).toBe(204);
    for (const browser of [b, await onlyFoyerSession(b)]) {
      const page = await browser.go(`${w.portal.url}/login`, {}, atApp);
      expect(atApp(page.url)).toBe(false);
      expect(visibleText(page)).toContain('Sign in to Contoso');
    }
    // The passcode session still proves the address (it is the person's), but Contoso has no guest for it.
    const signIn = await b.go(`${w.portal.url}/login`);
    const after = await b.submit(signIn, formWith(signIn, 'email'), { email: 'gone@outlook.example' }, atApp);
    expect(atApp(after.url)).toBe(false);
    expect(visibleText(after)).toContain('You don’t have access to Contoso');
  });

  it('prompt=login asks a guest to prove the home identity again, despite single sign-on', async () => {
    const inv = await w.invite('fresh@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    await b.press(await viaPasscode(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'fresh@outlook.example'), 'Accept', {}, (u) =>
      u.startsWith(w.portal.url),
    );
    const signIn = await b.go(`${w.portal.url}/login?prompt=login`, {}, atApp);
    expect(atApp(signIn.url)).toBe(false);
    const step = await b.submit(signIn, formWith(signIn, 'email'), { email: 'fresh@outlook.example' }, atApp);
    expect(atApp(step.url)).toBe(false);
    expect(visibleText(step)).toContain('Send code');
  });

  it('with passcodes turned off, a passcode guest and a stranger get the same page, and no code', async () => {
    const inv = await w.invite('off@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    await b.press(await viaPasscode(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'off@outlook.example'), 'Accept', {}, (u) =>
      u.startsWith(w.portal.url),
    );
    const path = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email';
    expect((await graph(w.foyer, w.admin, 'PATCH', path, { allowExternalIdToUseEmailOtp: 'disabled' })).status).toBe(204);
    try {
      const pages = [];
      for (const address of ['off@outlook.example', 'nobody@outlook.example']) {
        const fresh = new HttpBrowser();
        const signIn = await fresh.go(`${w.portal.url}/login`);
        pages.push(await fresh.submit(signIn, formWith(signIn, 'email'), { email: address }, atApp));
      }
      for (const page of pages) {
        expect(page.status).toBe(409);
        expect(visibleText(page)).toContain('Contoso has turned off sign-in with one-time passcodes');
      }
    } finally {
      await graph(w.foyer, w.admin, 'PATCH', path, { allowExternalIdToUseEmailOtp: 'enabled' });
    }
  });

  // Last: the fake clock's jump expires the admin's access token.
  it('asks for a new passcode after the 24-hour passcode session (fake clock)', async () => {
    const inv = await w.invite('day@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const consent = await viaPasscode(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'day@outlook.example');
    await b.press(consent, 'Accept', {}, (u) => u.startsWith(w.portal.url));
    expect((await (await onlyFoyerSession(b)).go(`${w.portal.url}/login`, {}, atApp)).url).toMatch(/\/callback/);
    clock.advance(24 * 3600_000 + 1000);
    const page = await (await onlyFoyerSession(b)).go(`${w.portal.url}/login`, {}, atApp);
    expect(atApp(page.url)).toBe(false);
    expect(visibleText(page)).toContain('Sign in to Contoso');
  });
});
