/** Debian's Chromium driven by playwright-core, with the flags this machine's closed network needs. */
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.FOYER_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
