/**
 * MFA in the resource organization, end to end in Chromium, each sign-in ending at a real openid-client
 * relying party that validates the ID token (and its `amr`): a passcode guest redeems and registers an
 * authenticator app (the test computes codes from the key the page shows), the next sign-in asks for a
 * code, a replayed code is refused, a recovery code works once; a member registers a passkey through
 * Chromium's virtual authenticator and signs in with it; a Fabrikam member who did MFA at home enters
 * Contoso without a second challenge only once Contoso trusts Fabrikam's MFA; an administrator's reset
 * makes the guest register again; a report-only policy blocks nothing and is recorded. Every MFA page
 * passes axe-core, in English and Swedish.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSignInRecords } from '../../src/directory/sign-in-list.js';
import { flushSignInLog } from '../../src/directory/sign-in-log.js';
import { createMember } from '../../src/directory/users.js';
import { signInNeedsMfaAgain } from '../../src/mfa/sign-in-check.js';
import { totpCodeAt } from '../../src/mfa/totp.js';
import { backends } from '../support/backends.js';
import { expectAccessible, expectHeading, landedAt, launchChromium } from '../support/chromium.js';
import type { TestTenant } from '../support/foyer.js';
import { type GuestWorld, linkIn, redeemWithPasscode as redeem, startGuestWorld } from '../support/guests.js';
import { type RelyingParty, startTenantApp } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('MFA in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let security: string;
  let fabrikam: TestTenant;
  let fabrikamApp: RelyingParty;
  let fabrikamSecurity: string;
  const guestSecrets = new Map<string, string>();

  const policy = (displayName: string, users: Record<string, string[]>, state = 'enabled') => ({
    displayName,
    state,
    conditions: { users, applications: { includeApplications: ['All'] } },
    grantControls: { operator: 'OR', builtInControls: ['mfa'] },
  });

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    const permissions = [
      'Policy.ReadWrite.ConditionalAccess',
      'Policy.ReadWrite.CrossTenantAccess',
      'UserAuthenticationMethod.ReadWrite.All',
      'User.ReadWrite.All',
    ];
    security = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Security admin', applicationPermissions: permissions }),
    );
    const guests = await graph(
      w.foyer,
      security,
      'POST',
      '/identity/conditionalAccess/policies',
      policy('Guests need MFA', { includeUsers: ['GuestsOrExternalUsers'] }),
    );
    expect(guests.status).toBe(201);
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    fabrikamApp = await startTenantApp(w.foyer, fabrikam, 'Fabrikam intranet');
    fabrikamSecurity = await appToken(
      w.foyer,
      fabrikam,
      await w.foyer.createApp(fabrikam.id, { displayName: 'Security', applicationPermissions: permissions }),
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await fabrikamApp?.close();
    await w?.close();
  });

  const heading = (page: Page, name: string | RegExp) => expectHeading(page, name);
  const landed = landedAt;

  /** The authenticator app's key as the setup page shows it (grouped by four), without the spaces. */
  const keyOnPage = async (page: Page) => ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');

  /** Redeems an invitation to `address` with a passcode, up to the consent's Accept. */
  async function redeemWithPasscode(context: BrowserContext, address: string) {
    const page = await context.newPage();
    const inv = await redeem(w, page, address, (p) => heading(p, 'Review permissions'));
    return { page, inv };
  }

  /** A returning passcode guest signs in to the portal, up to the page after the passcode. */
  async function guestSignIn(context: BrowserContext, address: string, swedish = false): Promise<Page> {
    const t = swedish
      ? { email: 'E-postadress', next: 'Nästa', send: 'Skicka kod', code: 'Kod', signIn: 'Logga in' }
      : { email: 'Email address', next: 'Next', send: 'Send code', code: 'Code', signIn: 'Sign in' };
    const page = await context.newPage();
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel(t.email).fill(address);
    await page.getByRole('button', { name: t.next }).click();
    const before = w.smtp.messages.length;
    await page.getByRole('button', { name: t.send }).click();
    await page.getByLabel(t.code, { exact: true }).fill(await w.passcode(address, before));
    await page.getByRole('button', { name: t.signIn }).click();
    await page.waitForLoadState('load');
    return page;
  }

  it('a passcode guest registers an authenticator app right after consent, lands in the app, and is asked for a code at the next sign-in; a replayed code is refused; a recovery code works once', async () => {
    const address = 'tova@outlook.example';
    const first = await browser.newContext({ locale: 'en-US' });
    const { page, inv } = await redeemWithPasscode(first, address);
    await heading(page, 'More information required');
    await page.getByRole('link', { name: 'Authenticator app' }).click();
    await heading(page, 'Set up your authenticator app');
    expect(await page.locator('figure.qr svg').count()).toBe(1);
    const secret = await keyOnPage(page);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    guestSecrets.set(address, secret);
    // A wrong first code registers nothing.
    await page.getByLabel('Code', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('didn’t work');
    await expectAccessible(page, 'setup, wrong code');
    expect(await keyOnPage(page)).toBe(secret);
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Save your recovery codes');
    const codes = (await page.locator('ul.recovery-codes code').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await page.getByRole('button', { name: 'Continue' }).click();
    const claims = await landed(page, w.portal);
    expect(claims).toMatchObject({ oid: inv.guestId, idp: 'mail' });
    expect(claims.amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
    await first.close();

    // The next sign-in, in a new browser: the passcode, then the authenticator app's code.
    const second = await browser.newContext({ locale: 'en-US' });
    const next = await guestSignIn(second, address);
    await heading(next, 'Verify your identity');
    const code = totpCodeAt(secret, Date.now() + 30_000); // the next step: the registration's was spent
    await next.getByLabel('Code', { exact: true }).fill(code);
    await next.getByRole('button', { name: 'Verify' }).click();
    expect((await landed(next, w.portal)).amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
    await second.close();

    // The same code again, from another browser: refused, and nothing is issued.
    const third = await browser.newContext({ locale: 'en-US' });
    const replay = await guestSignIn(third, address);
    await heading(replay, 'Verify your identity');
    const results = w.portal.results.length;
    await replay.getByLabel('Code', { exact: true }).fill(code);
    await replay.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => replay.getByRole('alert').textContent()).toContain('didn’t work');
    await expectAccessible(replay, 'challenge, replayed code');
    expect(w.portal.results.length).toBe(results);

    // Lost phone: a recovery code, through "Use another method".
    await replay.getByRole('link', { name: 'Use another method' }).click();
    await heading(replay, 'Use another method');
    await replay.getByRole('link', { name: 'Use a recovery code' }).click();
    await heading(replay, 'Enter a recovery code');
    await replay.getByLabel('Recovery code').fill(codes[0]!);
    await replay.getByRole('button', { name: 'Verify' }).click();
    expect((await landed(replay, w.portal)).amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
    await third.close();

    // That recovery code is spent.
    const fourth = await browser.newContext({ locale: 'en-US' });
    const again = await guestSignIn(fourth, address);
    await heading(again, 'Verify your identity');
    await again.goto(`${w.foyer.url}/mfa/recovery`);
    await again.getByLabel('Recovery code').fill(codes[0]!);
    await again.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => again.getByRole('alert').textContent()).toContain('didn’t work');
    await fourth.close();
  });

  it('an administrator’s reset makes the guest register again at the next sign-in', async () => {
    const address = 'tova@outlook.example';
    const guest = (await graph(w.foyer, security, 'GET', `/users?$filter=mail eq '${address}'`)).body.value[0];
    const methods = await graph(w.foyer, security, 'GET', `/users/${guest.id}/authentication/methods`);
    const oath = methods.body.value.filter((m: { '@odata.type': string }) => m['@odata.type'] === '#microsoft.graph.softwareOathAuthenticationMethod');
    expect(oath).toHaveLength(1);
    expect((await graph(w.foyer, security, 'DELETE', `/users/${guest.id}/authentication/softwareOathMethods/${oath[0].id}`)).status).toBe(204);

    const context = await browser.newContext({ locale: 'sv-SE' });
    const page = await guestSignIn(context, address, true);
    await heading(page, 'Mer information krävs');
    await page.getByRole('link', { name: 'Autentiseringsapp' }).click();
    await heading(page, 'Konfigurera din autentiseringsapp');
    const secret = await keyOnPage(page);
    expect(secret).not.toBe(guestSecrets.get(address));
    await page.getByLabel('Kod', { exact: true }).fill(totpCodeAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Nästa' }).click();
    await heading(page, 'Spara dina återställningskoder');
    await page.getByRole('button', { name: 'Fortsätt' }).click();
    expect((await landed(page, w.portal)).amr).toEqual(expect.arrayContaining(['mfa']));
    await context.close();
  });

  it('a member registers a passkey with Chromium’s virtual authenticator and signs in with it', async () => {
    const member = await createMember(w.foyer.ctx, w.contoso.id, {
      userPrincipalName: 'pia@contoso.example',
      displayName: 'Pia Passkey',
      password: 'Harbor-Lantern-77',
    });
    const created = await graph(w.foyer, security, 'POST', '/identity/conditionalAccess/policies', policy('Pia needs MFA', { includeUsers: [member.id] }));
    expect(created.status).toBe(201);
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    const passwordSignIn = async () => {
      await page.goto(`${w.portal.url}/login`);
      await page.getByLabel('Email address').fill('pia@contoso.example');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Password', { exact: true }).fill('Harbor-Lantern-77');
      await page.getByRole('button', { name: 'Sign in' }).click();
    };
    await passwordSignIn();
    await heading(page, 'More information required');
    await page.getByRole('link', { name: 'Passkey or security key' }).click();
    await heading(page, 'Create a passkey');
    await page.getByLabel('Name').fill('Work laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await heading(page, 'Save your recovery codes');
    await page.getByRole('button', { name: 'Continue' }).click();
    const registered = await landed(page, w.portal);
    expect(registered.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
    const listed = await graph(w.foyer, security, 'GET', `/users/${member.id}/authentication/fido2Methods`);
    expect(listed.body.value.map((m: { displayName: string }) => m.displayName)).toEqual(['Work laptop']);

    // A new sign-in in the same browser, its cookies gone (the authenticator stays): the passkey again.
    await context.clearCookies();
    await passwordSignIn();
    await heading(page, 'Verify your identity');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    const again = await landed(page, w.portal);
    expect(again.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
    await context.close();
  });

  it('a Fabrikam member who did MFA at home enters Contoso without a second challenge only when Contoso trusts Fabrikam’s MFA', async () => {
    const frank = await createMember(w.foyer.ctx, fabrikam.id, {
      userPrincipalName: 'frank@fabrikam.example',
      displayName: 'Frank',
      password: 'Meadow-Compass-19',
    });
    expect((await graph(w.foyer, fabrikamSecurity, 'POST', '/identity/conditionalAccess/policies', policy('Everyone', { includeUsers: ['All'] }))).status).toBe(
      201,
    );

    /** Frank signs in at home, with his password and his authenticator app (registered at the first sign-in). */
    let frankSecret = '';
    let frankCodes: string[] = [];
    async function signInAtHome(context: BrowserContext, how: 'register' | 'app' | 'recovery code'): Promise<Page> {
      const page = await context.newPage();
      await page.goto(`${fabrikamApp.url}/login`);
      await page.getByLabel('Email address').fill('frank@fabrikam.example');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel('Password', { exact: true }).fill('Meadow-Compass-19');
      await page.getByRole('button', { name: 'Sign in' }).click();
      if (how === 'register') {
        await page.getByRole('link', { name: 'Authenticator app' }).click();
        frankSecret = await keyOnPage(page);
        await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(frankSecret, Date.now()));
        await page.getByRole('button', { name: 'Next' }).click();
        await heading(page, 'Save your recovery codes');
        frankCodes = (await page.locator('ul.recovery-codes code').allTextContents()).map((c) => c.trim());
        await page.getByRole('button', { name: 'Continue' }).click();
      } else if (how === 'app') {
        // The next 30-second step: the registration's own was spent.
        await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(frankSecret, Date.now() + 30_000));
        await page.getByRole('button', { name: 'Verify' }).click();
      } else {
        await page.getByRole('link', { name: 'Use another method' }).click();
        await page.getByRole('link', { name: 'Use a recovery code' }).click();
        await page.getByLabel('Recovery code').fill(frankCodes.pop()!);
        await page.getByRole('button', { name: 'Verify' }).click();
      }
      expect((await landed(page, fabrikamApp)).amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
      return page;
    }

    // Without trust: Contoso asks Frank for its own second factor, right after consent.
    const untrusted = await browser.newContext({ locale: 'en-US' });
    const page = await signInAtHome(untrusted, 'register');
    const inv = await w.invite('frank@fabrikam.example');
    await page.goto(linkIn(inv.mail!));
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Review permissions');
    await page.getByRole('button', { name: 'Accept' }).click();
    await heading(page, 'More information required');
    await untrusted.close();

    // Contoso trusts Fabrikam's MFA: Frank, after MFA at home, enters Contoso's app with nothing more to prove.
    const partner = await graph(w.foyer, security, 'POST', '/policies/crossTenantAccessPolicy/partners', {
      tenantId: fabrikam.id,
      inboundTrust: { isMfaAccepted: true },
    });
    expect(partner.status).toBe(201);
    const trusted = await browser.newContext({ locale: 'en-US' });
    const home = await signInAtHome(trusted, 'app');
    await home.goto(`${w.portal.url}/login?login_hint=frank@fabrikam.example`);
    const claims = await landed(home, w.portal);
    expect(claims).toMatchObject({ oid: inv.guestId });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
    await trusted.close();
    // What a refresh of that sign-in is asked (the check behind the token endpoint's refresh grant).
    const refreshOf = {
      tenantId: w.contoso.id,
      accountId: inv.guestId,
      clientId: String(claims.aud),
      amr: claims.amr as string[],
      authTime: Number(claims.auth_time),
    };
    expect(await signInNeedsMfaAgain(w.foyer.ctx, refreshOf, 'refresh')).toBe(false);

    // Trust withdrawn: the same way in asks for Contoso's own registration again, and that sign-in no
    // longer refreshes.
    expect((await graph(w.foyer, security, 'DELETE', `/policies/crossTenantAccessPolicy/partners/${fabrikam.id}`)).status).toBe(204);
    expect(await signInNeedsMfaAgain(w.foyer.ctx, refreshOf, 'refresh')).toBe(true);
    const withdrawn = await browser.newContext({ locale: 'en-US' });
    const back = await signInAtHome(withdrawn, 'recovery code');
    await back.goto(`${w.portal.url}/login?login_hint=frank@fabrikam.example`);
    await heading(back, 'More information required');
    await withdrawn.close();
    void frank;
  });

  it('a report-only policy blocks nothing, and the sign-in records what it would have done', async () => {
    const rita = await createMember(w.foyer.ctx, w.contoso.id, {
      userPrincipalName: 'rita@contoso.example',
      displayName: 'Rita Report',
      password: 'Orchard-Signal-55',
    });
    const created = await graph(w.foyer, security, 'POST', '/identity/conditionalAccess/policies', {
      ...policy('Trial: MFA for Rita', { includeUsers: [rita.id] }, 'enabledForReportingButNotEnforced'),
    });
    expect(created.status).toBe(201);
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('Email address').fill('rita@contoso.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password', { exact: true }).fill('Orchard-Signal-55');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await landed(page, w.portal)).amr).toEqual(['pwd']);
    await context.close();
    await flushSignInLog(w.foyer.ctx);
    const records = await listSignInRecords(w.foyer.ctx.db.kysely, w.contoso.id, rita.id);
    expect(records).toHaveLength(1);
    expect(records[0]!.errorCode).toBe(0);
    const applied = records[0]!.appliedConditionalAccessPolicies.find((p) => p.id === created.body.id);
    expect(applied?.result).toMatch(/^reportOnly/);
    expect(applied?.result).not.toBe('reportOnlyNotApplied');
  });
});
