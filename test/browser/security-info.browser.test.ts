/**
 * Security info, end to end in Chromium: a member whose Conditional Access policy requires MFA registers
 * an authenticator app at sign-in, then on the security-info page sees it, adds a passkey (Chromium's
 * virtual authenticator) without proving anything again (the proof is recent), removes the authenticator
 * app, and regenerates the recovery codes (the old ones stop working). Ten minutes later (a clock the test
 * moves) a change asks for the challenge first. A guest sees their own page; a browser signed in to
 * nothing is asked to sign in first. Every page passes axe-core; the main page in Swedish too.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { useRecoveryCode } from '../../src/mfa/recovery-codes.js';
import { totpCodeAt } from '../../src/mfa/totp.js';
import type { Clock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { expectHeading, launchChromium } from '../support/chromium.js';
import { type GuestWorld, redeemWithPasscode, startGuestWorld } from '../support/guests.js';
import { appToken, graph } from '../support/tokens.js';

const TEN_MINUTES = 10 * 60_000;

describe.each(backends)('Security info in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let security: string;
  /** The instance's clock: real time, moved forward by the test. */
  let ahead = 0;
  const clock: Clock = { now: () => Date.now() + ahead };

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    const permissions = ['Policy.ReadWrite.ConditionalAccess', 'User.ReadWrite.All', 'AuditLog.Read.All'];
    security = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Security admin', applicationPermissions: permissions }),
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  const securityInfo = () => `${w.foyer.url}/${w.contoso.id}/security-info`;
  const heading = (page: Page, name: string | RegExp) => expectHeading(page, name, 1);
  const methodNames = (page: Page) => page.locator('.method-name').allTextContents();
  const audits = async (activity: string, userId: string) => {
    const filter = encodeURIComponent(`activityDisplayName eq '${activity}'`);
    const res = await graph(w.foyer, security, 'GET', `/auditLogs/directoryAudits?$filter=${filter}`);
    expect(res.status).toBe(200);
    return (res.body.value as Array<{ targetResources: Array<{ id: string }>; additionalDetails?: Array<{ key: string; value: string }> }>).filter((e) =>
      e.targetResources.some((r) => r.id === userId),
    );
  };

  it('a member sees their methods, adds a passkey, removes the authenticator app, regenerates recovery codes, and is challenged once the proof is old', async () => {
    const sam = await createMember(w.foyer.ctx, w.contoso.id, {
      userPrincipalName: 'sam@contoso.example',
      displayName: 'Sam Secure',
      password: 'Granite-Window-42',
    });
    const policy = await graph(w.foyer, security, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Sam needs MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: [sam.id] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status).toBe(201);

    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });

    // Signing in to the app: the policy asks for a second method, and Sam registers an authenticator app.
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('Email address').fill('sam@contoso.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password', { exact: true }).fill('Granite-Window-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'More information required');
    await page.getByRole('link', { name: 'Authenticator app' }).click();
    const secret = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(secret, clock.now()));
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Save your recovery codes');
    const oldCodes = (await page.locator('ul.recovery-codes code').allTextContents()).map((c) => c.trim());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${w.portal.url}/callback**`);

    // Security info: the app, and ten recovery codes.
    await page.goto(securityInfo());
    await heading(page, 'Security info');
    await expect.poll(() => methodNames(page)).toEqual(['Authenticator app']);
    expect(await page.locator('main').textContent()).toContain('You have 10 recovery codes left.');

    // A passkey, straight away: the authenticator app was proven minutes ago.
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await heading(page, 'Create a passkey');
    await page.getByLabel('Name').fill('Work laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await heading(page, 'Security info');
    expect(await methodNames(page)).toEqual(['Authenticator app', 'Work laptop']);
    expect(await page.locator('main').textContent()).toContain('You have 10 recovery codes left.');

    // Removing the authenticator app, after a confirmation.
    await page.getByRole('link', { name: 'Remove Authenticator app' }).click();
    await heading(page, 'Remove Authenticator app?');
    await page.getByRole('button', { name: 'Remove' }).click();
    await heading(page, 'Security info');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your security info was updated.');
    expect(await methodNames(page)).toEqual(['Work laptop']);
    expect(await audits('User deleted security info', sam.id)).toHaveLength(1);
    expect(await audits('User registered security info', sam.id)).toHaveLength(2);

    // New recovery codes: shown once; the old ones stop working, the new ones work.
    await page.getByRole('link', { name: 'Regenerate recovery codes' }).click();
    await heading(page, 'Regenerate recovery codes?');
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await heading(page, 'Save your recovery codes');
    const newCodes = (await page.locator('ul.recovery-codes code').allTextContents()).map((c) => c.trim());
    expect(newCodes).toHaveLength(10);
    expect(newCodes.some((c) => oldCodes.includes(c))).toBe(false);
    const ids = { tenantId: w.contoso.id, userId: sam.id };
    expect(await useRecoveryCode(w.foyer.ctx, { ...ids, code: oldCodes[0]! })).toMatchObject({ ok: false, reason: 'wrong-code' });
    expect(await useRecoveryCode(w.foyer.ctx, { ...ids, code: newCodes[0]! })).toMatchObject({ ok: true, left: 9 });
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Security info');
    expect(await page.locator('main').textContent()).toContain('You have 9 recovery codes left.');

    // The same page in Swedish (the same browser's cookies, another language).
    const swedish = await browser.newContext({ locale: 'sv-SE', storageState: await context.storageState() });
    const sv = await swedish.newPage();
    await sv.goto(securityInfo());
    await heading(sv, 'Säkerhetsinformation');
    expect(await sv.getByRole('link', { name: 'Ta bort Work laptop' }).isVisible()).toBe(true);
    await swedish.close();

    // Eleven minutes later the proof is old: removing the passkey asks for it first, then comes back here.
    ahead += TEN_MINUTES + 60_000;
    await page.getByRole('link', { name: 'Remove Work laptop' }).click();
    await heading(page, 'Remove Work laptop?');
    expect(await page.locator('main').textContent()).toContain('This is your last method.');
    await page.getByRole('button', { name: 'Remove' }).click();
    await heading(page, 'Verify your identity');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await heading(page, 'Security info');
    expect(await methodNames(page)).toEqual(['Work laptop']);

    // Proven again: the removal goes through.
    await page.getByRole('link', { name: 'Remove Work laptop' }).click();
    await page.getByRole('button', { name: 'Remove' }).click();
    await heading(page, 'Security info');
    expect(await methodNames(page)).toEqual([]);
    expect(await page.locator('main').textContent()).toContain('You have not added a method yet.');
    expect(await audits('User deleted security info', sam.id)).toHaveLength(2);

    // With no method left, adding one is registering: no proof asked, even an old one.
    ahead += TEN_MINUTES + 60_000;
    await page.getByRole('button', { name: 'Add authenticator app' }).click();
    await heading(page, 'Set up your authenticator app');
    const again = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
    expect(again).not.toBe(secret);
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(again, clock.now()));
    await page.getByRole('button', { name: 'Next' }).click();
    // The last method's removal took the recovery codes with it: a first method again, so ten new ones.
    await heading(page, 'Save your recovery codes');
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Security info');
    expect(await methodNames(page)).toEqual(['Authenticator app']);

    // And another one, now the app's proof is eleven minutes old: the app's code first.
    ahead += TEN_MINUTES + 60_000;
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await heading(page, 'Verify your identity');
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(again, clock.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading(page, 'Security info');
    expect(await methodNames(page)).toEqual(['Authenticator app']);
    await context.close();
  });

  it('a guest sees their own security info, found through the identity they redeemed with', async () => {
    const address = 'gus@outlook.example';
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await redeemWithPasscode(w, page, address, (p) => heading(p, 'Review permissions'));
    await page.waitForURL(`${w.portal.url}/**`);
    await page.goto(securityInfo());
    await heading(page, 'Security info');
    expect(await page.locator('.identity').textContent()).toBe(address);
    expect(await page.locator('main').textContent()).toContain('You have not added a method yet.');
    await context.close();
  });

  it('a browser signed in to nothing is asked to sign in first, whichever tenant it names', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const response = await page.goto(securityInfo());
    expect(response?.status()).toBe(200);
    await heading(page, 'Sign in first');
    expect(await page.locator('main').textContent()).toContain('sign in to one of Contoso’s apps first');
    // A tenant that does not exist: the same page, not found.
    const unknown = await page.goto(`${w.foyer.url}/00000000-0000-4000-8000-000000000000/security-info`);
    expect(unknown?.status()).toBe(404);
    await heading(page, 'Sign in first');
    await context.close();
  });
});
