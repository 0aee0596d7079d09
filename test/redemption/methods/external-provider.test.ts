/**
 * The external OpenID provider method, scripted over HTTP against a second provider on loopback: the
 * browser goes to the provider and back, the provider's identity (issuer, subject) is bound, an address
 * the provider vouches for that is not the invited one is refused, and a replayed callback finds nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../support/backends.js';
import { type ExternalIdp, startExternalIdp } from '../../support/external-idp.js';
import { type GuestWorld, startGuestWorld } from '../../support/guests.js';
import { HttpBrowser, type PageResponse, visibleText } from '../../support/http-browser.js';
import { graph } from '../../support/tokens.js';

describe.each(backends)('the external provider method on $name', (backend) => {
  let w: GuestWorld;
  let idp: ExternalIdp;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    idp = await startExternalIdp(`${w.foyer.url}/guest/callback`);
    const created = await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', {
      '@odata.type': '#microsoft.graph.oidcIdentityProvider',
      displayName: 'Partner login',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientAuthentication: { '@odata.type': '#microsoft.graph.oidcClientSecretAuthentication', clientSecret: idp.clientSecret },
      domains: ['partner.example'],
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await idp?.close();
    await w?.close();
  });

  /** Signs in at the provider's development login form as `login`, and consents there; stops at Foyer's callback. */
  async function atProvider(b: HttpBrowser, page: PageResponse, login: string): Promise<{ callback: string; page: PageResponse }> {
    expect(page.url.startsWith(idp.issuer)).toBe(true);
    const atCallback = (u: string) => u.startsWith(`${w.foyer.url}/guest/callback`);
    let next = await b.submit(page, 0, { login, password: 'anything' }, atCallback);
    if (!atCallback(next.url)) next = await b.submit(next, 0, {}, atCallback);
    expect(atCallback(next.url)).toBe(true);
    return { callback: next.url, page: await b.go(next.url) };
  }

  it('sends the person to the provider and binds the identity it proves', async () => {
    const inv = await w.invite('pat@partner.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const { callback, page: consent } = await atProvider(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'pat@partner.example');
    expect(visibleText(consent)).toContain('Review permissions');
    // One answer per authorization: the same callback again finds nothing waiting.
    const replayed = await b.go(callback);
    expect(replayed.status).toBe(400);
    expect(visibleText(replayed)).toContain('This page has expired');

    const landed = await b.press(await b.go(`${w.foyer.url}/guest`), 'Accept', {}, (u) => u.startsWith(`${w.portal.url}/callback`));
    await b.go(landed.url);
    expect(w.portal.results.at(-1)!.claims).toMatchObject({ oid: inv.guestId, idp: idp.issuer, email: 'pat@partner.example' });
    const guest = (await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=identities`)).body;
    expect(guest.identities).toContainEqual({ signInType: 'federated', issuer: idp.issuer, issuerAssignedId: 'pat@partner.example' });
  });

  it('an account for another address is told so, and the invitation stays pending', async () => {
    const inv = await w.invite('quinn@partner.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const { page } = await atProvider(b, await b.press(await b.go(inv.redeemUrl), 'Next'), 'mallory@partner.example');
    expect(visibleText(page)).toContain('This invitation is for a different account');
    expect(visibleText(page)).toContain('mallory@partner.example');
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState`)).body.externalUserState).toBe('PendingAcceptance');
  });
});
