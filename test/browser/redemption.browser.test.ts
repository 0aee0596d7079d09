/**
 * Every redemption path in Chromium, from the e-mail a real SMTP server received to the app's callback,
 * where openid-client validates the guest's ID token: a member of another tenant on this instance (and
 * single sign-on into Contoso's and Fabrikam's apps afterwards), the wrong account signed in, an external
 * OpenID provider (a second provider on loopback), creating a personal account and later signing in with
 * it, redemption by signing in to an app (no e-mail), Swedish pages, and a disabled guest. Every Foyer page
 * on the way passes axe-core (no serious or critical violation); the test provider's own pages are not Foyer's.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateTenant } from '../../src/directory/tenants.js';
import { createMember } from '../../src/directory/users.js';
import { personalIssuer } from '../../src/redemption/home-realm.js';
import { backends } from '../support/backends.js';
import { expectAccessible, launchChromium } from '../support/chromium.js';
import { type ExternalIdp, startExternalIdp } from '../support/external-idp.js';
import type { TestTenant } from '../support/foyer.js';
import { type GuestWorld, linkIn, startGuestWorld } from '../support/guests.js';
import { type RelyingParty, startTenantApp } from '../support/relying-party.js';
import { graph } from '../support/tokens.js';

describe.each(backends)('redemption in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let fabrikam: TestTenant;
  let fabrikamApp: RelyingParty;
  let idp: ExternalIdp;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    await createMember(w.foyer.ctx, fabrikam.id, {
      userPrincipalName: 'alice@fabrikam.example',
      displayName: 'Alice Fabrikam',
      password: 'Garden-Passphrase-1',
    });
    await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'bob@fabrikam.example', displayName: 'Bob Fabrikam', password: 'Bob-Passphrase-1' });
    fabrikamApp = await startTenantApp(w.foyer, fabrikam, 'Fabrikam intranet');
    idp = await startExternalIdp(`${w.foyer.url}/guest/callback`);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await fabrikamApp?.close();
    await w?.close();
  });

  /** Waits for the page of that heading, then checks it with axe-core: every page a guest meets, at every step. */
  const heading = async (page: Page, name: string | RegExp) => {
    await expect.poll(() => page.getByRole('heading', { name }).isVisible(), { timeout: 10_000 }).toBe(true);
    await expectAccessible(page, String(name));
  };
  const landed = async (page: Page, app: RelyingParty) => {
    await page.waitForURL(`${app.url}/callback**`);
    return app.results.at(-1)!.claims;
  };
  const state = async (id: string) => (await graph(w.foyer, w.admin, 'GET', `/users/${id}?$select=externalUserState,identities,accountEnabled`)).body;

  async function signInAt(page: Page, app: RelyingParty, email: string, password: string) {
    await page.goto(`${app.url}/login`);
    await expect.poll(() => page.getByLabel('Email address').isVisible()).toBe(true);
    await expectAccessible(page, 'sign-in page');
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return landed(page, app);
  }

  it('a Fabrikam member signed in as someone else is told so, switches, redeems with their Fabrikam account, and then enters both organizations’ apps without a password', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await signInAt(page, fabrikamApp, 'bob@fabrikam.example', 'Bob-Passphrase-1');

    const inv = await w.invite('alice@fabrikam.example');
    await page.goto(linkIn(inv.mail!));
    await heading(page, 'Contoso invited you');
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'This invitation is for a different account');
    await expect
      .poll(() => page.getByText('You are signed in as bob@fabrikam.example, but this invitation was sent to a••••@fabrikam.example').isVisible())
      .toBe(true);
    await page.getByRole('button', { name: 'Use another account' }).click();

    await heading(page, 'Sign in with your Fabrikam account');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your account or password is incorrect');
    await expectAccessible(page, 'wrong password');
    await page.getByLabel('Password').fill('Garden-Passphrase-1');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await heading(page, 'Review permissions');
    expect((await state(inv.guestId)).externalUserState).toBe('PendingAcceptance');
    await page.getByRole('button', { name: 'Accept' }).click();
    const claims = await landed(page, w.portal);
    expect(claims).toMatchObject({ tid: w.contoso.id, oid: inv.guestId, acct: 1, idp: fabrikam.issuer, email: 'alice@fabrikam.example', amr: ['pwd'] });
    const guest = await state(inv.guestId);
    expect(guest.externalUserState).toBe('Accepted');
    const alice = (await w.foyer.ctx.db.kysely.selectFrom('users').select('id').where('upn_lower', '=', 'alice@fabrikam.example').executeTakeFirstOrThrow()).id;
    expect(guest.identities).toContainEqual({ signInType: 'federated', issuer: fabrikam.issuer, issuerAssignedId: alice });

    // Single sign-on across tenants: Contoso's app again, and Fabrikam's own, with no page in between.
    const before = w.portal.results.length;
    await page.goto(`${w.portal.url}/login`);
    await landed(page, w.portal);
    expect(w.portal.results).toHaveLength(before + 1);
    await context.close();

    // A fresh browser signs the guest in to Contoso identifier-first: the address leads to Fabrikam.
    const fresh = await browser.newContext({ locale: 'en-US' });
    const p2 = await fresh.newPage();
    await p2.goto(`${w.portal.url}/login`);
    await p2.getByLabel('Email address').fill('alice@fabrikam.example');
    await p2.getByRole('button', { name: 'Next' }).click();
    await heading(p2, 'Sign in with your Fabrikam account');
    await p2.getByLabel('Password').fill('Garden-Passphrase-1');
    await p2.getByRole('button', { name: 'Sign in' }).click();
    expect(await landed(p2, w.portal)).toMatchObject({ oid: inv.guestId, acct: 1, idp: fabrikam.issuer });
    // …and having proven Alice's Fabrikam account there, Fabrikam's own app asks for nothing either.
    await p2.goto(`${fabrikamApp.url}/login`);
    expect(await landed(p2, fabrikamApp)).toMatchObject({ tid: fabrikam.id, oid: alice, acct: 0 });
    await fresh.close();
  });

  it('redeems through an external OpenID provider set up for the domain, and refuses an account for another address', async () => {
    const created = await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', {
      '@odata.type': '#microsoft.graph.oidcIdentityProvider',
      displayName: 'Partner login',
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientAuthentication: { '@odata.type': '#microsoft.graph.oidcClientSecretAuthentication', clientSecret: idp.clientSecret },
      domains: ['partner.example'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).not.toHaveProperty('clientAuthentication');
    const inv = await w.invite('pat@partner.example');
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const loginAtProvider = async (login: string) => {
      await page.waitForURL(`${idp.issuer}/**`);
      await page.locator('input[name=login]').fill(login);
      await page.locator('input[name=password]').fill('anything');
      await page.locator('button[type=submit]').click();
      await page.locator('button[type=submit]').click(); // the provider's own consent
    };
    await page.goto(linkIn(inv.mail!));
    await page.getByRole('button', { name: 'Next' }).click();
    await loginAtProvider('mallory@partner.example');
    await heading(page, 'This invitation is for a different account');
    expect((await state(inv.guestId)).externalUserState).toBe('PendingAcceptance');

    await page.getByRole('button', { name: 'Use another account' }).click();
    await loginAtProvider('pat@partner.example');
    await heading(page, 'Review permissions');
    await page.getByRole('button', { name: 'Accept' }).click();
    expect(await landed(page, w.portal)).toMatchObject({ oid: inv.guestId, acct: 1, idp: idp.issuer, email: 'pat@partner.example' });
    expect((await state(inv.guestId)).identities).toContainEqual({ signInType: 'federated', issuer: idp.issuer, issuerAssignedId: 'pat@partner.example' });
    await context.close();

    // Later, in another browser: identifier-first at Contoso sends Pat to the provider and back.
    const later = await browser.newContext({ locale: 'en-US' });
    const p2 = await later.newPage();
    await p2.goto(`${w.portal.url}/login`);
    await p2.getByLabel('Email address').fill('pat@partner.example');
    await p2.getByRole('button', { name: 'Next' }).click();
    await p2.waitForURL(`${idp.issuer}/**`);
    await p2.locator('input[name=login]').fill('pat@partner.example');
    await p2.locator('input[name=password]').fill('anything');
    await p2.locator('button[type=submit]').click();
    await p2.locator('button[type=submit]').click();
    expect(await landed(p2, w.portal)).toMatchObject({ oid: inv.guestId, acct: 1, idp: idp.issuer });
    await later.close();
  });

  it('creates a personal account at redemption when the tenant falls back to personal accounts, and a second organization then finds it', async () => {
    expect(
      (
        await graph(w.foyer, w.admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', {
          invitationRedemptionIdentityProviderConfiguration: { fallbackIdentityProvider: 'microsoftAccount' },
        })
      ).status,
    ).toBe(204);
    try {
      const inv = await w.invite('pia@mail.example');
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(linkIn(inv.mail!));
      await page.getByRole('button', { name: 'Next' }).click();
      await heading(page, 'Verify your e-mail address');
      const before = w.smtp.messages.length;
      await page.getByRole('button', { name: 'Send code' }).click();
      await page.getByLabel('Code').fill(await w.passcode('pia@mail.example', before));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading(page, 'Create your personal account');
      await page.getByLabel('Your name').fill('Pia Person');
      await page.getByLabel('New password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('at least 8 characters');
      await expectAccessible(page, 'sign-up error');
      await page.getByLabel('New password').fill('Pia-Passphrase-1');
      await page.getByRole('button', { name: 'Create account' }).click();
      await heading(page, 'Review permissions');
      await page.getByRole('button', { name: 'Accept' }).click();
      expect(await landed(page, w.portal)).toMatchObject({ oid: inv.guestId, acct: 1, idp: personalIssuer(w.foyer.url) });
      await context.close();
    } finally {
      await graph(w.foyer, w.admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', {
        invitationRedemptionIdentityProviderConfiguration: { fallbackIdentityProvider: 'defaultConfiguredIdp' },
      });
    }

    // Fabrikam invites the same address: the existing personal account is found (no code, no sign-up).
    const { createInvitation } = await import('../../src/invitations/create-invitation.js');
    const made = await createInvitation(
      w.foyer.ctx,
      fabrikam.id,
      { kind: 'cli', permissions: new Set(), actor: { kind: 'cli', displayName: 'test' } },
      {
        invitedUserEmailAddress: 'pia@mail.example',
        inviteRedirectUrl: `${fabrikamApp.url}/login`,
      },
    );
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(made.inviteRedeemUrl);
    await heading(page, 'Fabrikam invited you');
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Sign in with your personal account');
    await page.getByLabel('Password').fill('Pia-Passphrase-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Accept' }).click();
    expect(await landed(page, fabrikamApp)).toMatchObject({ tid: fabrikam.id, oid: made.invitedUser.id, acct: 1, idp: personalIssuer(w.foyer.url) });
    await context.close();

    // Later, in another browser: Fabrikam's sign-in page sends Pia to her personal account.
    const later = await browser.newContext({ locale: 'en-US' });
    const p2 = await later.newPage();
    await p2.goto(`${fabrikamApp.url}/login`);
    await p2.getByLabel('Email address').fill('pia@mail.example');
    await p2.getByRole('button', { name: 'Next' }).click();
    await heading(p2, 'Sign in with your personal account');
    await p2.getByLabel('Password').fill('Pia-Passphrase-1');
    await p2.getByRole('button', { name: 'Sign in' }).click();
    expect(await landed(p2, fabrikamApp)).toMatchObject({ oid: made.invitedUser.id, acct: 1, idp: personalIssuer(w.foyer.url) });
    await later.close();
  });

  it('redeems with a passcode from the e-mail, in the invitation’s language and under the organization’s branding', async () => {
    await updateTenant(w.foyer.ctx.db.kysely, w.contoso.id, {
      branding: { bannerLogoUrl: 'https://cdn.contoso.example/logo.png', backgroundColor: '#0a3d62' },
    });
    try {
      const inv = await w.invite('sara@outlook.example', { invitedUserMessageInfo: { messageLanguage: 'sv-SE' } });
      expect(inv.mail!.subject).toContain('Contoso');
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(linkIn(inv.mail!));
      await heading(page, 'Contoso har bjudit in dig');
      expect(await page.locator('header.brand img').getAttribute('src')).toBe('https://cdn.contoso.example/logo.png');
      await page.getByRole('button', { name: 'Nästa' }).click();
      const before = w.smtp.messages.length;
      await page.getByRole('button', { name: 'Skicka kod' }).click();
      await expect.poll(() => page.getByLabel('Kod').isVisible()).toBe(true);
      await expectAccessible(page, 'kod skickad, under varumärket');
      await page.getByLabel('Kod').fill(await w.passcode('sara@outlook.example', before));
      await page.getByRole('button', { name: 'Logga in' }).click();
      await heading(page, 'Granska behörigheter');
      await page.getByRole('button', { name: 'Godkänn' }).click();
      expect(await landed(page, w.portal)).toMatchObject({ oid: inv.guestId, acct: 1, idp: 'mail', email: 'sara@outlook.example', amr: ['otp'] });
      await context.close();
    } finally {
      await updateTenant(w.foyer.ctx.db.kysely, w.contoso.id, { branding: {} });
    }
  });

  it('redeems without an e-mail by signing in to the app, in Swedish; a disabled guest then cannot sign in', async () => {
    const inv = await w.invite('jit@outlook.example', { sendInvitationMessage: false });
    const context = await browser.newContext({ locale: 'sv-SE' });
    const page = await context.newPage();
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('E-postadress').fill('jit@outlook.example');
    await page.getByRole('button', { name: 'Nästa' }).click();
    await heading(page, 'Bekräfta din e-postadress');
    const before = w.smtp.messages.length;
    await page.getByRole('button', { name: 'Skicka kod' }).click();
    const code = await w.passcode('jit@outlook.example', before);
    expect(w.smtp.messages.at(-1)!.subject).toBe('Din verifieringskod för Contoso');
    await page.getByLabel('Kod').fill(code);
    await page.getByRole('button', { name: 'Logga in' }).click();
    await heading(page, 'Granska behörigheter');
    await page.getByRole('button', { name: 'Godkänn' }).click();
    expect(await landed(page, w.portal)).toMatchObject({ oid: inv.guestId, acct: 1, idp: 'mail', amr: ['otp'] });
    expect((await state(inv.guestId)).externalUserState).toBe('Accepted');

    expect((await graph(w.foyer, w.admin, 'PATCH', `/users/${inv.guestId}`, { accountEnabled: false })).status).toBe(204);
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('E-postadress').fill('jit@outlook.example');
    await page.getByRole('button', { name: 'Nästa' }).click();
    // Disabling ended the guest's sign-ins: the code proved before counts no more, so a new one is asked
    // for, and only then is the person told that their access is turned off.
    await heading(page, 'Bekräfta din e-postadress');
    const beforeSecond = w.smtp.messages.length;
    await page.getByRole('button', { name: 'Skicka kod' }).click();
    await page.getByLabel('Kod').fill(await w.passcode('jit@outlook.example', beforeSecond));
    await page.getByRole('button', { name: 'Logga in' }).click();
    await heading(page, 'Din åtkomst är avstängd');
    await context.close();
  });

  it('tells someone who proves an address that is no guest of the organization, without saying so before the proof', async () => {
    const context: BrowserContext = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('Email address').fill('stranger@outlook.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Verify your e-mail address');
    const before = w.smtp.messages.length;
    await page.getByRole('button', { name: 'Send code' }).click();
    // The page reads as for a guest, but no code is sent to an address Contoso never invited.
    await expect.poll(() => page.getByLabel('Code').isVisible()).toBe(true);
    await expectAccessible(page, 'passcode sent');
    await new Promise((r) => setTimeout(r, 500));
    expect(w.smtp.messages.slice(before).some((m) => JSON.stringify(m.to).includes('stranger@outlook.example'))).toBe(false);
    await context.close();
  });
});
