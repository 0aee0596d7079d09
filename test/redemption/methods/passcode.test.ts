/**
 * The e-mail one-time passcode method: what a proof by code is (issuer `mail`, the address as subject,
 * amr otp, good in this browser for a day), and its page. The attacks on codes (guessing, expiry, limits,
 * races) are in test/redemption/passcode.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../support/backends.js';
import { type GuestWorld, startGuestWorld } from '../../support/guests.js';
import { forms, formWith, HttpBrowser, visibleText } from '../../support/http-browser.js';
import { graph } from '../../support/tokens.js';

describe.each(backends)('the passcode method on $name', (backend) => {
  let w: GuestWorld;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
  });
  afterAll(() => w?.close());

  it('sends a code only when asked, and a right code proves the address: issuer mail, amr otp', async () => {
    const inv = await w.invite('olga@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    expect(visibleText(step)).toContain('Verify your e-mail address');
    expect(forms(step).some((f) => 'code' in f.fields)).toBe(false);
    const before = w.smtp.messages.length;
    const sent = await b.press(step, 'Send code');
    expect(visibleText(sent)).toContain('Send a new code');
    const wrong = await b.submit(sent, formWith(sent, 'code'), { code: '00000000' });
    expect(wrong.status).toBe(400);
    expect(visibleText(wrong)).toContain('You can try 4 more times');
    const consent = await b.submit(sent, formWith(sent, 'code'), { code: await w.passcode('olga@outlook.example', before) });
    const landed = await b.press(consent, 'Accept', {}, (u) => u.startsWith(`${w.portal.url}/callback`));
    await b.go(landed.url);
    expect(w.portal.results.at(-1)!.claims).toMatchObject({ oid: inv.guestId, idp: 'mail', amr: ['otp'], email: 'olga@outlook.example' });
    const guest = (await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=identities`)).body;
    expect(guest.identities).toContainEqual({ signInType: 'federated', issuer: 'mail', issuerAssignedId: 'olga@outlook.example' });
  });

  it('a password form posted to a passcode flow only shows the code step again', async () => {
    const inv = await w.invite('otto@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    const page = await b.go(`${w.foyer.url}/guest/password`, { method: 'POST', form: { _csrf: forms(step)[0]!.fields._csrf!, password: 'x' } });
    expect(page.status).toBe(200);
    expect(visibleText(page)).toContain('Verify your e-mail address');
  });
});
