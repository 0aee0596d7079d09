/**
 * A member signs in to their organization's app in Chromium: identifier-first pages found by their
 * accessible labels and button names, in English and Swedish; the app (openid-client) validates the ID
 * token; a second app of the same tenant signs the same browser in without a password. Each page on the
 * way passes axe-core (no serious or critical violation).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { expectAccessible, launchChromium } from '../support/chromium.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { type RelyingParty, startTenantApp } from '../support/relying-party.js';

describe.each(backends)('member sign-in in Chromium on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let browser: Browser;
  let portal: RelyingParty;
  let wiki: RelyingParty;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    portal = await startTenantApp(foyer, tenant, 'Portal');
    wiki = await startTenantApp(foyer, tenant, 'Wiki');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    await wiki?.close();
    await foyer?.stop();
  });

  it('finds each field by its label and each button by its name, signs in, then enters a second app without a password', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${portal.url}/login`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Contoso' }).isVisible()).toBe(true);
    await expectAccessible(page, 'identifier page');
    await page.getByLabel('Email address').fill('admin@contoso.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByLabel('Password').isVisible()).toBe(true);
    await expectAccessible(page, 'password page');
    await page.getByLabel('Password').fill(tenant.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${portal.url}/callback**`);
    await expect.poll(() => page.getByRole('heading', { name: 'Signed in as admin@contoso.example' }).isVisible()).toBe(true);
    expect(portal.results.at(-1)!.claims).toMatchObject({ iss: tenant.issuer, tid: tenant.id, oid: tenant.admin.id, acct: 0, amr: ['pwd'] });

    await page.goto(`${wiki.url}/login`);
    await page.waitForURL(`${wiki.url}/callback**`);
    expect(wiki.results.at(-1)!.claims).toMatchObject({ sub: tenant.admin.id, tid: tenant.id });
    await context.close();
  });

  it('shows the wrong-password message where a screen reader announces it, and in Swedish', async () => {
    const context = await browser.newContext({ locale: 'sv-SE' });
    const page = await context.newPage();
    await page.goto(`${portal.url}/login`);
    await expect.poll(() => page.getByLabel('E-postadress').isVisible()).toBe(true);
    await expectAccessible(page, 'identifier page in Swedish');
    await page.getByRole('button', { name: 'Nästa' }).click();
    await expect.poll(() => page.getByRole('alert').isVisible()).toBe(true);
    await expectAccessible(page, 'identifier page with an error');
    await page.getByLabel('E-postadress').fill('admin@contoso.example');
    await page.getByRole('button', { name: 'Nästa' }).click();
    await page.getByLabel('Lösenord').fill('fel lösenord');
    await page.getByRole('button', { name: 'Logga in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Kontot eller lösenordet är felaktigt.');
    expect(await page.getByLabel('Lösenord').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'password page with an error');
    await context.close();
  });
});
