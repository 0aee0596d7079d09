/**
 * A tenant's OpenID provider remembers a sign-in (its session cookie) and would hand apps codes for it
 * without asking anything again. Conditional Access is evaluated at every app sign-in nonetheless: a policy
 * added after the sign-in asks for MFA at the app's next sign-in in the same browser, and a policy's
 * signInFrequency asks for the second factor again once that time has passed (a clock the test moves).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { expectHeading, landedAt, launchChromium } from '../support/chromium.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { type RelyingParty, reserveRelyingParty, startRelyingParty } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('Conditional Access on remembered sign-ins, in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let security: string;
  let app: RelyingParty;
  let credentials: { appId: string; clientSecret?: string };
  const clock = new ManualClock();

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    security = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'Security admin', applicationPermissions: ['Policy.ReadWrite.ConditionalAccess'] }),
    );
    const at = await reserveRelyingParty();
    credentials = await w.foyer.createApp(w.contoso.id, { displayName: 'Payroll', redirectUris: [at.redirectUri] });
    app = await startRelyingParty(w.contoso.issuer, credentials, at);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await app?.close();
    await browser?.close();
    await w?.close();
  });

  const heading = (page: Page, name: string) => expectHeading(page, name);
  /** The app uses a refresh token, as apps do between sign-ins: the token endpoint's status and error. */
  async function refresh(refreshToken: string | undefined) {
    const res = await fetch(`${w.foyer.url}/${w.contoso.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${credentials.appId}:${credentials.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }),
    });
    return { status: res.status, error: ((await res.json()) as { error?: string }).error };
  }

  const landed = landedAt;

  it('a policy added after the sign-in applies at the next app sign-in, and signInFrequency asks again after its time', async () => {
    const sam = await createMember(w.foyer.ctx, w.contoso.id, {
      userPrincipalName: 'sam@contoso.example',
      displayName: 'Sam',
      password: 'Copper-Kettle-Rain-4',
    });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Email address').fill('sam@contoso.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password', { exact: true }).fill('Copper-Kettle-Rain-4');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await landed(page, app)).amr).toEqual(['pwd']);
    const passwordOnly = app.results.at(-1)!.tokens.refresh_token;
    expect((await refresh(passwordOnly)).status).toBe(200);

    // Without a policy, the remembered sign-in gets the app its code straight away.
    await page.goto(`${app.url}/login`);
    expect((await landed(page, app)).amr).toEqual(['pwd']);

    const created = await graph(w.foyer, security, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Sam: MFA every hour',
      state: 'enabled',
      conditions: { users: { includeUsers: [sam.id] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
      sessionControls: { signInFrequency: { value: 1, type: 'hours', isEnabled: true } },
    });
    expect(created.status).toBe(201);
    // The app's refresh token of the password-only sign-in no longer gets tokens: it must sign the person in.
    expect(await refresh(app.results.at(-1)!.tokens.refresh_token)).toEqual({ status: 400, error: 'invalid_grant' });

    // The next app sign-in, same browser: no password (single sign-on), but "More information required".
    await page.goto(`${app.url}/login`);
    await heading(page, 'More information required');
    await page.getByRole('link', { name: 'Authenticator app' }).click();
    const secret = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(secret, clock.now()));
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    expect((await landed(page, app)).amr).toEqual(['pwd', 'otp', 'mfa']);
    const withMfa = app.results.at(-1)!.tokens.refresh_token;

    // Within the hour: straight through, and refreshing works.
    clock.advance(30 * 60_000);
    await page.goto(`${app.url}/login`);
    expect((await landed(page, app)).amr).toEqual(['pwd', 'otp', 'mfa']);
    const refreshed = await refresh(withMfa);
    expect(refreshed.status).toBe(200);
    // A silent request (prompt=none, as MSAL's silent renewal sends) gets its code too.
    await page.goto(`${app.url}/login?prompt=none`);
    expect((await landed(page, app)).amr).toEqual(['pwd', 'otp', 'mfa']);

    // Past the hour: refreshing is refused, and the next app sign-in asks for the code again, nothing else.
    clock.advance(31 * 60_000);
    expect(await refresh(app.results.at(-1)!.tokens.refresh_token)).toEqual({ status: 400, error: 'invalid_grant' });
    // A silent request cannot ask for the code: the app hears it needs an interactive sign-in.
    await page.goto(`${app.url}/login?prompt=none`);
    await page.waitForURL(`${app.url}/callback**`);
    expect(new URL(page.url()).searchParams.get('error')).toMatch(/^(login|interaction)_required$/);
    await page.goto(`${app.url}/login`);
    await heading(page, 'Verify your identity');
    await page.getByLabel('Code', { exact: true }).fill(totpCodeAt(secret, clock.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    expect((await landed(page, app)).amr).toEqual(['pwd', 'otp', 'mfa']);
    await context.close();
  });
});
