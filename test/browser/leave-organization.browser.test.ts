/**
 * "My organizations" and leaving, end to end in Chromium: a guest who redeemed with a one-time passcode
 * opens /myaccount/organizations, sees Contoso with its name, logo, privacy statement and since-when,
 * leaves it after confirming, and can no longer sign in to Contoso's app (its openid-client relying party
 * hears login_required; signing in again through the pages with the same address gets Contoso's "You don’t
 * have access" page, and the app no code); the guest is gone from /users, listed in the deleted users, and
 * audited as "Delete external user" by themselves. With Contoso's leave setting off, a browser that signs in through the page (its "Check your
 * inbox" answer, the link mailed to a real SMTP server on loopback, then the guest pages' passcode) is
 * refused and told to write to the privacy contact, as is a disabled guest; an address that is no guest
 * gets the same answer and no mail. A member of another organization on the instance signs in on the page
 * through the mailed link with their home password and sees that organization as home, not to be left.
 * Every page passes axe-core, in English and Swedish.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateTenant } from '../../src/directory/tenants.js';
import { createMember } from '../../src/directory/users.js';
import type { Clock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { expectHeading, landedAt, launchChromium } from '../support/chromium.js';
import { type GuestWorld, linkIn, redeemWithPasscode, startGuestWorld, waitForMail } from '../support/guests.js';
import { appToken, graph } from '../support/tokens.js';

/** A 1×1 PNG, so the logo loads on a machine without network (the pages' CSP allows data: images). */
const LOGO = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe.each(backends)('My organizations and leaving in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let settings: string;
  /** The instance's clock: real time, moved forward by the test. */
  let ahead = 0;
  const clock: Clock = { now: () => Date.now() + ahead };

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    settings = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Leave settings', applicationPermissions: ['Policy.ReadWrite.ExternalIdentities'] }),
    );
    await updateTenant(w.foyer.ctx.db.kysely, w.contoso.id, {
      branding: { bannerLogoUrl: LOGO },
      privacyStatementUrl: 'https://contoso.example/privacy',
      privacyContactEmail: 'privacy@contoso.example',
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  const myOrganizations = () => `${w.foyer.url}/myaccount/organizations`;
  const heading = (page: Page, name: string | RegExp) => expectHeading(page, name, 1);
  const names = (page: Page) => page.locator('.organization-name').allTextContents();
  const main = async (page: Page) => (await page.locator('main').textContent()) ?? '';

  /**
   * The page's sign-in for `address`: "Check your inbox", then the link in the mail it was sent, opened in
   * `page` ("Continue", in Swedish too), which leads on to the guest pages. Returns the link and what the
   * "Check your inbox" page said.
   */
  async function signInByMail(context: BrowserContext, page: Page, address: string): Promise<{ link: string; answer: string }> {
    await heading(page, 'Sign in to see your organizations');
    const before = w.smtp.messages.length;
    await page.getByLabel('Email address').fill(address);
    await page.getByRole('button', { name: 'Send link' }).click();
    await heading(page, 'Check your inbox');
    expect(await page.getByRole('status').textContent()).toBe(
      'If this address belongs to a guest of an organization on this instance, we sent it a link to sign in. Check your inbox.',
    );
    const answer = await main(page);
    const mail = await waitForMail(w.smtp, address, before);
    const link = /(http:\/\/localhost:\d+\/myaccount\/organizations\/link\?ticket=[\w-]+)/.exec(mail.text ?? '')?.[1];
    expect(link, mail.text).toBeDefined();
    await page.goto(link!);
    await heading(page, 'Continue to your organizations');
    await inSwedish(context, link!, 'Fortsätt till dina organisationer');
    await page.getByRole('button', { name: 'Continue' }).click();
    return { link: link!, answer };
  }

  /** The same browser (its cookies) in Swedish: the page at `url` has the heading `name` and passes axe. */
  async function inSwedish(context: BrowserContext, url: string, name: string) {
    const swedish = await browser.newContext({ locale: 'sv-SE', storageState: await context.storageState() });
    const sv = await swedish.newPage();
    await sv.goto(url);
    await heading(sv, name);
    await swedish.close();
  }

  it('a guest sees the organization, leaves it after confirming, and can no longer sign in to its app', async () => {
    const address = 'lea@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const { guestId } = await redeemWithPasscode(w, page, address);
    await page.waitForURL(`${w.portal.url}/callback**`);

    await page.goto(myOrganizations());
    await heading(page, 'My organizations');
    expect(await names(page)).toEqual(['Contoso']);
    expect(await main(page)).toContain(`Signed in as ${address}`);
    expect(await main(page)).toMatch(/Guest since \w+ \d+, \d{4}/);
    expect(await page.getByRole('link', { name: 'Privacy statement of Contoso' }).getAttribute('href')).toBe('https://contoso.example/privacy');
    expect(await page.locator('.organization img').getAttribute('src')).toBe(LOGO);
    await inSwedish(context, myOrganizations(), 'Mina organisationer');

    // Leave, then change one's mind: nothing happens.
    await page.getByRole('link', { name: 'Leave Contoso' }).click();
    await heading(page, 'Leave Contoso?');
    await inSwedish(context, page.url(), 'Lämna Contoso?');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await heading(page, 'My organizations');
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${guestId}`)).status).toBe(200);

    // Leave for real.
    await page.getByRole('link', { name: 'Leave Contoso' }).click();
    await heading(page, 'Leave Contoso?');
    await page.getByRole('button', { name: 'Leave organization' }).click();
    await heading(page, 'You left Contoso');
    expect(await page.getByRole('status').textContent()).toContain('You are no longer a guest of Contoso.');

    // Gone from the directory's users and listed among its deleted users (restorable), left by the guest themselves.
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${guestId}`)).status).toBe(404);
    const deleted = await graph(w.foyer, w.admin, 'GET', '/directory/deletedItems/microsoft.graph.user');
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((deleted.body.value as Array<{ id: string }>).map((u) => u.id)).toContain(guestId);
    const filter = encodeURIComponent("activityDisplayName eq 'Delete external user'");
    const audits = (await graph(w.foyer, w.admin, 'GET', `/auditLogs/directoryAudits?$filter=${filter}`)).body.value as Array<Record<string, any>>;
    const audit = audits.find((a) => a.targetResources.some((r: { id: string }) => r.id === guestId));
    expect(audit?.initiatedBy.user).toMatchObject({ id: guestId });

    // The app's silent sign-in (openid-client) no longer gets a code: the guest's sign-in there ended.
    await page.goto(`${w.portal.url}/login?prompt=none`);
    await page.waitForURL(`${w.portal.url}/callback**`);
    expect(new URL(page.url()).searchParams.get('error')).toMatch(/^(login|interaction)_required$/);

    // Nor does a fresh interactive sign-in to the app with the same home identity (the address, its passcode):
    // Contoso refuses it on its own page, and the app hears nothing.
    const appSignIns = w.portal.results.length;
    await page.goto(`${w.portal.url}/login`);
    await heading(page, 'Sign in to Contoso');
    await page.getByLabel('Email address').fill(address);
    await page.getByRole('button', { name: 'Next' }).click();
    // The passcode this browser proved still stands, so no new code is asked for: the refusal comes at once.
    await heading(page, 'You don’t have access to Contoso');
    expect(await main(page)).toContain(`${address} isn’t a guest of Contoso.`);
    expect(page.url()).not.toContain(`${w.portal.url}/callback`);
    expect(w.portal.results).toHaveLength(appSignIns);
    // The refused sign-in brought nobody back: the guest is still only among the deleted users.
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${guestId}`)).status).toBe(404);
    const stillDeleted = await graph(w.foyer, w.admin, 'GET', '/directory/deletedItems/microsoft.graph.user');
    expect((stillDeleted.body.value as Array<{ id: string }>).map((u) => u.id)).toContain(guestId);

    // The page no longer lists Contoso; the passcode proof itself still stands for the rest of its day.
    await page.goto(myOrganizations());
    await heading(page, 'My organizations');
    expect(await names(page)).toEqual([]);
    expect(await main(page)).toContain('You aren’t a guest of any organization');
    await context.close();
  });

  it('with leaving turned off, a guest who signs in on the page is refused and told whom to contact', async () => {
    const address = 'otto@outlook.example';
    const redeeming = await browser.newContext({ locale: 'en-US' });
    const { guestId } = await redeemWithPasscode(w, await redeeming.newPage(), address);
    await redeeming.close();
    const off = await graph(w.foyer, settings, 'PATCH', '/policies/externalIdentitiesPolicy', { allowExternalIdentitiesToLeave: false });
    expect(off.status).toBe(204);

    // Another browser, signed in to nothing: the page offers a sign-in, by a mailed link, then the guest pages' passcode.
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(myOrganizations());
    await heading(page, 'Sign in to see your organizations');
    await inSwedish(context, myOrganizations(), 'Logga in för att se dina organisationer');
    const swedish = await browser.newContext({ locale: 'sv-SE' });
    const sv = await swedish.newPage();
    await sv.goto(`${myOrganizations()}/sign-in`);
    await sv.getByLabel('E-postadress').fill('ingen@outlook.example');
    await sv.getByRole('button', { name: 'Skicka länk' }).click();
    await heading(sv, 'Kontrollera din inkorg');
    await swedish.close();
    // An address that is no guest: the same answer, and nothing is sent.
    await page.getByLabel('Email address').fill('nobody@outlook.example');
    await page.getByRole('button', { name: 'Send link' }).click();
    await heading(page, 'Check your inbox');
    const nobodyAnswer = await main(page);
    await page.getByRole('link', { name: 'Use another address' }).click();
    const { answer } = await signInByMail(context, page, address);
    expect(nobodyAnswer).toBe(answer);
    const queued = await w.foyer.ctx.db.kysely.selectFrom('outbox').select('recipient').where('recipient', '=', 'nobody@outlook.example').execute();
    expect(queued).toEqual([]);
    const before = w.smtp.messages.length;
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code', { exact: true }).fill(await w.passcode(address, before));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'My organizations');
    expect(await names(page)).toEqual(['Contoso']);

    await page.getByRole('link', { name: 'Leave Contoso' }).click();
    await heading(page, 'You can’t leave Contoso here');
    expect(await main(page)).toContain('Contoso doesn’t let guests leave by themselves.');
    expect(await page.getByRole('link', { name: 'privacy@contoso.example' }).getAttribute('href')).toBe('mailto:privacy@contoso.example');
    await inSwedish(context, page.url(), 'Du kan inte lämna Contoso här');
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${guestId}`)).status).toBe(200);

    // A disabled guest account cannot be left either, whatever the setting.
    expect((await graph(w.foyer, settings, 'PATCH', '/policies/externalIdentitiesPolicy', { allowExternalIdentitiesToLeave: true })).status).toBe(204);
    expect((await graph(w.foyer, w.admin, 'PATCH', `/users/${guestId}`, { accountEnabled: false })).status).toBe(204);
    // Sign-ins count from the second after the one they ended in; the person comes back later than that.
    ahead += 2000;
    await page.goto(myOrganizations());
    // Disabling ended the guest's sign-ins, so the earlier proof no longer counts for it: prove again.
    expect(await names(page)).toEqual([]);
    await page.getByRole('link', { name: 'Sign in with another account' }).click();
    await signInByMail(context, page, address);
    const again = w.smtp.messages.length;
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code', { exact: true }).fill(await w.passcode(address, again));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'My organizations');
    await page.getByRole('link', { name: 'Leave Contoso' }).click();
    await heading(page, 'You can’t leave Contoso here');
    expect(await main(page)).toContain('Your guest account in Contoso is disabled.');
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${guestId}`)).status).toBe(200);
    await context.close();
  });

  it('a member of another organization here signs in on the page with their home password, and sees it as home', async () => {
    const fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'finn@fabrikam.example', displayName: 'Finn Fabrikam', password: 'Harbor-Lantern-7' });
    const inv = await w.invite('finn@fabrikam.example');
    const redeeming = await browser.newContext({ locale: 'en-US' });
    const r = await redeeming.newPage();
    await r.goto(linkIn(inv.mail!));
    await r.getByRole('button', { name: 'Next' }).click();
    await heading(r, 'Sign in with your Fabrikam account');
    await r.getByLabel('Password').fill('Harbor-Lantern-7');
    await r.getByRole('button', { name: 'Sign in' }).click();
    await heading(r, 'Review permissions');
    await r.getByRole('button', { name: 'Accept' }).click();
    await landedAt(r, w.portal);
    await redeeming.close();

    // A fresh browser: the page's sign-in leads to Fabrikam's password, and back to the page.
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${myOrganizations()}/sign-in`);
    const { link } = await signInByMail(context, page, 'finn@fabrikam.example');
    await heading(page, 'Sign in with your Fabrikam account');
    await page.getByLabel('Password').fill('Harbor-Lantern-7');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'My organizations');
    expect(page.url()).toBe(myOrganizations());
    expect(await names(page)).toEqual(['Fabrikam', 'Contoso']);
    expect(await main(page)).toContain('This is your own organization. You can’t leave it here.');
    expect(await main(page)).toMatch(/Member since/);
    // Only the guest account has a Leave link.
    expect(await page.getByRole('link', { name: 'Leave Contoso' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Leave Fabrikam' }).count()).toBe(0);
    await inSwedish(context, myOrganizations(), 'Mina organisationer');
    // The link was spent by that sign-in.
    await page.goto(link);
    await heading(page, 'This link no longer works');
    await inSwedish(context, link, 'Länken fungerar inte längre');
    await context.close();
  });
});
