/**
 * The personal account method: an address with an account in the instance's consumer directory is
 * proven with that account's password, on an unbranded page, and the guest is bound to the account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalIssuer } from '../../../src/redemption/home-realm.js';
import { createPersonalAccount } from '../../../src/redemption/personal-accounts.js';
import { backends } from '../../support/backends.js';
import { type GuestWorld, startGuestWorld } from '../../support/guests.js';
import { forms, formWith, HttpBrowser, visibleText } from '../../support/http-browser.js';
import { graph } from '../../support/tokens.js';

describe.each(backends)('the personal account method on $name', (backend) => {
  let w: GuestWorld;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
  });
  afterAll(() => w?.close());

  it('asks for the personal account’s password without the organization’s branding, and binds the account', async () => {
    const account = await createPersonalAccount(w.foyer.ctx, { email: 'pia@mail.example', displayName: 'Pia', password: 'Pia-Passphrase-1' });
    const inv = await w.invite('pia@mail.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    expect(visibleText(step)).toContain('Sign in with your personal account');
    expect(step.body).not.toContain('class="brand"');

    const wrong = await b.submit(step, formWith(step, 'password'), { password: 'Not-Her-Passphrase-1' });
    expect(wrong.status).toBe(400);
    expect(visibleText(wrong)).toContain('Your account or password is incorrect');

    const consent = await b.submit(step, formWith(step, 'password'), { password: 'Pia-Passphrase-1' });
    const landed = await b.press(consent, 'Accept', {}, (u) => u.startsWith(`${w.portal.url}/callback`));
    await b.go(landed.url);
    expect(w.portal.results.at(-1)!.claims).toMatchObject({ oid: inv.guestId, idp: personalIssuer(w.foyer.url), amr: ['pwd'] });
    const guest = (await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=identities`)).body;
    expect(guest.identities).toContainEqual({ signInType: 'federated', issuer: personalIssuer(w.foyer.url), issuerAssignedId: account.id });
  });

  it('a code form posted to a personal-account flow only shows the password step again', async () => {
    await createPersonalAccount(w.foyer.ctx, { email: 'pete@mail.example', displayName: 'Pete', password: 'Harbour-Passphrase-1' });
    const inv = await w.invite('pete@mail.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    const csrf = forms(step)[0]!.fields._csrf!;
    const page = await b.go(`${w.foyer.url}/guest/passcode/verify`, { method: 'POST', form: { _csrf: csrf, code: '12345678' } });
    expect(visibleText(page)).toContain('Sign in with your personal account');
  });
});
