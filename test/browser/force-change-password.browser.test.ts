/**
 * `passwordProfile.forceChangePasswordNextSignIn`, as in Graph's own create-user sample: a member created
 * (or reset) with it signs in with the password the administrator set, then must choose a new one on a
 * "Change your password" page before the app gets any token. Driven in Chromium with the Kiota Graph SDK
 * creating the user and openid-client as the app; every page passes axe-core in English and Swedish.
 */
import type { Browser, Cookie, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInStillCounts } from '../../src/web/kit/browser-session.js';
import { earlierSignInCounts, nextAfterPassword } from '../../src/web/sign-in/next-step.js';
import { backends } from '../support/backends.js';
import { expectAccessible, launchChromium } from '../support/chromium.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient } from '../support/kiota-client.js';
import { type RelyingParty, startTenantApp } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';

describe('what comes after the password on a tenant’s sign-in page', () => {
  it.each([
    { passwordOk: false, enabled: true, mustChangePassword: false, step: 'wrong-password' },
    { passwordOk: false, enabled: true, mustChangePassword: true, step: 'wrong-password' },
    // A disabled account never learns its password was right, not even from the change page.
    { passwordOk: true, enabled: false, mustChangePassword: true, step: 'wrong-password' },
    { passwordOk: true, enabled: false, mustChangePassword: false, step: 'wrong-password' },
    { passwordOk: true, enabled: true, mustChangePassword: true, step: 'change-password' },
    { passwordOk: true, enabled: true, mustChangePassword: false, step: 'signed-in' },
  ])('password ok $passwordOk, enabled $enabled, change owed $mustChangePassword → $step', ({ step, ...facts }) => {
    expect(nextAfterPassword(facts).kind).toBe(step);
  });

  it.each([
    { stillCounts: true, mustChangePassword: false, counts: true },
    { stillCounts: true, mustChangePassword: true, counts: false },
    { stillCounts: false, mustChangePassword: false, counts: false },
  ])('an earlier sign-in that still counts $stillCounts, change owed $mustChangePassword: single sign-on $counts', ({ counts, ...facts }) => {
    expect(earlierSignInCounts(facts)).toBe(counts);
  });

  // The one check behind single sign-on on a tenant's page, into other tenants as a guest, and guest flows.
  it.each([
    { accountEnabled: true, mustChangePassword: false, counts: true },
    { accountEnabled: true, mustChangePassword: true, counts: false },
    { accountEnabled: false, mustChangePassword: false, counts: false },
  ])('an earlier sign-in of a member enabled $accountEnabled, change owed $mustChangePassword still counts: $counts', ({ counts, ...user }) => {
    expect(signInStillCounts({ ...user, signInSessionsValidFrom: null }, Math.floor(Date.now() / 1000))).toBe(counts);
  });
});

const TEMPORARY = 'Temporary-Harbor-71';
const CHOSEN = 'Quiet-Lantern-Meadow-58';

describe.each(backends)('forced password change in Chromium on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let browser: Browser;
  let portal: RelyingParty;
  let wiki: RelyingParty;
  let token: string;
  let userId: string;
  let fabrikam: TestTenant;
  let fabrikamApp: RelyingParty;
  let fabrikamToken: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    portal = await startTenantApp(foyer, tenant, 'Portal');
    wiki = await startTenantApp(foyer, tenant, 'Wiki');
    const provisioning = await foyer.createApp(tenant.id, {
      displayName: 'Provisioning',
      applicationPermissions: ['User.ReadWrite.All', 'User-PasswordProfile.ReadWrite.All'],
    });
    token = await appToken(foyer, tenant, provisioning);
    // Another organization on the instance, which invites Contoso's members as guests.
    fabrikam = await foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    fabrikamApp = await startTenantApp(foyer, fabrikam, 'Fabrikam intranet');
    const inviter = await foyer.createApp(fabrikam.id, { displayName: 'Inviter', applicationPermissions: ['User.Invite.All', 'User.ReadWrite.All'] });
    fabrikamToken = await appToken(foyer, fabrikam, inviter);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await fabrikamApp?.close();
    await portal?.close();
    await wiki?.close();
    await foyer?.stop();
  });

  /** Opens the app in a fresh browser and types the address and the password. */
  async function signIn(locale: 'en-US' | 'sv-SE', app: RelyingParty, password: string): Promise<Page> {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    const t =
      locale === 'en-US'
        ? { email: 'Email address', next: 'Next', password: 'Password', signIn: 'Sign in' }
        : { email: 'E-postadress', next: 'Nästa', password: 'Lösenord', signIn: 'Logga in' };
    await page.goto(`${app.url}/login`);
    await page.getByLabel(t.email).fill('lena@contoso.example');
    await page.getByRole('button', { name: t.next }).click();
    await page.getByLabel(t.password, { exact: true }).fill(password);
    await page.getByRole('button', { name: t.signIn }).click();
    await page.waitForLoadState('load');
    return page;
  }

  /** Types the new password twice, with the keyboard only (Tab between the fields, Enter to send). */
  async function chooseWithKeyboard(page: Page, first: string, second: string = first) {
    await page.keyboard.type(first); // the new-password field has the focus
    await page.keyboard.press('Tab'); // past the hint (not focusable) to the confirmation
    await page.keyboard.type(second);
    await page.keyboard.press('Enter');
    await page.waitForLoadState('load');
  }

  /** A Contoso member who owes a password change, created through Graph. */
  async function memberOwingAChange(nickname: string, password: string): Promise<string> {
    const res = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: `${nickname} Berg`,
      mailNickname: nickname,
      userPrincipalName: `${nickname}@contoso.example`,
      passwordProfile: { forceChangePasswordNextSignIn: true, password },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** What the directory holds of a member's password: its hash and whether a change is owed. */
  const passwordRow = (id: string) =>
    foyer.ctx.db.kysely.selectFrom('users').select(['password_hash', 'must_change_password']).where('id', '=', id).executeTakeFirstOrThrow();

  /** Opens the app in a fresh browser as `nickname` and stops at "Change your password". */
  async function atChangePage(nickname: string, password: string): Promise<{ page: Page; proof: Cookie; action: string; csrf: string }> {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${portal.url}/login`);
    await page.getByLabel('Email address').fill(`${nickname}@contoso.example`);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Change your password' }).isVisible()).toBe(true);
    const proof = (await context.cookies()).find((c) => c.name === 'foyer_password_change');
    expect(proof).toBeDefined();
    const form = page.locator('form:has(#new-password)');
    const action = new URL((await form.getAttribute('action'))!, page.url()).toString();
    const csrf = (await form.locator('input[name="_csrf"]').getAttribute('value'))!;
    return { page, proof: proof!, action, csrf };
  }

  it('a member created through the Graph SDK with forceChangePasswordNextSignIn chooses a new password before the app gets a token', async () => {
    const graphClient = kiotaGraphClient(foyer.url, token);
    const created = await graphClient.users.post({
      accountEnabled: true,
      displayName: 'Lena Holm',
      mailNickname: 'lena',
      userPrincipalName: 'lena@contoso.example',
      passwordProfile: { forceChangePasswordNextSignIn: true, password: TEMPORARY },
    });
    userId = created!.id!;
    const tokensBefore = portal.results.length;

    const page = await signIn('en-US', portal, TEMPORARY);
    await expect.poll(() => page.getByRole('heading', { name: 'Change your password' }).isVisible()).toBe(true);
    await expectAccessible(page, 'change-password page');
    expect(portal.results.length).toBe(tokensBefore);

    // Leaving the page gets nothing: the next sign-in asks for the password and the change again.
    await page.context().close();
    const again = await signIn('en-US', portal, TEMPORARY);
    await expect.poll(() => again.getByRole('heading', { name: 'Change your password' }).isVisible()).toBe(true);
    // The new-password field has the focus: a keyboard user types straight away.
    const focusedId = () => again.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id);
    expect(await focusedId()).toBe('new-password');

    // The directory's password policy, with its own message.
    await chooseWithKeyboard(again, 'password');
    await expect.poll(() => again.getByRole('alert').textContent()).toContain('one of the most commonly used');
    expect(await again.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(again, 'change-password page with an error');
    await chooseWithKeyboard(again, 'Lena-Holm-Summer-Garden');
    await expect.poll(() => again.getByRole('alert').textContent()).toContain('must not contain your name');
    await chooseWithKeyboard(again, CHOSEN, 'Quiet-Lantern-Meadow-59');
    await expect.poll(() => again.getByRole('alert').textContent()).toContain('don’t match');
    await chooseWithKeyboard(again, TEMPORARY);
    await expect.poll(() => again.getByRole('alert').textContent()).toContain('different from the one you signed in with');
    expect(portal.results.length).toBe(tokensBefore);

    await chooseWithKeyboard(again, CHOSEN);
    await again.waitForURL(`${portal.url}/callback**`);
    expect(portal.results.at(-1)!.claims).toMatchObject({ iss: tenant.issuer, tid: tenant.id, oid: userId, amr: ['pwd'] });
    // The sign-in the change completed is this browser's single sign-on: the wiki lets it in.
    await again.goto(`${wiki.url}/login`);
    await again.waitForURL(`${wiki.url}/callback**`);
    expect(wiki.results.at(-1)!.claims).toMatchObject({ oid: userId });
    await again.context().close();

    // The change is done: the temporary password is refused, the chosen one signs in without asking again.
    const old = await signIn('en-US', portal, TEMPORARY);
    await expect.poll(() => old.getByRole('alert').textContent()).toContain('Your account or password is incorrect');
    await old.context().close();
    const second = await signIn('en-US', portal, CHOSEN);
    await second.waitForURL(`${portal.url}/callback**`);
    expect(portal.results.at(-1)!.claims).toMatchObject({ oid: userId });
    await second.context().close();
  });

  it('a reset through PATCH passwordProfile asks for a change again, in Swedish; a reset without the flag does not', async () => {
    const graphClient = kiotaGraphClient(foyer.url, token);
    await graphClient.users.byUserId(userId).patch({ passwordProfile: { forceChangePasswordNextSignIn: true, password: 'Another-Temporary-93' } });

    const page = await signIn('sv-SE', portal, 'Another-Temporary-93');
    await expect.poll(() => page.getByRole('heading', { name: 'Byt lösenord' }).isVisible()).toBe(true);
    await expectAccessible(page, 'change-password page in Swedish');
    await page.getByLabel('Nytt lösenord').fill('12345678');
    await page.getByLabel('Bekräfta det nya lösenordet').fill('12345678');
    await page.getByRole('button', { name: 'Byt lösenord' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Lösenordet är ett av de vanligaste lösenorden');
    await expectAccessible(page, 'change-password page in Swedish with an error');
    await page.getByLabel('Nytt lösenord').fill('Stilla-Fyr-Ekorre-42');
    await page.getByLabel('Bekräfta det nya lösenordet').fill('Stilla-Fyr-Ekorre-42');
    await page.getByRole('button', { name: 'Byt lösenord' }).click();
    await page.waitForURL(`${portal.url}/callback**`);
    expect(portal.results.at(-1)!.claims).toMatchObject({ oid: userId });
    await page.context().close();

    // Graph's default is false: a reset that leaves the flag out lets the member straight in.
    const reset = await graph(foyer, token, 'PATCH', `/users/${userId}`, { passwordProfile: { password: 'Plain-Reset-Compass-17' } });
    expect(reset.status).toBe(204);
    const plain = await signIn('en-US', portal, 'Plain-Reset-Compass-17');
    await plain.waitForURL(`${portal.url}/callback**`);
    await plain.context().close();
  });

  it('a change posted without the proof of the current password is not made, and the page says to sign in again', async () => {
    const reset = await graph(foyer, token, 'PATCH', `/users/${userId}`, {
      passwordProfile: { password: 'Third-Temporary-Pass-5', forceChangePasswordNextSignIn: true },
    });
    expect(reset.status).toBe(204);
    const page = await signIn('en-US', portal, 'Third-Temporary-Pass-5');
    await expect.poll(() => page.getByRole('heading', { name: 'Change your password' }).isVisible()).toBe(true);
    // The proof cookie gone (another browser, or the same one after it expired): the CSRF token alone changes nothing.
    await page.context().clearCookies({ name: 'foyer_password_change' });
    await chooseWithKeyboard(page, 'Never-Stored-Harbor-66');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Sign in again');
    await page.context().close();
    const stillOwed = await signIn('en-US', portal, 'Third-Temporary-Pass-5');
    await expect.poll(() => stillOwed.getByRole('heading', { name: 'Change your password' }).isVisible()).toBe(true);
    await stillOwed.context().close();
  });

  it('a proof of the password is refused in another sign-in, tampered with or unsigned, and once the change is made; nothing changes', async () => {
    const id = await memberOwingAChange('noor', 'Granite-Window-Pass-8');
    const before = await passwordRow(id);
    const refused = async (page: Page, what: string) => {
      await expect.poll(() => page.getByRole('alert').textContent(), { message: what }).toContain('Sign in again');
      expect(await passwordRow(id), what).toEqual(before);
    };

    // Another interaction (another uid) in the same browser: the proof names the first one.
    const first = await atChangePage('noor', 'Granite-Window-Pass-8');
    const other = await first.page.context().newPage();
    await other.goto(`${portal.url}/login`);
    await expect.poll(() => other.getByLabel('Email address').isVisible()).toBe(true);
    const otherUid = /\/login\/([^/?#]+)/.exec(other.url())![1]!;
    expect(first.action).not.toContain(otherUid);
    const csrf = (await other.locator('input[name="_csrf"]').first().getAttribute('value'))!;
    const elsewhere = await other.request.post(`${new URL(other.url()).origin}${new URL(other.url()).pathname}/password-change`, {
      form: { _csrf: csrf, newPassword: 'Elsewhere-Harbor-Lamp-3', confirmPassword: 'Elsewhere-Harbor-Lamp-3' },
      maxRedirects: 0,
    });
    expect(elsewhere.status()).toBe(400);
    expect(await elsewhere.text()).toContain('Sign in again');
    expect(await passwordRow(id)).toEqual(before);
    await first.page.context().close();

    // Tampered with: the signed value made to name the tenant's administrator instead.
    const tampered = await atChangePage('noor', 'Granite-Window-Pass-8');
    const [payload, signature] = [tampered.proof.value.slice(0, tampered.proof.value.lastIndexOf('.')), tampered.proof.value.split('.').at(-1)];
    const forged = { ...JSON.parse(Buffer.from(decodeURIComponent(payload), 'base64url').toString('utf8')), userId: tenant.admin.id };
    const adminBefore = await passwordRow(tenant.admin.id);
    await tampered.page.context().addCookies([{ ...tampered.proof, value: `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}` }]);
    await chooseWithKeyboard(tampered.page, 'Tampered-Harbor-Lamp-4');
    await refused(tampered.page, 'tampered proof');
    expect(await passwordRow(tenant.admin.id)).toEqual(adminBefore);
    await tampered.page.context().close();

    // Unsigned: the same value without its signature.
    const unsigned = await atChangePage('noor', 'Granite-Window-Pass-8');
    await unsigned.page
      .context()
      .addCookies([{ ...unsigned.proof, value: decodeURIComponent(unsigned.proof.value.slice(0, unsigned.proof.value.lastIndexOf('.'))) }]);
    await chooseWithKeyboard(unsigned.page, 'Unsigned-Harbor-Lamp-5');
    await refused(unsigned.page, 'unsigned proof');
    await unsigned.page.context().close();

    // Replayed after the change it made: the change is posted (its 303 not yet followed, so the sign-in is
    // still open), then the same proof is sent again with another password.
    const replay = await atChangePage('noor', 'Granite-Window-Pass-8');
    const send = (password: string) =>
      replay.page.request.post(replay.action, { form: { _csrf: replay.csrf, newPassword: password, confirmPassword: password }, maxRedirects: 0 });
    expect((await send('Chosen-Harbor-Lamp-6')).status()).toBe(303);
    const changed = await passwordRow(id);
    expect(changed.must_change_password).toBe(0);
    expect(changed.password_hash).not.toBe(before.password_hash);
    await replay.page.context().addCookies([replay.proof]);
    const again = await send('Replayed-Harbor-Lamp-7');
    expect(again.status()).toBe(400);
    expect(await again.text()).toContain('Sign in again');
    expect(await passwordRow(id)).toEqual(changed);
    await replay.page.context().close();
  });

  it('cancelling the sign-in on the change page clears the proof of the password', async () => {
    await memberOwingAChange('olle', 'Granite-Window-Pass-2');
    const { page } = await atChangePage('olle', 'Granite-Window-Pass-2');
    await page.getByRole('button', { name: 'Cancel' }).last().click();
    await page.waitForURL(`${portal.url}/callback**`);
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('foyer_password_change');
    await page.context().close();
  });

  it('changes are limited per member: past FOYER_SIGNIN_ATTEMPT_LIMIT attempts in the window, even the right pair is refused with 429', async () => {
    const id = await memberOwingAChange('petra', 'Granite-Window-Pass-3');
    const { page, action, csrf } = await atChangePage('petra', 'Granite-Window-Pass-3');
    const before = await passwordRow(id);
    const send = (first: string, second: string) =>
      page.request.post(action, { form: { _csrf: csrf, newPassword: first, confirmPassword: second }, maxRedirects: 0 });
    for (let i = 0; i < foyer.ctx.config.signInAttemptLimit; i++) expect((await send('Almost-Right-Pass-1', 'Almost-Right-Pass-2')).status()).toBe(400);
    const limited = await send('Copper-Chosen-Meadow-9', 'Copper-Chosen-Meadow-9');
    expect(limited.status()).toBe(429);
    expect(Number(limited.headers()['retry-after'])).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many attempts to change your password');
    expect(await passwordRow(id)).toEqual(before);
    await page.context().close();
  });

  it('a member who owes a change cannot redeem an invitation to another organization with the password the administrator set, in English and Swedish', async () => {
    const id = await memberOwingAChange('ines', 'Granite-Window-Pass-4');
    const invited = await graph(foyer, fabrikamToken, 'POST', '/invitations', {
      invitedUserEmailAddress: 'ines@contoso.example',
      inviteRedirectUrl: `${fabrikamApp.url}/login`,
      sendInvitationMessage: false,
    });
    expect(invited.status).toBe(201);
    const guestId = invited.body.invitedUser.id as string;
    const tokensBefore = fabrikamApp.results.length;
    const texts = {
      'en-US': {
        invited: 'Fabrikam invited you',
        next: 'Next',
        passwordTitle: 'Sign in with your Contoso account',
        password: 'Password',
        signIn: 'Sign in',
        title: 'Choose a new password first',
        body: 'Contoso asks you to choose a new password first. Sign in to one of Contoso’s apps, choose it there, then come back.',
        wrong: 'Your account or password is incorrect',
      },
      'sv-SE': {
        invited: 'Fabrikam har bjudit in dig',
        next: 'Nästa',
        passwordTitle: 'Logga in med ditt konto hos Contoso',
        password: 'Lösenord',
        signIn: 'Logga in',
        title: 'Välj ett nytt lösenord först',
        body: 'Contoso vill att du väljer ett nytt lösenord först. Logga in i en av Contosos appar, välj det där och kom sedan tillbaka.',
        wrong: 'Kontot eller lösenordet är felaktigt',
      },
    } as const;
    for (const locale of ['en-US', 'sv-SE'] as const) {
      const t = texts[locale];
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await page.goto(invited.body.inviteRedeemUrl);
      await expect.poll(() => page.getByRole('heading', { name: t.invited }).isVisible()).toBe(true);
      await page.getByRole('button', { name: t.next }).click();
      await expect.poll(() => page.getByRole('heading', { name: t.passwordTitle }).isVisible()).toBe(true);
      // A wrong password gets the usual answer: the refusal below says nothing before the password is right.
      await page.getByLabel(t.password, { exact: true }).fill('Not-The-Password-1');
      await page.getByRole('button', { name: t.signIn }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain(t.wrong);
      await page.getByLabel(t.password, { exact: true }).fill('Granite-Window-Pass-4');
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/password')),
        page.getByRole('button', { name: t.signIn }).click(),
      ]);
      expect(answer.status()).toBe(403);
      await expect.poll(() => page.getByRole('heading', { name: t.title }).isVisible()).toBe(true);
      expect(await page.getByText(t.body).isVisible()).toBe(true);
      await expectAccessible(page, `change-password-first page (${locale})`);
      await context.close();
    }
    expect(fabrikamApp.results.length).toBe(tokensBefore);
    expect((await passwordRow(id)).must_change_password).toBe(1);
    const guest = await graph(foyer, fabrikamToken, 'GET', `/users/${guestId}?$select=externalUserState`);
    expect(guest.body.externalUserState).toBe('PendingAcceptance');

    // As the page says: the change made at one of Contoso's apps, the invitation is redeemed without a password.
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${portal.url}/login`);
    await page.getByLabel('Email address').fill('ines@contoso.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password', { exact: true }).fill('Granite-Window-Pass-4');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Change your password' }).isVisible()).toBe(true);
    await chooseWithKeyboard(page, 'Copper-Chosen-Orchard-12');
    await page.waitForURL(`${portal.url}/callback**`);
    await page.goto(invited.body.inviteRedeemUrl);
    await expect.poll(() => page.getByRole('heading', { name: 'Fabrikam invited you' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Review permissions' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`${fabrikamApp.url}/callback**`);
    expect(fabrikamApp.results.at(-1)!.claims).toMatchObject({ tid: fabrikam.id, oid: guestId, idp: tenant.issuer });
    await context.close();
  });

  it('forceChangePasswordNextSignInWithMfa: true is refused as not supported by Foyer, which has no MFA', async () => {
    const res = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: 'Mfa Person',
      mailNickname: 'mfa',
      userPrincipalName: 'mfa@contoso.example',
      passwordProfile: { forceChangePasswordNextSignInWithMfa: true, password: TEMPORARY },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('Request_UnsupportedQuery');
    expect(res.body.error.message).toContain('not supported by Foyer');
    const withFalse = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: 'Mfa Person',
      mailNickname: 'mfa',
      userPrincipalName: 'mfa@contoso.example',
      passwordProfile: { forceChangePasswordNextSignIn: false, forceChangePasswordNextSignInWithMfa: false, password: TEMPORARY },
    });
    expect(withFalse.status).toBe(201);
  });
});
