/**
 * Redemption with an e-mail one-time passcode, scripted over HTTP (the same pages in Chromium are in
 * test/browser/redemption.browser.test.ts): from the e-mail a real SMTP server received to the app's
 * callback, where openid-client validates the guest's ID token; and every attack we know of —
 * replayed ticket, another tenant's ticket, brute-forced and expired codes, CSRF on every form, two
 * simultaneous redemptions, open redirects — refused with a page and no change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { type GuestWorld, linkIn, startGuestWorld } from '../support/guests.js';
import { forms, formWith, formWithButton, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { graph } from '../support/tokens.js';

describe.each(backends)('redemption with a one-time passcode on $name', (backend) => {
  let w: GuestWorld;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
  });
  afterAll(() => w?.close());

  const guestState = async (id: string) =>
    (await graph(w.foyer, w.admin, 'GET', `/users/${id}?$select=externalUserState,externalUserStateChangeDateTime,identities`)).body;

  /** Opens the link and proves the address with the code from the e-mail; returns the consent page. */
  async function throughPasscode(b: HttpBrowser, link: string, address: string): Promise<PageResponse> {
    const landing = await b.go(link);
    expect(landing.status).toBe(200);
    const step = await b.press(landing, 'Next');
    expect(visibleText(step)).toContain('Verify your e-mail address');
    const before = w.smtp.messages.length;
    const sent = await b.press(step, 'Send code');
    const code = await w.passcode(address, before);
    return b.submit(sent, formWith(sent, 'code'), { code });
  }

  it('takes the guest from the e-mail to the app: code, consent, Accepted, identities, audit, ID token claims', async () => {
    const inv = await w.invite('olga@outlook.example', { invitedUserDisplayName: 'Olga Outlook' });
    const link = linkIn(inv.mail!);
    expect(link).toBe(inv.redeemUrl);
    const b = new HttpBrowser();
    const landing = await b.go(link);
    expect(visibleText(landing)).toContain('Contoso invited you');
    expect(visibleText(landing)).toContain('olga@outlook.example');
    // Opening the link changed nothing (mail scanners open links).
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');

    const consent = await throughPasscode(b, link, 'olga@outlook.example');
    const text = visibleText(consent);
    expect(text).toContain('Review permissions');
    expect(text).toContain('Contoso (contoso.example) would like to:');
    expect(text).toContain('Read your name, photo and e-mail address');
    expect(text).toContain('Contoso has not provided links to their terms for you to review.');
    const landed = await b.press(consent, 'Accept', {}, (u) => u.startsWith(`${w.portal.url}/callback`));
    expect(landed.url.startsWith(`${w.portal.url}/callback`)).toBe(true);
    await b.go(landed.url);
    const claims = w.portal.results.at(-1)!.claims;
    expect(claims).toMatchObject({
      iss: w.contoso.issuer,
      tid: w.contoso.id,
      oid: inv.guestId,
      sub: inv.guestId,
      acct: 1,
      idp: 'mail',
      email: 'olga@outlook.example',
      amr: ['otp'],
    });

    const guest = await guestState(inv.guestId);
    expect(guest.externalUserState).toBe('Accepted');
    expect(Date.parse(guest.externalUserStateChangeDateTime)).toBe(Math.floor(clock.now() / 1000) * 1000);
    expect(guest.identities).toContainEqual({ signInType: 'federated', issuer: 'mail', issuerAssignedId: 'olga@outlook.example' });
    const invitation = (await graph(w.foyer, w.admin, 'GET', `/invitations/${inv.id}`)).body;
    expect(invitation).toMatchObject({ status: 'Completed', redemptionLinkStatus: 'redeemed' });
    const audit = await graph(
      w.foyer,
      w.admin,
      'GET',
      `/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Redeem external user invite'")}`,
    );
    expect(audit.body.value.some((e: { targetResources: Array<{ id: string }> }) => e.targetResources[0]!.id === inv.guestId)).toBe(true);
  });

  it('afterwards the link is a return link: it signs the bound identity in, skips consent, and cannot bind another', async () => {
    const inv = await w.invite('rita@outlook.example');
    const b = new HttpBrowser();
    await b.press(await throughPasscode(b, inv.redeemUrl, 'rita@outlook.example'), 'Accept', {}, (u) => u.startsWith(w.portal.url));

    // The same browser: the passcode session (24 h) signs straight in.
    const again = await b.press(await b.go(inv.redeemUrl), 'Next', {}, (u) => u.startsWith(w.portal.url));
    expect(again.url).toBe(`${w.portal.url}/login`);

    // Another browser: "Continue to Contoso", a code, no consent, the app.
    const other = new HttpBrowser();
    const landing = await other.go(inv.redeemUrl);
    expect(visibleText(landing)).toContain('Continue to Contoso');
    const step = await other.press(landing, 'Next');
    const before = w.smtp.messages.length;
    const sent = await other.press(step, 'Send code');
    const done = await other.submit(sent, formWith(sent, 'code'), { code: await w.passcode('rita@outlook.example', before) }, (u) =>
      u.startsWith(w.portal.url),
    );
    expect(done.url).toBe(`${w.portal.url}/login`);
    expect((await guestState(inv.guestId)).identities.filter((i: { signInType: string }) => i.signInType === 'federated')).toHaveLength(1);
  });

  it('refuses an unknown, tampered, or other-tenant ticket with a page that says what to do', async () => {
    const inv = await w.invite('tom@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const url = new URL(inv.redeemUrl);
    const tampered = new URL(url);
    tampered.searchParams.set('ticket', `${url.searchParams.get('ticket')!.slice(0, -2)}xx`);
    const otherTenant = new URL(url);
    const fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    otherTenant.searchParams.set('tenant', fabrikam.id);
    for (const bad of [tampered.toString(), otherTenant.toString(), `${w.foyer.url}/redeem`, `${w.foyer.url}/redeem?ticket=${'a'.repeat(5000)}`]) {
      const page = await b.go(bad);
      expect(page.status).toBe(404);
      expect(visibleText(page)).toContain('This invitation link doesn’t work');
      expect(visibleText(page)).toContain('ask the person who invited you to send a new invitation');
    }
    // Forging the POST with the other tenant's id is refused the same way.
    const landing = await b.go(inv.redeemUrl);
    const form = forms(landing)[0]!;
    const forged = await b.go(new URL(form.action, landing.url).toString(), { method: 'POST', form: { ...form.fields, tenant: fabrikam.id } });
    expect(forged.status).toBe(404);
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');
  });

  it('says a replaced link was replaced, and a withdrawn one was withdrawn', async () => {
    const first = await w.invite('ula@outlook.example', { sendInvitationMessage: false });
    const second = await w.invite('ula@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const replaced = await b.go(first.redeemUrl);
    expect(replaced.status).toBe(410);
    expect(visibleText(replaced)).toContain('A newer invitation was sent to u•••@outlook.example');
    await graph(w.foyer, w.admin, 'DELETE', `/users/${second.guestId}`);
    const withdrawn = await b.go(second.redeemUrl);
    expect(withdrawn.status).toBe(410);
    expect(visibleText(withdrawn)).toContain('This invitation was withdrawn');
  });

  it('locks a code after five wrong guesses: the right code then fails too, and the guest stays pending', async () => {
    const inv = await w.invite('bruno@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    const before = w.smtp.messages.length;
    let page = await b.press(step, 'Send code');
    const code = await w.passcode('bruno@outlook.example', before);
    const wrong = String((Number(code) + 1) % 1e8).padStart(8, '0');
    for (let i = 4; i >= 1; i--) {
      page = await b.submit(page, formWith(page, 'code'), { code: wrong });
      expect(page.status).toBe(400);
      expect(visibleText(page)).toContain(`You can try ${i} more time`);
    }
    page = await b.submit(page, formWith(page, 'code'), { code: wrong });
    expect(page.status).toBe(429);
    page = await b.submit(page, formWith(page, 'code'), { code });
    expect(page.status).toBe(429);
    expect(visibleText(page)).toContain('Too many incorrect codes. Send a new code');
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');
    // A new code works.
    const before2 = w.smtp.messages.length;
    page = await b.press(page, 'Send a new code');
    const consent = await b.submit(page, formWith(page, 'code'), { code: await w.passcode('bruno@outlook.example', before2) });
    expect(visibleText(consent)).toContain('Review permissions');
  });

  it('refuses a code after its 30 minutes (fake clock), and limits how many codes one address is sent', async () => {
    const inv = await w.invite('eve@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    const before = w.smtp.messages.length;
    let page = await b.press(step, 'Send code');
    const code = await w.passcode('eve@outlook.example', before);
    clock.advance(30 * 60_000);
    page = await b.submit(page, formWith(page, 'code'), { code });
    expect(page.status).toBe(400);
    expect(visibleText(page)).toContain('That code has expired. Send a new code.');
    // The first code was sent in an earlier 15-minute window: five more are allowed, not a sixth.
    for (let i = 1; i <= 5; i++) page = await b.press(page, 'Send a new code');
    page = await b.press(page, 'Send a new code');
    expect(page.status).toBe(429);
    expect(page.headers.get('retry-after')).toBeTruthy();
    expect(visibleText(page)).toContain('Too many codes were sent to this address');
    clock.advance(15 * 60_000);
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');
  });

  it('refuses every form without its CSRF token, and changes nothing', async () => {
    const inv = await w.invite('cora@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const landing = await b.go(inv.redeemUrl);
    const start = forms(landing)[0]!;
    const noToken = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).filter(([k]) => k !== '_csrf'));
    expect((await b.go(new URL(start.action, landing.url).toString(), { method: 'POST', form: noToken(start.fields) })).status).toBe(403);
    const step = await b.press(landing, 'Next');
    for (const path of [
      '/guest/passcode/send',
      '/guest/passcode/verify',
      '/guest/accept',
      '/guest/cancel',
      '/guest/switch',
      '/guest/password',
      '/guest/signup',
    ]) {
      const res = await b.go(`${w.foyer.url}${path}`, { method: 'POST', form: { code: '12345678' } });
      expect(res.status, path).toBe(403);
    }
    // A token from another browser does not work either.
    const other = new HttpBrowser();
    const foreign = forms(await other.go(inv.redeemUrl))[0]!.fields._csrf!;
    expect((await b.go(`${w.foyer.url}/guest/passcode/send`, { method: 'POST', form: { _csrf: foreign } })).status).toBe(403);
    expect(w.smtp.messages.filter((m) => m.to && JSON.stringify(m.to).includes('cora@outlook.example'))).toHaveLength(0);
    expect(visibleText(step)).toContain('Send code');
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');
  });

  it('Cancel on the consent page leaves the invitation pending, and the link still works', async () => {
    const inv = await w.invite('cid@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const consent = await throughPasscode(b, inv.redeemUrl, 'cid@outlook.example');
    const cancelled = await b.press(consent, 'Cancel');
    expect(visibleText(cancelled)).toContain('The invitation is still waiting for you');
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');
    // Within the passcode session the same browser goes straight to consent.
    const consentAgain = await b.press(await b.go(inv.redeemUrl), 'Next');
    expect(visibleText(consentAgain)).toContain('Review permissions');
  });

  it('of two simultaneous redemptions of one link, exactly one wins', async () => {
    const inv = await w.invite('duo@outlook.example', { sendInvitationMessage: false });
    const [a, b] = [new HttpBrowser(), new HttpBrowser()];
    const consentA = await throughPasscode(a, inv.redeemUrl, 'duo@outlook.example');
    const consentB = await throughPasscode(b, inv.redeemUrl, 'duo@outlook.example');
    const idx = formWithButton(consentA, 'Accept');
    const post = (br: HttpBrowser, page: PageResponse) => {
      const f = forms(page)[idx]!;
      return br.request(new URL(f.action, page.url).toString(), { method: 'POST', form: f.fields });
    };
    const results = await Promise.all([post(a, consentA), post(b, consentB)]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    const guest = await guestState(inv.guestId);
    expect(guest.externalUserState).toBe('Accepted');
    expect(guest.identities.filter((i: { signInType: string }) => i.signInType === 'federated')).toHaveLength(1);
    const audit = await graph(
      w.foyer,
      w.admin,
      'GET',
      `/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Redeem external user invite'")}`,
    );
    expect(audit.body.value.filter((e: { targetResources: Array<{ id: string }> }) => e.targetResources[0]!.id === inv.guestId)).toHaveLength(1);
  });

  it('lands only on the inviteRedirectUrl: parameters added to the link do not redirect anywhere else', async () => {
    const inv = await w.invite('ola@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const link = `${inv.redeemUrl}&redirect_uri=${encodeURIComponent('https://evil.example/')}&inviteRedirectUrl=${encodeURIComponent('https://evil.example/')}`;
    const consent = await throughPasscode(b, link, 'ola@outlook.example');
    const landed = await b.press(consent, 'Accept', {}, () => true);
    expect(landed.url).toBe(`${w.portal.url}/login`);
  });

  it('a pending guest whose domain was blocked after the invitation cannot redeem', async () => {
    const inv = await w.invite('late@blocked.example', { sendInvitationMessage: false });
    const patch = await graph(w.foyer, w.admin, 'PATCH', '/policies/b2bManagementPolicy', {
      invitationsAllowedAndBlockedDomainsPolicy: { blockedDomains: ['blocked.example'] },
    });
    expect(patch.status).toBe(204);
    try {
      const page = await new HttpBrowser().go(inv.redeemUrl);
      expect(page.status).toBe(403);
      expect(visibleText(page)).toContain('Contoso no longer accepts guests from blocked.example');
    } finally {
      await graph(w.foyer, w.admin, 'PATCH', '/policies/b2bManagementPolicy', { invitationsAllowedAndBlockedDomainsPolicy: { blockedDomains: [] } });
    }
    expect((await guestState(inv.guestId)).externalUserState).toBe('PendingAcceptance');
  });
});
