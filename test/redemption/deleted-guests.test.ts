/**
 * Guests and deletions, scripted over HTTP through Contoso's app (a real openid-client relying party):
 * a guest whose home account is a member of another tenant here cannot sign in while that member is
 * deleted, and can again once it is restored; a deleted guest whose home identity a new guest object took
 * meanwhile cannot be restored (the identity branch of the restore conflict) until that object is gone;
 * a restored guest who had not redeemed has a revoked link and needs the invitation resent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import type { TestTenant } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { appToken, graph } from '../support/tokens.js';

const PASSWORD = 'Fabrikam-Passphrase-1';

describe.each(backends)('deleted guests and deleted home accounts on $name', (backend) => {
  let w: GuestWorld;
  let fabrikam: TestTenant;
  let fabrikamAdmin: string;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    const app = await w.foyer.createApp(fabrikam.id, { displayName: 'Fabrikam script', applicationPermissions: ['User.ReadWrite.All'] });
    fabrikamAdmin = await appToken(w.foyer, fabrikam, app);
  });
  afterAll(() => w?.close());

  const atApp = (u: string) => u.startsWith(`${w.portal.url}/callback`);

  /** Redeems Contoso's invitation link with the Fabrikam account (password) and accepts. */
  async function redeemWithFabrikam(redeemUrl: string): Promise<HttpBrowser> {
    const b = new HttpBrowser();
    const pw = await b.press(await b.go(redeemUrl), 'Next');
    expect(visibleText(pw)).toContain('Sign in with your Fabrikam account');
    const consent = await b.submit(pw, formWith(pw, 'password'), { password: PASSWORD });
    const landed = await b.press(consent, 'Accept', {}, atApp);
    expect(atApp(landed.url), visibleText(landed)).toBe(true);
    return b;
  }

  /** Signs in to Contoso's app in a fresh browser with the Fabrikam account; the page it ends on. */
  async function signInWithFabrikam(address: string): Promise<{ page: PageResponse; browser: HttpBrowser }> {
    const browser = new HttpBrowser();
    const signIn = await browser.go(`${w.portal.url}/login`);
    const pw = await browser.submit(signIn, formWith(signIn, 'email'), { email: address });
    expect(visibleText(pw)).toContain('Sign in with your Fabrikam account');
    return { page: await browser.submit(pw, formWith(pw, 'password'), { password: PASSWORD }, atApp), browser };
  }

  /**
   * Deleting a guest (or its home account) ended the guest's sign-ins at that millisecond, and a proof's time is whole
   * seconds (auth_time): a proof made within the same second counts as older and is asked for again. A
   * person is never that quick; the script waits for the next second.
   */
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));

  /** The app's callback is followed: openid-client redeems the code and the ID token's claims are returned. */
  async function claimsAfter(browser: HttpBrowser, page: PageResponse) {
    expect(atApp(page.url), visibleText(page)).toBe(true);
    const before = w.portal.results.length;
    await browser.go(page.url);
    expect(w.portal.results).toHaveLength(before + 1);
    return w.portal.results.at(-1)!.claims;
  }

  it('a guest whose home account is a deleted Fabrikam member cannot sign in to Contoso’s app; restored at Fabrikam, can again', async () => {
    const bob = await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'bob@fabrikam.example', displayName: 'Bob', password: PASSWORD });
    const inv = await w.invite('bob@fabrikam.example', { sendInvitationMessage: false });
    const redeemed = await redeemWithFabrikam(inv.redeemUrl);

    expect((await graph(w.foyer, fabrikamAdmin, 'DELETE', `/users/${bob.id}`)).status).toBe(204);
    // The browser that redeemed gets no single sign-on into Contoso any more.
    const sso = await redeemed.go(`${w.portal.url}/login`, {}, atApp);
    expect(atApp(sso.url)).toBe(false);
    // Nor does the password at Fabrikam open anything: Fabrikam has no such member now.
    const refused = await signInWithFabrikam('bob@fabrikam.example');
    expect(atApp(refused.page.url)).toBe(false);
    expect(visibleText(refused.page)).not.toContain('Review permissions');
    // Contoso's guest object itself is untouched.
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState`)).body.externalUserState).toBe('Accepted');

    expect((await graph(w.foyer, fabrikamAdmin, 'POST', `/directory/deletedItems/${bob.id}/restore`)).status).toBe(200);
    await nextSecond();
    const again = await signInWithFabrikam('bob@fabrikam.example');
    expect(atApp(again.page.url), visibleText(again.page)).toBe(true);
    expect(await claimsAfter(again.browser, again.page)).toMatchObject({ tid: w.contoso.id, oid: inv.guestId, idp: fabrikam.issuer });
  });

  it('refuses to restore a guest whose home identity a new guest took under another name and mail, until that guest is gone', async () => {
    const pat = await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'pat@fabrikam.example', displayName: 'Pat', password: PASSWORD });
    const first = await w.invite('pat@fabrikam.example', { sendInvitationMessage: false });
    await redeemWithFabrikam(first.redeemUrl);
    expect((await graph(w.foyer, w.admin, 'DELETE', `/users/${first.guestId}`)).status).toBe(204);

    // Pat's address changes at Fabrikam, and Contoso invites the new one: a new guest object (another
    // UPN, another mail) that Pat redeems with the same Fabrikam account, so the same home identity.
    const renamed = await graph(w.foyer, fabrikamAdmin, 'PATCH', `/users/${pat.id}`, {
      userPrincipalName: 'pat.two@fabrikam.example',
      mail: 'pat.two@fabrikam.example',
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(204);
    const second = await w.invite('pat.two@fabrikam.example', { sendInvitationMessage: false });
    expect(second.guestId).not.toBe(first.guestId);
    await redeemWithFabrikam(second.redeemUrl);

    const refused = await graph(w.foyer, w.admin, 'POST', `/directory/deletedItems/${first.guestId}/restore`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.innerError.code).toBe('directory.restore_conflict');
    expect(refused.body.error.message).toMatch(/conflicting object with the same value for property identities already exists/);
    expect((await graph(w.foyer, w.admin, 'GET', `/directory/deletedItems/${first.guestId}`)).status).toBe(200);
    // Pat still signs in as the new guest.
    const now = await signInWithFabrikam('pat.two@fabrikam.example');
    expect(await claimsAfter(now.browser, now.page)).toMatchObject({ oid: second.guestId });

    expect((await graph(w.foyer, w.admin, 'DELETE', `/users/${second.guestId}`)).status).toBe(204);
    expect((await graph(w.foyer, w.admin, 'POST', `/directory/deletedItems/${first.guestId}/restore`)).status).toBe(200);
    await nextSecond();
    const back = await signInWithFabrikam('pat.two@fabrikam.example');
    expect(await claimsAfter(back.browser, back.page)).toMatchObject({ tid: w.contoso.id, oid: first.guestId, idp: fabrikam.issuer });
    const guest = await graph(w.foyer, w.admin, 'GET', `/users/${first.guestId}?$select=identities`);
    expect(guest.body.identities).toContainEqual({ signInType: 'federated', issuer: fabrikam.issuer, issuerAssignedId: pat.id });
  });

  it('a restored guest who had not redeemed has a revoked link: the invitation is resent, to the same object', async () => {
    const inv = await w.invite('quinn@outlook.example', { sendInvitationMessage: false });
    expect((await graph(w.foyer, w.admin, 'DELETE', `/users/${inv.guestId}`)).status).toBe(204);
    expect((await graph(w.foyer, w.admin, 'POST', `/directory/deletedItems/${inv.guestId}/restore`)).status).toBe(200);
    expect((await graph(w.foyer, w.admin, 'GET', `/invitations/${inv.id}`)).body.redemptionLinkStatus).toBe('revoked');
    const dead = await new HttpBrowser().go(inv.redeemUrl);
    expect(visibleText(dead)).toContain('This invitation was withdrawn');

    const resent = await w.invite('quinn@outlook.example', { sendInvitationMessage: false });
    expect(resent.guestId).toBe(inv.guestId);
    expect((await graph(w.foyer, w.admin, 'GET', `/invitations/${resent.id}`)).body.redemptionLinkStatus).toBe('active');
    const b = new HttpBrowser();
    const step = await b.press(await b.go(resent.redeemUrl), 'Next');
    const before = w.smtp.messages.length;
    const sent = await b.press(step, 'Send code');
    const consent = await b.submit(sent, formWith(sent, 'code'), { code: await w.passcode('quinn@outlook.example', before) });
    await b.press(consent, 'Accept', {}, (u) => u.startsWith(w.portal.url));
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState`)).body.externalUserState).toBe('Accepted');
    // And signs in to the app as that object from now on.
    await nextSecond();
    const fresh = new HttpBrowser();
    const signIn = await fresh.go(`${w.portal.url}/login`);
    const mailed = w.smtp.messages.length;
    const codeStep = await fresh.press(await fresh.submit(signIn, formWith(signIn, 'email'), { email: 'quinn@outlook.example' }), 'Send code');
    const code = await w.passcode('quinn@outlook.example', mailed);
    const landed = await fresh.submit(codeStep, formWith(codeStep, 'code'), { code }, atApp);
    expect(await claimsAfter(fresh, landed)).toMatchObject({ tid: w.contoso.id, oid: inv.guestId });
  });
});
