/**
 * Terms of use in Chromium, from the invitation e-mail to the app's callback, where openid-client validates
 * the guest's ID token: a guest accepts the terms right after Review permissions and is redeemed only then;
 * signs in to the app later without being asked again; is asked again once the re-acceptance period has
 * passed (a clock the test moves) and when the terms change. Declining at redemption leaves the invitation
 * PendingAcceptance; declining at sign-in gives the app no code. Under a Conditional Access policy asking
 * for MFA, the second factor comes before the terms (a first factor alone never reaches them). Switching
 * accounts after Review permissions asks for Review permissions again. The terms pages pass axe-core in
 * English and Swedish, with the terms' own Swedish text for a Swedish browser.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushSignInLog } from '../../src/directory/sign-in-log.js';
import { totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { expectHeading, landedAt, launchChromium } from '../support/chromium.js';
import { type GuestWorld, linkIn, redeemWithPasscode, startGuestWorld } from '../support/guests.js';
import { type RelyingParty, reserveRelyingParty, startRelyingParty } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';

const AGREEMENTS = '/identityGovernance/termsOfUse/agreements';
/** The shortest re-acceptance period Foyer takes (P1D). */
const PERIOD = 24 * 60 * 60_000;
/**
 * The clock moves a day at a time, three times: Graph checks tokens (stamped with the real time) on the
 * moved clock, and sessions are stored on it, so both live longer than that here.
 */
const LONG = String(7 * 24 * 3600);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const files = (english: string) => [
  { fileName: 'terms.txt', displayName: 'Contoso terms', language: 'en-US', isDefault: true, fileData: { data: b64(english) } },
  { fileName: 'villkor.txt', displayName: 'Contosos villkor', language: 'sv-SE', isDefault: false, fileData: { data: b64('Var snäll mot andra.') } },
];

describe.each(backends)('terms of use in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let governance: { appId: string; clientSecret?: string };
  let agreementId: string;
  /** A second app of Contoso's, whose client secret the test holds to use refresh tokens as apps do. */
  let payroll: RelyingParty;
  let payrollClient: { appId: string; clientSecret?: string };
  const clock = new ManualClock();

  /** A token of the governance script, fetched now (the clock moves). */
  const admin = () => appToken(w.foyer, w.contoso, governance);

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock, env: { FOYER_ACCESS_TOKEN_TTL: LONG, FOYER_SESSION_TTL: LONG } });
    governance = await w.foyer.createApp(w.contoso.id, {
      displayName: 'Governance script',
      applicationPermissions: ['Agreement.ReadWrite.All', 'User.Read.All', 'AuditLog.Read.All', 'Policy.ReadWrite.ConditionalAccess'],
    });
    const created = await graph(w.foyer, await admin(), 'POST', AGREEMENTS, {
      displayName: 'Contoso terms of use',
      userReacceptRequiredFrequency: 'P1D',
      files: files('Be kind to others.\n\nDo not share your access.'),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    agreementId = created.body.id;
    const at = await reserveRelyingParty();
    payrollClient = await w.foyer.createApp(w.contoso.id, { displayName: 'Payroll', redirectUris: [at.redirectUri] });
    payroll = await startRelyingParty(w.contoso.issuer, payrollClient, at);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await payroll?.close();
    await browser?.close();
    await w?.close();
  });

  const guestState = async (id: string) => (await graph(w.foyer, await admin(), 'GET', `/users/${id}?$select=externalUserState`)).body.externalUserState;
  const acceptances = async () =>
    (await graph(w.foyer, await admin(), 'GET', `${AGREEMENTS}/${agreementId}/acceptances`)).body.value as Array<{
      userId: string;
      state: string;
      agreementVersion: number;
    }>;

  /** The same page in a Swedish browser with this browser's cookies: Swedish chrome, the Swedish file, axe-clean. */
  async function inSwedish(context: BrowserContext, url: string) {
    const swedish = await browser.newContext({ locale: 'sv-SE', storageState: await context.storageState() });
    const sv = await swedish.newPage();
    await sv.goto(url);
    await expectHeading(sv, 'Contoso terms of use');
    await expect.poll(() => sv.getByText('Var snäll mot andra.').isVisible()).toBe(true);
    expect(await sv.getByRole('button', { name: 'Godkänn' }).isVisible()).toBe(true);
    expect(await sv.getByRole('button', { name: 'Avböj' }).isVisible()).toBe(true);
    await swedish.close();
  }

  /** Payroll uses a refresh token, as apps do between sign-ins: the token endpoint's status and error. */
  async function refresh(refreshToken: string | undefined) {
    const res = await fetch(`${w.foyer.url}/${w.contoso.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${payrollClient.appId}:${payrollClient.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }),
    });
    return { status: res.status, error: ((await res.json()) as { error?: string }).error };
  }

  /** A returning passcode guest signs in to the portal (a passcode proves the address for a day, so after a day it is asked again). */
  async function passcodeSignIn(page: Page, address: string) {
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('Email address').fill(address);
    await page.getByRole('button', { name: 'Next' }).click();
    await sendAndEnterPasscode(page, address);
  }

  async function sendAndEnterPasscode(page: Page, address: string) {
    const before = w.smtp.messages.length;
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code', { exact: true }).fill(await w.passcode(address, before));
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function termsShown(page: Page) {
    await expectHeading(page, 'Contoso terms of use');
    await expect.poll(() => page.getByRole('region', { name: 'Contoso terms of use' }).textContent()).toContain('Be kind to others.');
  }

  it('a guest accepts at redemption, is not asked at the next sign-in, and is asked again after the period and after a change', async () => {
    const address = 'tessa@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const inv = await redeemWithPasscode(w, page, address);

    // Right after Review permissions: the terms, and nothing redeemed yet.
    await termsShown(page);
    expect(await guestState(inv.guestId)).toBe('PendingAcceptance');
    await inSwedish(context, page.url());
    await page.getByRole('button', { name: 'Accept' }).click();
    expect((await landedAt(page, w.portal)).email).toBe(address);
    expect(await guestState(inv.guestId)).toBe('Accepted');
    expect(await acceptances()).toEqual([expect.objectContaining({ userId: inv.guestId, state: 'accepted', agreementVersion: 1 })]);

    // Signing in to the app again within the period: not asked.
    const before = w.portal.results.length;
    await page.goto(`${w.portal.url}/login`);
    await landedAt(page, w.portal);
    expect(w.portal.results.length).toBe(before + 1);

    // After the period (a day, when the passcode's day is over too): the terms page before any code.
    clock.advance(PERIOD + 60_000);
    await passcodeSignIn(page, address);
    await termsShown(page);
    await inSwedish(context, page.url());
    await page.getByRole('button', { name: 'Accept' }).click();
    expect((await landedAt(page, w.portal)).email).toBe(address);
    expect((await acceptances()).filter((a) => a.userId === inv.guestId && a.state === 'accepted')).toHaveLength(2);

    // The terms change: a new version, asked at once, of the sign-in this browser remembers too.
    const patched = await graph(w.foyer, await admin(), 'PATCH', `${AGREEMENTS}/${agreementId}`, {
      files: files('Be kind to others.\n\nNew: report phishing.'),
    });
    expect(patched.status).toBe(204);
    await page.goto(`${w.portal.url}/login`);
    await termsShown(page);
    await expect.poll(() => page.getByText('New: report phishing.').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Accept' }).click();
    await landedAt(page, w.portal);
    expect((await acceptances()).filter((a) => a.userId === inv.guestId && a.agreementVersion === 2)).toEqual([expect.objectContaining({ state: 'accepted' })]);
    await context.close();
  });

  it('declining at redemption leaves the invitation PendingAcceptance, and its link still leads to the terms', async () => {
    const address = 'dora@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const inv = await redeemWithPasscode(w, page, address);
    await termsShown(page);
    await page.getByRole('button', { name: 'Decline' }).click();
    await expectHeading(page, 'You declined the terms of use');
    await expect.poll(() => page.getByText('invitation is still open').isVisible()).toBe(true);
    expect(await guestState(inv.guestId)).toBe('PendingAcceptance');
    expect((await acceptances()).filter((a) => a.userId === inv.guestId)).toEqual([expect.objectContaining({ state: 'declined' })]);
    const invitations = await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState`);
    expect(invitations.body.externalUserState).toBe('PendingAcceptance');
    const audit = await graph(w.foyer, await admin(), 'GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent("category eq 'Policy'")}`);
    expect(audit.body.value.map((e: { activityDisplayName: string }) => e.activityDisplayName)).toContain('Decline terms of use');

    // The link still works: the same steps lead to the terms again, and accepting redeems.
    await page.goto(inv.redeemUrl);
    await page.getByRole('button', { name: 'Next' }).click();
    // This browser proved the address a moment ago: straight to Review permissions.
    await page.getByRole('button', { name: 'Accept' }).click();
    await termsShown(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await landedAt(page, w.portal);
    expect(await guestState(inv.guestId)).toBe('Accepted');
    await context.close();
  });

  it('declining at sign-in gives the app no code and says why; a refresh token stops working while the terms are owed', async () => {
    const address = 'sid@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const { guestId } = await redeemWithPasscode(w, page, address);
    await termsShown(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await landedAt(page, w.portal);
    // Payroll: single sign-on, no terms asked (accepted a moment ago), and its refresh token works.
    await page.goto(`${payroll.url}/login`);
    await landedAt(page, payroll);
    const refreshToken = payroll.results.at(-1)!.tokens.refresh_token;
    expect(refreshToken).toBeDefined();
    expect((await refresh(refreshToken)).status).toBe(200);

    clock.advance(PERIOD + 60_000);
    // The acceptance expired: the app must sign the person in again, through the terms.
    expect(await refresh(refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
    const before = w.portal.results.length;
    await passcodeSignIn(page, address);
    await termsShown(page);
    await page.getByRole('button', { name: 'Decline' }).click();
    await expectHeading(page, 'You declined the terms of use');
    await expect.poll(() => page.getByText('without accepting its terms of use').isVisible()).toBe(true);
    expect(page.url()).not.toContain(w.portal.url);
    expect(w.portal.results.length).toBe(before);
    // The sign-in log says so, with Entra's code for a Conditional Access grant control not satisfied.
    await flushSignInLog(w.foyer.ctx);
    const log = await graph(w.foyer, w.admin, 'GET', `/auditLogs/signIns?$filter=${encodeURIComponent(`userId eq '${guestId}'`)}`);
    expect(log.status, JSON.stringify(log.body)).toBe(200);
    expect(log.body.value[0]).toMatchObject({ userId: guestId, status: { errorCode: 53003, failureReason: 'The user declined the terms of use.' } });
    // One entry for the declined sign-in, not a success before it: the last successful sign-in is still Payroll's.
    const declinedAt = Date.parse(log.body.value[0].createdDateTime);
    expect(log.body.value[1]).toMatchObject({ status: { errorCode: 0 } });
    expect(Date.parse(log.body.value[1].createdDateTime)).toBeLessThan(declinedAt - PERIOD);

    // Going back to the app: the terms again, still no code without them.
    await page.goto(`${w.portal.url}/login`);
    await termsShown(page);
    expect(w.portal.results.length).toBe(before);
    await context.close();
  });

  it('under a Conditional Access policy asking for MFA, the second factor comes first: a first factor alone never reaches the terms', async () => {
    const address = 'mia@outlook.example';
    const inv = await w.invite(address);
    const policy = await graph(w.foyer, await admin(), 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Mia needs MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: [inv.guestId] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);

    // Redemption: Review permissions, the terms, then an authenticator app ("More information required").
    const first = await browser.newContext({ locale: 'en-US' });
    const page = await first.newPage();
    await page.goto(linkIn(inv.mail!));
    await page.getByRole('button', { name: 'Next' }).click();
    await sendAndEnterPasscode(page, address);
    await page.getByRole('button', { name: 'Accept' }).click();
    await termsShown(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await expectHeading(page, 'More information required');
    await page.getByRole('link', { name: 'Authenticator app' }).click();
    const secret = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(secret, clock.now()));
    await page.getByRole('button', { name: 'Next' }).click();
    await expectHeading(page, 'Save your recovery codes');
    await page.getByRole('button', { name: 'Continue' }).click();
    await landedAt(page, w.portal);
    await first.close();

    // A day later the acceptance has expired. Another browser with the passcode only (as a stolen first
    // factor would be): the second factor is asked, and the terms page is out of reach until it is proven.
    clock.advance(PERIOD + 60_000);
    const second = await browser.newContext({ locale: 'en-US' });
    const next = await second.newPage();
    await passcodeSignIn(next, address);
    await expectHeading(next, 'Verify your identity');
    const answered = (await acceptances()).filter((a) => a.userId === inv.guestId).length;
    const direct = await second.newPage();
    expect((await direct.goto(`${w.foyer.url}/terms`))?.status()).toBe(400);
    await expectHeading(direct, 'This page has expired');
    await direct.close();
    expect((await acceptances()).filter((a) => a.userId === inv.guestId)).toHaveLength(answered);

    // The code: then the terms, and the app's ID token says MFA was done.
    await next.getByLabel('Code', { exact: true }).fill(totpCodeAt(secret, clock.now()));
    await next.getByRole('button', { name: 'Verify' }).click();
    await termsShown(next);
    await next.getByRole('button', { name: 'Accept' }).click();
    expect((await landedAt(next, w.portal)).amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
    expect((await acceptances()).filter((a) => a.userId === inv.guestId && a.state === 'accepted')).toHaveLength(answered + 1);
    await second.close();
  });

  it('another account after Accept on Review permissions accepts Review permissions itself', async () => {
    const address = 'lea@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const inv = await redeemWithPasscode(w, page, address);
    await termsShown(page);
    // "Use another account", sent from the terms page (which shows no such button; the browser can still send it).
    const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const switched = await page.request.post(`${w.foyer.url}/guest/switch`, { form: { _csrf: csrf ?? '' }, maxRedirects: 0 });
    expect(switched.status()).toBe(303);
    await page.goto(`${w.foyer.url}/guest`);
    await sendAndEnterPasscode(page, address);
    // Review permissions again, not straight to the terms (and nothing redeemed meanwhile).
    await expectHeading(page, 'Review permissions');
    expect(await guestState(inv.guestId)).toBe('PendingAcceptance');
    await page.getByRole('button', { name: 'Accept' }).click();
    await termsShown(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await landedAt(page, w.portal);
    expect(await guestState(inv.guestId)).toBe('Accepted');
    await context.close();
  });

  // Last: the PDF agreement applies to every guest from now on.
  it('a PDF agreement that must be read: linked, served by Foyer, and Accept needs the box ticked', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'latin1');
    const created = await graph(w.foyer, await admin(), 'POST', AGREEMENTS, {
      displayName: 'Contoso data policy',
      isViewingBeforeAcceptanceRequired: true,
      files: [{ fileName: 'policy.pdf', displayName: 'the data policy', language: 'en-US', isDefault: true, fileData: { data: pdf.toString('base64') } }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const address = 'pia@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const inv = await redeemWithPasscode(w, page, address);
    // One agreement after the other, oldest first.
    await termsShown(page);
    await page.getByRole('button', { name: 'Accept' }).click();
    await expectHeading(page, 'Contoso data policy');
    const link = page.getByRole('link', { name: 'Open the data policy (PDF, opens in a new window)' });
    const served = await fetch(new URL((await link.getAttribute('href'))!, w.foyer.url));
    expect(served.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await served.arrayBuffer()).equals(pdf)).toBe(true);
    // Not ticked: the browser does not send Accept, and nothing is redeemed.
    await page.getByRole('button', { name: 'Accept' }).click();
    await expectHeading(page, 'Contoso data policy');
    expect(await guestState(inv.guestId)).toBe('PendingAcceptance');
    await page.getByLabel('I have read the terms of use').check();
    await page.getByRole('button', { name: 'Accept' }).click();
    expect((await landedAt(page, w.portal)).email).toBe(address);
    expect(await guestState(inv.guestId)).toBe('Accepted');
    await context.close();
  });
});
