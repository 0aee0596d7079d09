/**
 * An access review of guests, end to end in Chromium: an administrator's script creates a review whose
 * reviewers are the guests' sponsors; the sponsor gets the e-mail (a real SMTP server on loopback),
 * follows its link, is asked to sign in first, signs in to the organization's app, comes back, sees only
 * the guests they sponsor (name, e-mail, last sign-in: the date for the one who redeemed and signed in to
 * the app before the review started, "Never" for the other), denies one with a reason and approves the
 * other. When the review ends (the instance's clock moved, the housekeeping run) the denied guest is
 * disabled and the approved one is not. A guest named as reviewer is found through the identity they
 * redeemed with; a browser signed in to nothing is asked to sign in first. Every page passes axe-core, in
 * English and in Swedish.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushSignInLog } from '../../src/directory/sign-in-log.js';
import { createMember, findUser } from '../../src/directory/users.js';
import type { Clock } from '../../src/platform/clock.js';
import { purgeExpired } from '../../src/server.js';
import { backends } from '../support/backends.js';
import { expectHeading, launchChromium } from '../support/chromium.js';
import { type GuestWorld, linkIn, redeemWithPasscode, startGuestWorld, waitForMail } from '../support/guests.js';
import { appToken, graph } from '../support/tokens.js';

const DAY = 24 * 60 * 60 * 1000;

describe.each(backends)('An access review in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let reviews: string;
  /** The instance's clock: real time, moved forward by the test. */
  let ahead = 0;
  const clock: Clock = { now: () => Date.now() + ahead };

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    reviews = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Review script', applicationPermissions: ['AccessReview.ReadWrite.All'] }),
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  const heading = (page: Page, name: string | RegExp) => expectHeading(page, name, 1);
  const guestNamed = (page: Page, name: string) => page.getByRole('region', { name });
  /** Does `act` (a button pressed), then waits for the page the decision's POST leads back to. */
  const decide = async (page: Page, act: () => Promise<void>) => {
    const before = page.url();
    await Promise.all([page.waitForURL((u) => u.href !== before && u.searchParams.has('decided')), act()]);
  };

  it('a guest named as reviewer is found through the identity they redeemed with, and sees the review in Swedish too', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const address = 'rita@partner.example';
    const inv = await redeemWithPasscode(w, page, address);
    await page.waitForURL(`${w.portal.url}/**`);
    const pat = (await w.invite('pat@fabrikam.example', { sendInvitationMessage: false, invitedUserDisplayName: 'Pat Partner' })).guestId;

    const before = w.smtp.messages.length;
    const created = await graph(w.foyer, reviews, 'POST', '/identityGovernance/accessReviews/definitions', {
      displayName: 'Guests reviewed by Rita',
      scope: { query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ query: `/users/${inv.guestId}`, queryType: 'MicrosoftGraph' }],
      settings: { instanceDurationInDays: 7 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const mail = await waitForMail(w.smtp, address, before);
    const link = /(http:\/\/localhost:\d+\/[0-9a-f-]+\/access-reviews\/[0-9a-f-]+)/.exec(mail.text ?? '')?.[1];
    await page.goto(link!);
    await heading(page, 'Guests reviewed by Rita');
    expect(await page.locator('.identity').textContent()).toBe(address);
    // A reviewer is not asked about themselves.
    const names = await page.locator('section.review-item h2').allTextContents();
    expect(names).toContain('Pat Partner');
    expect(names).not.toContain('rita');
    expect(names.length).toBeGreaterThan(0);
    await decide(page, () => page.getByRole('button', { name: 'Deny Pat Partner' }).click());
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your decision on Pat Partner was recorded.');

    const swedish = await browser.newContext({ locale: 'sv-SE', storageState: await context.storageState() });
    const sv = await swedish.newPage();
    await sv.goto(link!);
    await heading(sv, 'Guests reviewed by Rita');
    expect(await guestNamed(sv, 'Pat Partner').locator('.review-decision').textContent()).toBe('Nekad');
    // Another browser, signed in to nothing, is asked to sign in first, in Swedish.
    const stranger = await browser.newContext({ locale: 'sv-SE' });
    const nobody = await stranger.newPage();
    await nobody.goto(link!);
    await heading(nobody, 'Logga in först');
    await stranger.close();
    await swedish.close();
    expect((await findUser(w.foyer.ctx.db.kysely, w.contoso.id, pat))?.accountEnabled).toBe(true);
    await context.close();
  });

  it('a sponsor follows the e-mail, signs in, denies one guest and approves another; at the end the denied guest is disabled', async () => {
    const ctx = w.foyer.ctx;
    const sara = await createMember(ctx, w.contoso.id, {
      userPrincipalName: 'sara@contoso.example',
      displayName: 'Sara Sponsor',
      password: 'Granite-Window-42',
    });
    const other = await createMember(ctx, w.contoso.id, {
      userPrincipalName: 'olle@contoso.example',
      displayName: 'Olle Other',
      password: 'Granite-Window-43',
    });
    const invite = async (address: string, name: string, sponsor: string) =>
      (await w.invite(address, { sendInvitationMessage: false, invitedUserDisplayName: name, invitedUserSponsors: [{ id: sponsor }] })).guestId;
    const dora = await invite('dora@fabrikam.example', 'Dora Denied', sara.id);
    const carl = await invite('carl@fabrikam.example', 'Carl Elsewhere', other.id);
    // Aaron redeems his invitation (a one-time passcode) and lands in the app before the review starts: a real sign-in, in the sign-in log.
    const aaronInvitation = await w.invite('aaron@fabrikam.example', { invitedUserDisplayName: 'Aaron Approved', invitedUserSponsors: [{ id: sara.id }] });
    const aaron = aaronInvitation.guestId;
    const redeeming = await browser.newContext({ locale: 'en-US' });
    const r = await redeeming.newPage();
    await r.goto(linkIn(aaronInvitation.mail!));
    await r.getByRole('button', { name: 'Next' }).click();
    const beforeCode = w.smtp.messages.length;
    await r.getByRole('button', { name: 'Send code' }).click();
    await r.getByLabel('Code', { exact: true }).fill(await w.passcode('aaron@fabrikam.example', beforeCode));
    await r.getByRole('button', { name: 'Sign in' }).click();
    await r.getByRole('button', { name: 'Accept' }).click();
    await r.waitForURL(`${w.portal.url}/callback**`);
    await redeeming.close();
    // The sign-in log is written in batches: flushed, Aaron's signInActivity says when he signed in.
    const lastSignIn = async () => {
      await flushSignInLog(ctx);
      return (await findUser(ctx.db.kysely, w.contoso.id, aaron))?.lastSignInDateTime ?? null;
    };
    await expect.poll(lastSignIn).toEqual(expect.any(Number));
    const aaronSignedInAt = (await lastSignIn())!;

    const before = w.smtp.messages.length;
    const created = await graph(w.foyer, reviews, 'POST', '/identityGovernance/accessReviews/definitions', {
      displayName: 'Partner access review',
      descriptionForReviewers: 'Do these partners still work with us?',
      scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ query: './sponsors', queryType: 'MicrosoftGraph' }],
      settings: { instanceDurationInDays: 3, autoApplyDecisionsEnabled: true, defaultDecisionEnabled: false, defaultDecision: 'None' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // The sponsor's e-mail, and the link in it.
    const mail = await waitForMail(w.smtp, 'sara@contoso.example', before);
    expect(mail.subject).toBe('Review guest access to Contoso: Partner access review');
    expect(mail.text).toContain('Contoso asks you to review whether 2 guests should keep access.');
    const link = /(http:\/\/localhost:\d+\/[0-9a-f-]+\/access-reviews\/[0-9a-f-]+)/.exec(mail.text ?? '')?.[1];
    expect(link, mail.text).toBeDefined();

    // Not signed in: asked to sign in first.
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(link!);
    await heading(page, 'Sign in first');

    // Signing in to the organization's app, then the link again.
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('Email address').fill('sara@contoso.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password', { exact: true }).fill('Granite-Window-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${w.portal.url}/callback**`);
    await page.goto(link!);
    await heading(page, 'Partner access review');
    expect(await page.locator('.identity').textContent()).toBe('sara@contoso.example');
    expect(await page.locator('section.review-item h2').allTextContents()).toEqual(['Aaron Approved', 'Dora Denied']);
    const doraItem = guestNamed(page, 'Dora Denied');
    expect(await doraItem.locator('dl').textContent()).toContain('dora@fabrikam.example');
    expect(await doraItem.locator('dl').textContent()).toContain('Never');
    // Aaron's last sign-in, as the page writes dates (en-US, medium date, short time, UTC), not "Never".
    const aaronItem = guestNamed(page, 'Aaron Approved');
    const signedIn = `${new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(aaronSignedInAt))} UTC`;
    expect(await aaronItem.locator('dl').textContent()).toContain(`Last sign-in${signedIn}`);
    expect(await aaronItem.locator('dl').textContent()).not.toContain('Never');
    expect(await aaronItem.locator('dl time').getAttribute('datetime')).toBe(new Date(aaronSignedInAt).toISOString());
    expect(await page.locator('main').textContent()).not.toContain('Carl Elsewhere');

    // By keyboard: the reason typed into Dora's field, Tab to Deny, Enter. Enter in the reason field itself
    // decides nothing (the form's default button is a disabled one): only the one Deny below is posted.
    const decisionsPosted: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/decisions/')) decisionsPosted.push(r.postData() ?? '');
    });
    const reason = doraItem.getByLabel('Reason (optional)');
    await reason.click();
    await expect.poll(() => reason.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.type('The project ended');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const deny = page.getByRole('button', { name: 'Deny Dora Denied' });
    await expect.poll(() => deny.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await decide(page, () => page.keyboard.press('Enter'));
    await heading(page, 'Partner access review');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your decision on Dora Denied was recorded.');
    expect(await guestNamed(page, 'Dora Denied').locator('.review-decision').textContent()).toBe('Denied');
    expect(await guestNamed(page, 'Dora Denied').locator('dl').textContent()).toContain('The project ended');
    expect(decisionsPosted).toHaveLength(1);
    expect(decisionsPosted[0]).toContain('decision=Deny');

    await decide(page, () => page.getByRole('button', { name: 'Approve Aaron Approved' }).click());
    await heading(page, 'Partner access review');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your decision on Aaron Approved was recorded.');
    expect(await guestNamed(page, 'Aaron Approved').locator('.review-decision').textContent()).toBe('Approved');

    // The same page in Swedish.
    const swedish = await browser.newContext({ locale: 'sv-SE', storageState: await context.storageState() });
    const sv = await swedish.newPage();
    await sv.goto(link!);
    await heading(sv, 'Partner access review');
    expect(await sv.getByRole('button', { name: 'Neka Dora Denied' }).isVisible()).toBe(true);
    expect(await guestNamed(sv, 'Dora Denied').locator('.review-decision').textContent()).toBe('Nekad');
    expect(await sv.locator('main').textContent()).toContain('Aldrig');
    await swedish.close();

    // The review ends (the last test here: the clock stays moved): the denied guest is disabled, the approved one and the guest nobody decided on are not.
    ahead += 3 * DAY + 60_000;
    await purgeExpired(ctx);
    expect((await findUser(ctx.db.kysely, w.contoso.id, dora))?.accountEnabled).toBe(false);
    expect((await findUser(ctx.db.kysely, w.contoso.id, aaron))?.accountEnabled).toBe(true);
    expect((await findUser(ctx.db.kysely, w.contoso.id, carl))?.accountEnabled).toBe(true);
    await context.close();
  });
});
