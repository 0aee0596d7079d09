/**
 * The personal-account sign-up method: where the tenant falls back to personal accounts, the person
 * proves the address with a code, then chooses a name and a password; the new account is the identity.
 * A second window that signs up the same address meanwhile is sent to the account's password instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalIssuer } from '../../../src/redemption/home-realm.js';
import { backends } from '../../support/backends.js';
import { type GuestWorld, startGuestWorld } from '../../support/guests.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../../support/http-browser.js';
import { graph } from '../../support/tokens.js';

describe.each(backends)('the personal-account sign-up method on $name', (backend) => {
  let w: GuestWorld;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    const changed = await graph(w.foyer, w.admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', {
      invitationRedemptionIdentityProviderConfiguration: { fallbackIdentityProvider: 'microsoftAccount' },
    });
    expect(changed.status).toBe(204);
  });
  afterAll(() => w?.close());

  /** Opens the link and proves the address with a code; returns the sign-up form. */
  async function throughCode(b: HttpBrowser, link: string, address: string): Promise<PageResponse> {
    const step = await b.press(await b.go(link), 'Next');
    expect(visibleText(step)).toContain('Verify your e-mail address');
    const before = w.smtp.messages.length;
    const sent = await b.press(step, 'Send code');
    const form = await b.submit(sent, formWith(sent, 'code'), { code: await w.passcode(address, before) });
    expect(visibleText(form)).toContain('Create your personal account');
    return form;
  }

  it('creates the account after a code, keeps the name when the password is too weak, and binds the new account', async () => {
    const inv = await w.invite('sam@mail.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const form = await throughCode(b, inv.redeemUrl, 'sam@mail.example');
    const weak = await b.submit(form, formWith(form, 'name'), { name: 'Sam Person', password: 'short' });
    expect(weak.status).toBe(400);
    expect(visibleText(weak)).toContain('at least 8 characters');
    expect(weak.body).toContain('value="Sam Person"');
    const consent = await b.submit(form, formWith(form, 'name'), { name: 'Sam Person', password: 'Sam-Passphrase-1' });
    const landed = await b.press(consent, 'Accept', {}, (u) => u.startsWith(`${w.portal.url}/callback`));
    await b.go(landed.url);
    expect(w.portal.results.at(-1)!.claims).toMatchObject({ oid: inv.guestId, idp: personalIssuer(w.foyer.url), amr: ['pwd'] });
  });

  it('a second window signing up the same address meanwhile is sent to the account’s password', async () => {
    const inv = await w.invite('sue@mail.example', { sendInvitationMessage: false });
    const first = new HttpBrowser();
    const second = new HttpBrowser();
    const firstForm = await throughCode(first, inv.redeemUrl, 'sue@mail.example');
    const secondForm = await throughCode(second, inv.redeemUrl, 'sue@mail.example');
    expect(visibleText(await first.submit(firstForm, formWith(firstForm, 'name'), { name: 'Sue', password: 'Sue-Passphrase-1' }))).toContain(
      'Review permissions',
    );
    const page = await second.submit(secondForm, formWith(secondForm, 'name'), { name: 'Sue', password: 'Another-Passphrase-2' });
    expect(visibleText(page)).toContain('Sign in with your personal account');
  });
});
