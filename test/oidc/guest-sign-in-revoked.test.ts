/**
 * A guest's sign-ins end with the guest object (revokeSignInSessions on it, a disable), whatever the
 * home: a passcode session or a personal account still stands at home, but signing in to the tenant
 * again asks for the code or the password, not just the address. And a revocation that lands while the
 * guest is proving (after the proof, before the hand-back to the sign-in page) asks for a fresh proof
 * rather than signing the guest in with the old one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { createPersonalAccount } from '../../src/redemption/personal-accounts.js';
import { backends } from '../support/backends.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('a guest’s sign-ins end with the guest object on $name', (backend) => {
  const clock = new ManualClock(Date.now());
  let w: GuestWorld;
  let revoker: string;

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    revoker = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Helpdesk', applicationPermissions: ['User.RevokeSessions.All'] }),
    );
  });
  afterAll(() => w?.close());

  const atApp = (u: string) => u.startsWith(`${w.portal.url}/callback`);
  const atHandBack = (u: string) => /\/login\/[^/]+\/guest$/.test(new URL(u).pathname);

  async function viaPasscode(b: HttpBrowser, page: PageResponse, address: string, stopAt?: (u: string) => boolean) {
    const before = w.smtp.messages.length;
    const sent = await b.press(page, 'Send code');
    return b.submit(sent, formWith(sent, 'code'), { code: await w.passcode(address, before) }, stopAt);
  }

  /** Redeems an invitation to `address` in a new browser (proof by `prove`) and lands in the portal. */
  async function redeemed(address: string, prove: (b: HttpBrowser, step: PageResponse) => Promise<PageResponse>) {
    const inv = await w.invite(address, { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const consent = await prove(b, await b.press(await b.go(inv.redeemUrl), 'Next'));
    const before = w.portal.results.length;
    await b.press(consent, 'Accept');
    expect(w.portal.results.length).toBe(before + 1);
    expect(atApp((await b.go(`${w.portal.url}/login`, {}, atApp)).url)).toBe(true);
    return { b, guestId: inv.guestId, token: w.portal.results.at(-1)!.tokens.access_token };
  }

  /** After the guest's sign-ins ended: the app's token is refused, and the address alone signs no one in. */
  async function typeAddress(b: HttpBrowser, token: string, address: string) {
    expect((await graph(w.foyer, token, 'GET', '/me')).status).toBe(401);
    const again = await b.go(`${w.portal.url}/login`, {}, atApp);
    expect(atApp(again.url)).toBe(false);
    expect(visibleText(again)).toContain('Sign in to Contoso');
    const before = w.portal.results.length;
    // Not even handed back to the sign-in page on the old proof: the guest pages ask for a new one.
    const step = await b.submit(again, formWith(again, 'email'), { email: address }, (u) => atApp(u) || atHandBack(u));
    expect(atApp(step.url), 'signed in by typing the address alone').toBe(false);
    expect(atHandBack(step.url), 'the old proof was taken').toBe(false);
    expect(w.portal.results.length).toBe(before);
    return step;
  }

  /** Finishing the new proof signs the guest in, with a token /me accepts. */
  async function expectSignedInAgain(b: HttpBrowser, done: PageResponse, guestId: string) {
    expect(atApp(done.url), visibleText(done)).toBe(true);
    const before = w.portal.results.length;
    await b.go(done.url);
    expect(w.portal.results.length).toBe(before + 1);
    const me = await graph(w.foyer, w.portal.results.at(-1)!.tokens.access_token, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(guestId);
  }

  it('a passcode guest whose sessions were revoked gets the code page, though the passcode session stands', async () => {
    const address = 'quinn@outlook.example';
    const { b, guestId, token } = await redeemed(address, (br, step) => viaPasscode(br, step, address));
    clock.advance(5_000);
    expect((await graph(w.foyer, revoker, 'POST', `/users/${guestId}/revokeSignInSessions`)).status).toBe(200);
    clock.advance(5_000);
    const step = await typeAddress(b, token, address);
    expect(visibleText(step)).toContain('Send code');
    await expectSignedInAgain(b, await viaPasscode(b, step, address, atApp), guestId);
  });

  it('a personal-account guest disabled and enabled again gets the password page, though the account stands', async () => {
    const address = 'rosa@mail.example';
    await createPersonalAccount(w.foyer.ctx, { email: address, displayName: 'Rosa', password: 'Lilac-Ferry-Orbit-5' });
    const { b, guestId, token } = await redeemed(address, (br, step) => br.submit(step, formWith(step, 'password'), { password: 'Lilac-Ferry-Orbit-5' }));
    clock.advance(5_000);
    expect((await graph(w.foyer, w.admin, 'PATCH', `/users/${guestId}`, { accountEnabled: false })).status).toBe(204);
    clock.advance(1_000);
    expect((await graph(w.foyer, w.admin, 'PATCH', `/users/${guestId}`, { accountEnabled: true })).status).toBe(204);
    clock.advance(5_000);
    const step = await typeAddress(b, token, address);
    expect(visibleText(step)).toContain('Sign in with your personal account');
    await expectSignedInAgain(b, await b.submit(step, formWith(step, 'password'), { password: 'Lilac-Ferry-Orbit-5' }, atApp), guestId);
  });

  it('a revocation between the proof and the hand-back asks for a fresh proof, not the old one', async () => {
    const address = 'sami@outlook.example';
    const { guestId } = await redeemed(address, (br, step) => viaPasscode(br, step, address));
    // A new browser: no earlier proof, the guest proves with a code now.
    const b = new HttpBrowser();
    const signIn = await b.go(`${w.portal.url}/login`);
    const step = await b.submit(signIn, formWith(signIn, 'email'), { email: address });
    const proven = await viaPasscode(b, step, address, atHandBack);
    expect(atHandBack(proven.url)).toBe(true);
    clock.advance(5_000);
    expect((await graph(w.foyer, revoker, 'POST', `/users/${guestId}/revokeSignInSessions`)).status).toBe(200);
    clock.advance(5_000);
    const before = w.portal.results.length;
    const again = await b.go(proven.url, {}, atApp);
    expect(atApp(again.url), 'signed in with a proof made before the revocation').toBe(false);
    expect(w.portal.results.length).toBe(before);
    expect(again.status).toBe(200);
    expect(visibleText(again)).toContain('Send code');
    await expectSignedInAgain(b, await viaPasscode(b, again, address, atApp), guestId);
  });
});
