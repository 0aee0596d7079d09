/**
 * The pages people meet outside the happy paths of the other browser tests — guest pages step by step,
 * member sign-in, sign-out, error and not-found pages, the development mailbox, the block-invitations
 * pages — in English and Swedish, under a tenant colour that the default footer and links would fail
 * against (#777777). Each page passes axe-core with no serious or critical violation, every link and
 * button on it reaches 4.5:1 computed from the colours Chromium actually paints, the tenant's sign-in page
 * text shows on each page where someone signs in, and the consent page links the privacy statement once.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMailbox } from '../../src/mail/index.js';
import { contrastRatio } from '../../src/platform/contrast.js';
import type { Locale } from '../../src/platform/locale.js';
import { backends } from '../support/backends.js';
import { expectAccessible, launchChromium } from '../support/chromium.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { ADMIN_PERMISSIONS } from '../support/guests.js';
import { type RelyingParty, startTenantApp } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';

const BRAND = '#777777';
const SIGN_IN_TEXT = 'Contoso partners only: use the address your invitation went to.';
const PRIVACY = 'https://contoso.example/privacy';

const words = {
  'en-US': {
    invited: 'Contoso invited you',
    next: 'Next',
    verify: 'Verify your e-mail address',
    sendCode: 'Send code',
    code: 'Code',
    signIn: 'Sign in',
    consent: 'Review permissions',
    accept: 'Accept',
    privacy: 'Contoso’s privacy statement',
    footerPrivacy: 'Privacy statement',
    signInTo: 'Sign in to Contoso',
    error: 'Something went wrong',
    notFound: 'Page not found',
    signOut: 'Sign out',
    signedOut: 'You signed out',
    flowExpired: 'This page has expired',
    badLink: 'This invitation link doesn’t work',
    blockQuestion: 'Block future invitations from Contoso?',
    block: 'Block future invitations',
    blocked: 'You have blocked invitations from Contoso',
    unblock: 'Allow invitations again',
    unblocked: 'Invitations from Contoso are allowed again',
    invalidLink: 'This link is not valid',
  },
  'sv-SE': {
    invited: 'Contoso har bjudit in dig',
    next: 'Nästa',
    verify: 'Bekräfta din e-postadress',
    sendCode: 'Skicka kod',
    code: 'Kod',
    signIn: 'Logga in',
    consent: 'Granska behörigheter',
    accept: 'Godkänn',
    privacy: 'Sekretesspolicy för Contoso',
    footerPrivacy: 'Sekretesspolicy',
    signInTo: 'Logga in på Contoso',
    error: 'Något gick fel',
    notFound: 'Sidan finns inte',
    signOut: 'Logga ut',
    signedOut: 'Du har loggat ut',
    flowExpired: 'Sidan har gått ut',
    badLink: 'Inbjudningslänken fungerar inte',
    blockQuestion: 'Blockera framtida inbjudningar från Contoso?',
    block: 'Blockera framtida inbjudningar',
    blocked: 'Du har blockerat inbjudningar från Contoso',
    unblock: 'Tillåt inbjudningar igen',
    unblocked: 'Inbjudningar från Contoso tillåts igen',
    invalidLink: 'Länken är inte giltig',
  },
} satisfies Record<Locale, Record<string, string>>;

const LOCALES = Object.keys(words) as Locale[];

/** `rgb(r, g, b)` as Chromium reports a computed colour, as `#rrggbb`. */
function hex(rgb: string): string {
  return `#${rgb
    .match(/\d+(\.\d+)?/g)!
    .slice(0, 3)
    .map((n) => Math.round(Number(n)).toString(16).padStart(2, '0'))
    .join('')}`;
}

/** What the page functions below touch of the DOM (the tests are type-checked without the DOM library). */
interface PaintedElement {
  parentElement: PaintedElement | null;
  textContent: string | null;
}
type WithStyles = { getComputedStyle(e: PaintedElement): { color: string; backgroundColor: string } };

/** The colour an element's text is painted in, and the first opaque background behind it. */
function paintedColours(locator: Locator): Promise<{ fg: string; bg: string; text: string }> {
  return locator.evaluate((el: PaintedElement) => {
    const styles = globalThis as unknown as WithStyles;
    let bg = 'rgb(255, 255, 255)';
    for (let e: PaintedElement | null = el; e; e = e.parentElement) {
      const c = styles.getComputedStyle(e).backgroundColor;
      if (c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) {
        bg = c;
        break;
      }
    }
    return { fg: styles.getComputedStyle(el).color, bg, text: (el.textContent ?? '').trim() };
  });
}

/** Every visible link and button on the page reaches WCAG AA (4.5:1) against what is behind it. */
async function expectReadableControls(page: Page): Promise<void> {
  const controls = page.locator('a:visible, button:visible');
  const count = await controls.count();
  for (let i = 0; i < count; i++) {
    const { fg, bg, text } = await paintedColours(controls.nth(i));
    expect(contrastRatio(hex(fg), hex(bg)), `“${text}”: ${fg} on ${bg} at ${page.url()}`).toBeGreaterThanOrEqual(4.5);
  }
}

describe.each(backends)('branded pages in Chromium on $name', (backend) => {
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let admin: string;
  let portal: RelyingParty;
  let browser: Browser;

  beforeAll(async () => {
    // Development mode with no SMTP server: mail lands in the development mailbox, which is one of the pages.
    foyer = await startTestFoyer({ backend, env: { FOYER_MAIL_POLL_INTERVAL: '0.1' } });
    contoso = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    admin = await appToken(
      foyer,
      contoso,
      await foyer.createApp(contoso.id, { displayName: 'Admin script', applicationPermissions: [...ADMIN_PERMISSIONS, 'Organization.ReadWrite.All'] }),
    );
    portal = await startTenantApp(foyer, contoso, 'Contoso portal');
    const branded = await graph(foyer, admin, 'PATCH', `/organization/${contoso.id}/branding`, {
      backgroundColor: BRAND,
      signInPageText: SIGN_IN_TEXT,
      bannerLogoUrl: 'https://cdn.contoso.example/logo.png',
    });
    expect(branded.status, JSON.stringify(branded.body)).toBe(204);
    expect((await graph(foyer, admin, 'PATCH', `/organization/${contoso.id}`, { privacyProfile: { statementUrl: PRIVACY } })).status).toBe(204);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    await foyer?.stop();
  });

  const heading = (page: Page, name: string) => expect.poll(() => page.getByRole('heading', { name }).isVisible(), { timeout: 10_000 }).toBe(true);
  /** A page of Contoso's: in its colour, accessible, every control readable. */
  async function checkBranded(page: Page, step: string) {
    const body = page.locator('body').evaluate((b: PaintedElement) => (globalThis as unknown as WithStyles).getComputedStyle(b).backgroundColor);
    expect(hex(await body)).toBe(BRAND);
    await expectAccessible(page, step);
    await expectReadableControls(page);
  }
  const signInText = (page: Page) => page.getByText(SIGN_IN_TEXT).count();

  /** The newest mail to `address` in the development mailbox once there are more than `after`. */
  async function mailTo(address: string, after: number) {
    for (let i = 0; i < 400; i++) {
      const mails = (await listMailbox(foyer.ctx.db.kysely, 100)).filter((m) => m.mail.to.address === address);
      if (mails.length > after) return mails[0]!.mail;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail to ${address}`);
  }
  const mailCount = async (address: string) => (await listMailbox(foyer.ctx.db.kysely, 100)).filter((m) => m.mail.to.address === address).length;

  it.each(LOCALES)(
    'a guest redeems with a passcode in %s: each page readable, the sign-in text on each sign-in step, the privacy link once',
    async (locale) => {
      const w = words[locale];
      const address = `guest-${locale.toLowerCase()}@outlook.example`;
      const made = await graph(foyer, admin, 'POST', '/invitations', {
        invitedUserEmailAddress: address,
        inviteRedirectUrl: `${portal.url}/login`,
        sendInvitationMessage: false,
        invitedUserMessageInfo: { messageLanguage: locale },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const context = await browser.newContext({ locale });
      const page = await context.newPage();

      await page.goto(made.body.inviteRedeemUrl);
      await heading(page, w.invited);
      expect(await signInText(page)).toBe(1);
      await checkBranded(page, 'invitation landing page');

      await page.getByRole('button', { name: w.next }).click();
      await heading(page, w.verify);
      expect(await signInText(page)).toBe(1);
      await checkBranded(page, 'passcode page, before sending');

      const before = await mailCount(address);
      await page.getByRole('button', { name: w.sendCode }).click();
      await expect.poll(() => page.getByLabel(w.code).isVisible()).toBe(true);
      expect(await signInText(page)).toBe(1);
      await checkBranded(page, 'passcode page, code sent');
      const code = /\b(\d{8})\b/.exec((await mailTo(address, before)).text)![1]!;

      await page.getByLabel(w.code).fill(code === '00000000' ? '11111111' : '00000000');
      await page.getByRole('button', { name: w.signIn }).click();
      await expect.poll(() => page.getByRole('alert').isVisible()).toBe(true);
      await checkBranded(page, 'passcode page, wrong code');

      await page.getByLabel(w.code).fill(code);
      await page.getByRole('button', { name: w.signIn }).click();
      await heading(page, w.consent);
      await checkBranded(page, 'consent page');
      // The privacy statement is linked once, in what the guest reviews, and not again in the footer.
      expect(await page.getByRole('link', { name: w.privacy }).getAttribute('href')).toBe(PRIVACY);
      expect(await page.locator(`a[href="${PRIVACY}"]`).count()).toBe(1);
      expect(await page.getByRole('contentinfo').count()).toBe(0);

      await page.getByRole('button', { name: w.accept }).click();
      await page.waitForURL(`${portal.url}/callback**`);
      expect(portal.results.at(-1)!.claims).toMatchObject({ oid: made.body.invitedUser.id, acct: 1, amr: ['otp'] });
      await context.close();
    },
    180_000,
  );

  it.each(LOCALES)(
    'member sign-in, sign-out, error and not-found pages in %s are readable and in the tenant’s colour',
    async (locale) => {
      const w = words[locale];
      const context = await browser.newContext({ locale });
      const page = await context.newPage();

      await page.goto(`${portal.url}/login`);
      await heading(page, w.signInTo);
      expect(await signInText(page)).toBe(1);
      await checkBranded(page, 'member sign-in page');
      expect(await page.getByRole('contentinfo').getByRole('link', { name: w.footerPrivacy }).getAttribute('href')).toBe(PRIVACY);
      await page.getByRole('textbox').first().fill(contoso.admin.userPrincipalName);
      await page.getByRole('button', { name: w.next }).click();
      await expect.poll(() => page.locator('input[type=password]').isVisible()).toBe(true);
      expect(await signInText(page)).toBe(1);
      await checkBranded(page, 'member password page');
      await page.locator('input[type=password]').fill(contoso.admin.password);
      await page.getByRole('button', { name: w.signIn }).click();
      await page.waitForURL(`${portal.url}/callback**`);

      // The OpenID provider's pages: a protocol error, the sign-out question, "you signed out".
      const discovery = (await (await fetch(`${contoso.issuer}/.well-known/openid-configuration`)).json()) as {
        authorization_endpoint: string;
        end_session_endpoint: string;
      };
      await page.goto(`${discovery.authorization_endpoint}?client_id=no-such-app&response_type=code&scope=openid`);
      await heading(page, w.error);
      await checkBranded(page, 'protocol error page');
      await page.goto(discovery.end_session_endpoint);
      await expect.poll(() => page.getByRole('button', { name: w.signOut }).isVisible()).toBe(true);
      await checkBranded(page, 'sign-out question');
      await page.getByRole('button', { name: w.signOut }).click();
      await heading(page, w.signedOut);
      await checkBranded(page, 'signed-out page');

      // Pages outside any tenant: unbranded, and as readable.
      for (const [url, title] of [
        [`${foyer.url}/no/such/page`, w.notFound],
        [`${foyer.url}/guest`, w.flowExpired],
        [`${foyer.url}/redeem?tenant=${contoso.id}&user=00000000-0000-4000-8000-000000000000&ticket=nope`, w.badLink],
      ] as const) {
        await page.goto(url);
        await heading(page, title);
        await expectAccessible(page, title);
        await expectReadableControls(page);
      }
      await page.goto(foyer.url);
      await expectAccessible(page, 'home page');
      await context.close();
    },
    180_000,
  );

  it.each(LOCALES)(
    'the development mailbox and the block-invitations pages in %s are readable',
    async (locale) => {
      const w = words[locale];
      const address = `block-${locale.toLowerCase()}@outlook.example`;
      const before = await mailCount(address);
      const made = await graph(foyer, admin, 'POST', '/invitations', {
        invitedUserEmailAddress: address,
        inviteRedirectUrl: `${portal.url}/login`,
        sendInvitationMessage: true,
        invitedUserMessageInfo: { messageLanguage: locale },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const mail = await mailTo(address, before);
      const context = await browser.newContext({ locale });
      const page = await context.newPage();

      await page.goto(`${foyer.url}/_dev/mailbox`);
      const listed = page.getByRole('link', { name: mail.subject }).first();
      await expect.poll(() => listed.isVisible()).toBe(true);
      await expectAccessible(page, 'development mailbox');
      await expectReadableControls(page);
      await listed.click();
      await heading(page, mail.subject);
      await expectAccessible(page, 'development mailbox message');
      await expectReadableControls(page);
      const blockUrl = /(http:\/\/localhost:\d+\/invitations\/block\?[^\s"<>]+)/.exec((await page.locator('main').textContent()) ?? '')![1]!;

      await page.goto(blockUrl);
      await heading(page, w.blockQuestion);
      await checkBranded(page, 'block page');
      await page.getByRole('button', { name: w.block }).click();
      await heading(page, w.blocked);
      await checkBranded(page, 'blocked confirmation');
      await page.getByRole('button', { name: w.unblock }).click();
      await heading(page, w.unblocked);
      await checkBranded(page, 'unblocked confirmation');

      await page.goto(blockUrl.replace(/sig=[^&]+/, 'sig=forged'));
      await heading(page, w.invalidLink);
      await expectAccessible(page, 'invalid block link');
      await context.close();
    },
    180_000,
  );
});
