/** Debian's Chromium driven by playwright-core, with the flags this machine's closed network needs. */
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RelyingParty } from './relying-party.js';

export const CHROMIUM = process.env.FOYER_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** The impacts a page must have none of: what keeps someone from using it, not what merely slows them down. */
const BLOCKING: ReadonlySet<string> = new Set(['serious', 'critical']);

/**
 * Runs axe-core on the page as it is now and throws when it finds a serious or critical violation, with
 * every one of them (rule, impact, elements, what to fix) in the message, so a failure says what broke.
 * The page's Content-Security-Policy allows no scripts; axe runs through the browser's debugging protocol,
 * which the policy does not cover, so the page under test is the one users get.
 */
export async function expectAccessible(page: Page, step = ''): Promise<void> {
  await page.waitForLoadState('load');
  const results = await new AxeBuilder({ page }).analyze();
  const blocking = results.violations.filter((v) => BLOCKING.has(v.impact ?? ''));
  if (blocking.length === 0) return;
  const where = `${step ? `${step}: ` : ''}${page.url()} (lang ${await page.locator('html').getAttribute('lang')})`;
  const lines = blocking.flatMap((v) => [
    `- ${v.id} (${v.impact}): ${v.help} ${v.helpUrl}`,
    ...v.nodes.map((n) => `    ${n.target.join(' ')} — ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`),
  ]);
  throw new Error(`axe-core found ${blocking.length} serious or critical accessibility violation(s) on ${where}\n${lines.join('\n')}`);
}

/** What the page says, for a failure message: where it is and the text of its main part. */
async function whereAndWhat(page: Page): Promise<string> {
  return `at ${page.url()}: ${
    (await page
      .locator('main')
      .textContent()
      .catch(() => '')) ?? ''
  }`;
}

/** Waits for the page whose heading is `name` (of `level`, when given), then checks it with axe-core. */
export async function expectHeading(page: Page, name: string | RegExp, level?: number): Promise<void> {
  await expect
    .poll(() => page.getByRole('heading', { name, ...(level ? { level } : {}) }).isVisible(), { timeout: 10_000 })
    .toBe(true)
    .catch(async (e) => {
      throw new Error(`${e} — ${await whereAndWhat(page)}`);
    });
  await expectAccessible(page, String(name));
}

/** Waits until the browser is back at the app's callback; the claims of the ID token it validated there. */
export async function landedAt(page: Page, app: RelyingParty) {
  await page.waitForURL(`${app.url}/callback**`).catch(async (e) => {
    throw new Error(`${e} — ${await whereAndWhat(page)}`);
  });
  return app.results.at(-1)!.claims;
}
