/**
 * "My organizations" over plain HTTP (a cookie jar, no Chromium): a person with two guest accounts (two
 * organizations, one passcode identity) sees both, oldest first; Leave reaches only the browser's own guest
 * accounts and only with the form's CSRF token. The page's sign-in enumerates nobody: an accepted guest's
 * address, a pending guest's and an unknown one get the same page, byte for byte, and only the accepted guest
 * is mailed a link (read from a real SMTP server on loopback); the link opens a confirmation (a GET spends
 * nothing), starts the guest's passcode sign-in, works once, and dies after 15 minutes (a ManualClock).
 * Requests are limited per address and per client, with one 429 page for every address, and a guest with a
 * live unspent link is not mailed another. Leaving asks for the guest's second factor in the organization
 * when they registered one there or its Conditional Access asks guests for MFA (a passcode-proven mailbox is
 * not enough): the challenge comes back to the confirmation, after which leaving works; a guest asked for
 * MFA with no method is told to sign in to an app first. A guest with neither leaves on the first factor (the
 * first test). The last Global Administrator is refused, and told to contact the administrator.
 */
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole, listRoleMembers } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { type GuestWorld, linkIn, startGuestWorld, waitForMail } from '../support/guests.js';
import { forms, formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('My organizations over HTTP on $name', (backend) => {
  let w: GuestWorld;
  let fabrikamAdmin: string;
  /** The instance's clock: still unless a test moves it (so the limits' windows and the links' ages are exact). */
  const clock = new ManualClock();

  beforeAll(async () => {
    // FOYER_SIGNIN_ATTEMPT_LIMIT=2: two links per address, ten requests per client, per window.
    w = await startGuestWorld(backend, { clock, env: { FOYER_SIGNIN_ATTEMPT_LIMIT: '2' } });
    const fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    fabrikamAdmin = await appToken(
      w.foyer,
      fabrikam,
      await w.foyer.createApp(fabrikam.id, { displayName: 'Fabrikam script', applicationPermissions: ['User.Invite.All', 'User.ReadWrite.All'] }),
    );
  });
  afterAll(() => w?.close());

  const page = (p: string) => `${w.foyer.url}/myaccount/organizations${p}`;

  /** Redeems an invitation link in `browser` with a passcode (or the passcode this browser proved before). */
  async function redeem(browser: HttpBrowser, link: string, address: string): Promise<void> {
    let at = await browser.press(await browser.go(link), 'Next');
    if (visibleText(at).includes('Send code')) {
      const before = w.smtp.messages.length;
      at = await browser.press(at, 'Send code');
      at = await browser.press(at, 'Sign in', { code: await w.passcode(address, before) });
    }
    const done = await browser.press(at, 'Accept', {}, (u) => !u.startsWith(w.foyer.url));
    expect(done.url.startsWith(w.foyer.url), visibleText(done)).toBe(false);
  }

  async function inviteFrom(token: string, address: string): Promise<{ guestId: string; link: string }> {
    const before = w.smtp.messages.length;
    const res = await graph(w.foyer, token, 'POST', '/invitations', {
      invitedUserEmailAddress: address,
      inviteRedirectUrl: `${w.portal.url}/login`,
      sendInvitationMessage: true,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { guestId: res.body.invitedUser.id, link: linkIn(await waitForMail(w.smtp, address, before)) };
  }

  const csrfOf = (p: PageResponse) => /name="_csrf" value="([^"]+)"/.exec(p.body)?.[1] ?? '';
  const exists = async (token: string, id: string) => (await graph(w.foyer, token, 'GET', `/users/${id}`)).status === 200;

  it('lists every organization the identity is a guest of, oldest first, and leaves only the browser’s own', async () => {
    const address = 'nina@outlook.example';
    const browser = new HttpBrowser();
    const contoso = await inviteFrom(w.admin, address);
    await redeem(browser, contoso.link, address);
    const fabrikam = await inviteFrom(fabrikamAdmin, address);
    await redeem(browser, fabrikam.link, address);

    const list = await browser.go(page(''));
    expect(list.status).toBe(200);
    const names = [...list.body.matchAll(/class="organization-name">([^<]+)</g)].map((m) => m[1]);
    expect(names).toEqual(['Contoso', 'Fabrikam']);
    expect(list.body).toContain(`/myaccount/organizations/${contoso.guestId}/leave`);

    // Someone else's guest account: another person's id, in the same tenant, is not this browser's to leave
    // (with a CSRF token this browser holds, from its own confirmation page).
    const confirm = await browser.go(page(`/${fabrikam.guestId}/leave`));
    expect(visibleText(confirm)).toContain('Leave Fabrikam?');
    const stranger = await inviteFrom(w.admin, 'sven@outlook.example');
    const other = await browser.go(page(`/${stranger.guestId}/leave`));
    expect(visibleText(other)).toContain('My organizations');
    const refused = await browser.request(page(`/${stranger.guestId}/leave`), { form: { _csrf: csrfOf(confirm) } });
    expect(refused.status).toBe(404);
    expect(visibleText(refused)).toContain('Nothing to leave');
    expect(await exists(w.admin, stranger.guestId)).toBe(true);

    // Without the form's CSRF token nothing happens.
    const forged = await browser.request(page(`/${fabrikam.guestId}/leave`), { form: { confirm: 'yes' } });
    expect(forged.status).toBe(403);
    expect(await exists(fabrikamAdmin, fabrikam.guestId)).toBe(true);

    // With it, Fabrikam is left and Contoso stays.
    const left = await browser.press(confirm, 'Leave organization');
    expect(left.status).toBe(200);
    expect(visibleText(left)).toContain('You left Fabrikam');
    expect(await exists(fabrikamAdmin, fabrikam.guestId)).toBe(false);
    expect(await exists(w.admin, contoso.guestId)).toBe(true);
    const after = await browser.go(page(''));
    expect([...after.body.matchAll(/class="organization-name">([^<]+)</g)].map((m) => m[1])).toEqual(['Contoso']);

    // A browser signed in to nothing is offered the sign-in, and can leave nothing.
    const nobody = new HttpBrowser();
    const offer = await nobody.go(page(''));
    expect(visibleText(offer)).toContain('Sign in to see your organizations');
    const blind = await nobody.request(page(`/${contoso.guestId}/leave`), { form: { _csrf: csrfOf(offer) } });
    expect(blind.status).toBe(404);
    expect(await exists(w.admin, contoso.guestId)).toBe(true);
  });

  const names = (p: PageResponse) => [...p.body.matchAll(/class="organization-name">([^<]+)</g)].map((m) => m[1]);
  const withoutCsrf = (p: PageResponse) => p.body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
  /** A page's headers apart from the ones that differ for every response (the date, the request's id). */
  const headersOf = (p: PageResponse) => [...p.headers].filter(([k]) => k !== 'date' && k !== 'request-id');
  /** The "My organizations" sign-in link of a mail. */
  function signInLinkIn(mail: ParsedMail): string {
    const m = /(http:\/\/localhost:\d+\/myaccount\/organizations\/link\?ticket=[\w-]+)/.exec(mail.text ?? '');
    if (!m) throw new Error(`no sign-in link in: ${mail.text}`);
    return m[1]!;
  }
  const linkMails = async () =>
    (await w.foyer.ctx.db.kysely.selectFrom('outbox').select('recipient').where('kind', '=', 'myaccount-link').orderBy('created_at').execute()).map(
      (r) => r.recipient,
    );

  it('answers every address alike, mails a one-time link only to an accepted guest, and the link starts the guest’s own sign-in', async () => {
    const kim = 'kim@outlook.example';
    const invited = await inviteFrom(w.admin, kim);
    await redeem(new HttpBrowser(), invited.link, kim);
    await inviteFrom(w.admin, 'pending@outlook.example');

    const browser = new HttpBrowser();
    const form = await browser.go(page('/sign-in'));
    const ask = (email: string) => browser.press(form, 'Send link', { email });

    const malformed = await ask('not an address');
    expect(malformed.status).toBe(400);
    expect(visibleText(malformed)).toContain('Enter a valid email address');

    // An address that is no guest, a guest who has not accepted yet, and an accepted guest: one answer.
    const before = w.smtp.messages.length;
    const unknown = await ask('nobody@outlook.example');
    const pending = await ask('pending@outlook.example');
    const known = await ask(kim);
    for (const answer of [unknown, pending, known]) {
      expect(answer.status).toBe(200);
      expect(visibleText(answer)).toContain(
        'If this address belongs to a guest of an organization on this instance, we sent it a link to sign in. Check your inbox.',
      );
      expect(withoutCsrf(answer)).toBe(withoutCsrf(known));
      expect(answer.body).toBe(known.body);
      expect(headersOf(answer)).toEqual(headersOf(known));
    }

    // Only the accepted guest is mailed; nothing was queued for the other two.
    const mail = await waitForMail(w.smtp, kim, before);
    expect(mail.subject).toBe('Sign in to see your organizations');
    expect(await linkMails()).toEqual([kim]);
    expect(w.smtp.messages.slice(before).map((m) => m.subject)).toEqual(['Sign in to see your organizations']);
    const link = signInLinkIn(mail);

    // Another browser opens the link: a confirmation that spends nothing (a mail scanner may fetch it too).
    const person = new HttpBrowser();
    const scanned = await new HttpBrowser().go(link);
    expect(scanned.status).toBe(200);
    const confirm = await person.go(link);
    expect(confirm.status).toBe(200);
    expect(visibleText(confirm)).toContain('Continue to your organizations');
    expect(visibleText(confirm)).toContain(`Sign in as ${kim}`);
    // Without the form's CSRF token nothing is spent.
    const ticket = new URL(link).searchParams.get('ticket')!;
    expect((await person.request(page('/link'), { form: { ticket } })).status).toBe(403);

    // Continue: the guest's own method (a passcode to the address), then back to My organizations.
    let at = await person.press(confirm, 'Continue');
    expect(visibleText(at)).toContain('Send code');
    const sent = w.smtp.messages.length;
    at = await person.press(at, 'Send code');
    at = await person.press(at, 'Sign in', { code: await w.passcode(kim, sent) });
    expect(at.url).toBe(page(''));
    expect(names(at)).toEqual(['Contoso']);
    expect(visibleText(at)).toContain(`Signed in as ${kim}`);

    // Once used, the link is dead, for this browser and any other, GET or POST.
    const again = await person.go(link);
    expect(again.status).toBe(410);
    expect(visibleText(again)).toContain('This link no longer works');
    const stranger = new HttpBrowser();
    const strangerForm = await stranger.go(page('/sign-in'));
    const replay = await stranger.request(page('/link'), { form: { _csrf: csrfOf(strangerForm), ticket } });
    expect(replay.status).toBe(410);
    expect(stranger.jar.getCookiesSync(page('')).some((c) => c.key === 'foyer_guest')).toBe(false);
    // The confirmation page of the scanner's visit is worth nothing now either.
    expect((await person.press(confirm, 'Continue')).status).toBe(410);
    // A ticket that never was.
    expect((await person.go(page('/link?ticket=made-up'))).status).toBe(410);
  });

  it('a link works for 15 minutes', async () => {
    const kim = 'kim@outlook.example';
    const browser = new HttpBrowser();
    const before = w.smtp.messages.length;
    expect((await browser.press(await browser.go(page('/sign-in')), 'Send link', { email: kim })).status).toBe(200);
    const link = signInLinkIn(await waitForMail(w.smtp, kim, before));

    clock.advance(14 * 60_000);
    const confirm = await browser.go(link);
    expect(visibleText(confirm)).toContain('Continue to your organizations');
    clock.advance(60_000);
    const late = await browser.press(confirm, 'Continue');
    expect(late.status).toBe(410);
    expect(visibleText(late)).toContain('A sign-in link works once, for 15 minutes. Ask for a new one.');
    expect((await browser.go(link)).status).toBe(410);
    expect(browser.jar.getCookiesSync(page('')).some((c) => c.key === 'foyer_guest')).toBe(false);
  });

  it('limits links per address and per client, with one 429 page for every address', async () => {
    // A new window (the clock only moves when told): two links per address, ten requests per client.
    clock.advance(16 * 60_000);
    const browser = new HttpBrowser();
    const form = await browser.go(page('/sign-in'));
    const ask = (email: string) => browser.press(form, 'Send link', { email });

    const kim = 'kim@outlook.example';
    const before = w.smtp.messages.length;
    expect((await ask(kim)).status).toBe(200);
    expect((await ask(kim)).status).toBe(200);
    const guestRefused = await ask(kim);
    expect((await ask('nobody@outlook.example')).status).toBe(200);
    expect((await ask('nobody@outlook.example')).status).toBe(200);
    const strangerRefused = await ask('nobody@outlook.example');
    for (const refused of [guestRefused, strangerRefused]) {
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(visibleText(refused)).toContain('Too many sign-in links were asked for.');
    }
    expect(withoutCsrf(strangerRefused)).toBe(withoutCsrf(guestRefused));
    expect(strangerRefused.headers.get('retry-after')).toBe(guestRefused.headers.get('retry-after'));
    // Kim's mailbox got one link in this window: while it is live and unspent, asking again mails nothing
    // (the answer is the same page).
    await w.smtp.waitFor(before + 1);
    expect((await linkMails()).filter((r) => r === kim)).toHaveLength(3);

    // Six requests so far from this client: four more addresses, then "wait" whatever the address.
    let last = form;
    let tried = 0;
    for (; tried < 10 && last.status !== 429; tried++) last = await ask(`probe${tried}@outlook.example`);
    expect(tried).toBe(5);
    expect(last.status).toBe(429);
    expect(withoutCsrf(last)).toBe(withoutCsrf(guestRefused));
  });
  it('asks for the guest’s second factor before leaving when the organization has them use one, then leaves', async () => {
    clock.advance(16 * 60_000);
    const northwind = await w.foyer.createTenant('Northwind', { domains: ['northwind.example'] });
    const token = await appToken(
      w.foyer,
      northwind,
      await w.foyer.createApp(northwind.id, {
        displayName: 'Northwind script',
        applicationPermissions: ['User.Invite.All', 'User.ReadWrite.All', 'Policy.ReadWrite.ConditionalAccess'],
      }),
    );
    // Two guests redeem with a passcode; one then has an authenticator app registered in Northwind.
    const olle = 'olle@outlook.example';
    const pia = 'pia@outlook.example';
    const olleGuest = await inviteFrom(token, olle);
    await redeem(new HttpBrowser(), olleGuest.link, olle);
    const piaBrowser = new HttpBrowser();
    const piaGuest = await inviteFrom(token, pia);
    await redeem(piaBrowser, piaGuest.link, pia);
    const secret = newTotpSecret();
    const added = await addTotpMethod(w.foyer.ctx, {
      tenantId: northwind.id,
      userId: olleGuest.guestId,
      secret,
      code: totpCodeAt(secret, clock.now()),
      displayName: 'Phone',
    });
    expect(added.ok).toBe(true);
    // A fresh browser proves only the mailbox: the link, then the passcode.
    const b = new HttpBrowser();
    const before = w.smtp.messages.length;
    await b.press(await b.go(page('/sign-in')), 'Send link', { email: olle });
    let at = await b.press(await b.go(signInLinkIn(await waitForMail(w.smtp, olle, before))), 'Continue');
    const sent = w.smtp.messages.length;
    at = await b.press(at, 'Send code');
    at = await b.press(at, 'Sign in', { code: await w.passcode(olle, sent) });
    expect(names(at)).toContain('Northwind');

    // Leave: on to the second factor's challenge, not the confirmation. A registered method is enough to
    // ask for it, without any policy.
    const leaveUrl = page(`/${olleGuest.guestId}/leave`);
    const direct = await b.request(leaveUrl);
    expect(direct.status).toBe(303);
    expect(direct.headers.get('location')).toBe('/mfa');
    // With the policy, which asks it of every guest (Pia, with no method, below), all the more.
    const policy = await graph(w.foyer, token, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Guests need MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: ['GuestsOrExternalUsers'] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);

    expect((await b.request(leaveUrl)).headers.get('location')).toBe('/mfa');
    const challenge = await b.go(leaveUrl);
    expect(visibleText(challenge)).not.toContain('Leave Northwind?');
    const codeForm = formWith(challenge, 'code');
    // A POST with a valid CSRF token leaves nothing, and is sent to the confirmation page.
    const posted = await b.request(leaveUrl, { form: { _csrf: forms(challenge)[codeForm]!.fields._csrf! } });
    expect(posted.status).toBe(303);
    expect(new URL(posted.headers.get('location')!, leaveUrl).toString()).toBe(leaveUrl);
    expect(await exists(token, olleGuest.guestId)).toBe(true);

    // The code: back on the confirmation page, and leaving works.
    clock.advance(31_000);
    const confirm = await b.submit(challenge, codeForm, { code: totpCodeAt(secret, clock.now()) });
    expect(confirm.url).toBe(leaveUrl);
    expect(visibleText(confirm)).toContain('Leave Northwind?');
    const left = await b.press(confirm, 'Leave organization');
    expect(visibleText(left)).toContain('You left Northwind');
    expect(await exists(token, olleGuest.guestId)).toBe(false);

    // A guest the policy asks for MFA who has no method yet: told to sign in to an app first; nothing left.
    const verify = await piaBrowser.go(page(`/${piaGuest.guestId}/leave`));
    expect(verify.status).toBe(403);
    expect(visibleText(verify)).toContain('Verify your identity first');
    const csrf = csrfOf(await piaBrowser.go(page('/sign-in')));
    const refused = await piaBrowser.request(page(`/${piaGuest.guestId}/leave`), { form: { _csrf: csrf } });
    expect(refused.status).toBe(403);
    expect(visibleText(refused)).toContain('Verify your identity first');
    expect(await exists(token, piaGuest.guestId)).toBe(true);
  });

  it('refuses to let the last Global Administrator leave, and names the administrator to contact', async () => {
    const tailspin = await w.foyer.createTenant('Tailspin', { domains: ['tailspin.example'] });
    const token = await appToken(
      w.foyer,
      tailspin,
      await w.foyer.createApp(tailspin.id, { displayName: 'Tailspin script', applicationPermissions: ['User.Invite.All', 'User.ReadWrite.All'] }),
    );
    const address = 'rut@outlook.example';
    const b = new HttpBrowser();
    const invited = await inviteFrom(token, address);
    await redeem(b, invited.link, address);
    // The guest is made Global Administrator, and the tenant's other administrators are disabled.
    const ga = directoryRoles.globalAdministrator.id;
    await assignRole(w.foyer.ctx, tailspin.id, ga, invited.guestId);
    const others = (await listRoleMembers(w.foyer.ctx.db.kysely, tailspin.id, ga)).filter((u) => u.id !== invited.guestId);
    expect(others.length).toBeGreaterThan(0);
    for (const o of others) await w.foyer.ctx.db.kysely.updateTable('users').set({ account_enabled: 0 }).where('id', '=', o.id).execute();

    const confirm = await b.go(page(`/${invited.guestId}/leave`));
    expect(visibleText(confirm)).toContain('Leave Tailspin?');
    const refused = await b.press(confirm, 'Leave organization');
    expect(refused.status).toBe(403);
    expect(visibleText(refused)).toContain('You can’t leave Tailspin here');
    expect(visibleText(refused)).toContain('To be removed from Tailspin, contact the organization’s administrator.');
    expect(await exists(token, invited.guestId)).toBe(true);
  });
});
