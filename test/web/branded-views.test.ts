/**
 * The page frame and the guest and sign-in views, rendered directly: the tenant colour arrives with the
 * colours derived from it (and nothing else reaches the stylesheet), the tenant's sign-in page text is on
 * every page where someone signs in, and the consent page links the privacy statement exactly once.
 */
import { describe, expect, it } from 'vitest';
import { html } from '../../src/platform/html.js';
import type { Locale } from '../../src/platform/locale.js';
import { consentPage, landingPage, passcodeStep, passwordStep, type View } from '../../src/web/guest/views.js';
import { type PageBrand, page } from '../../src/web/kit/layout.js';
import { identifierPage, passwordPage } from '../../src/web/sign-in/sign-in-views.js';

const PRIVACY = 'https://contoso.example/privacy';
const brand = (backgroundColor: string): PageBrand => ({
  organizationName: 'Contoso',
  branding: { backgroundColor, signInPageText: 'Partners only <b>please</b>' },
  privacyStatementUrl: PRIVACY,
});
const SAID = 'Partners only &lt;b&gt;please&lt;/b&gt;';
const view = (locale: Locale): View => ({ locale, brand: brand('#777777'), csrfToken: 'token' });
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe('a branded page frame', () => {
  it('paints the tenant colour with a footer colour and an accent that reach 4.5:1', () => {
    const out = page('en-US', 'Sign in', html`<h1>Sign in</h1>`, brand('#777777'));
    expect(out).toContain('body { background: #777777; }');
    // #777777 is 4.48:1 on the white card: the accent is darkened to #767676 (4.54:1); black text on the page colour.
    expect(out).toContain(':root { --accent: #767676; }');
    expect(out).toContain('footer, footer a { color: #000000; }');
    expect(out).toContain(`<footer><a href="${PRIVACY}">Privacy statement</a></footer>`);
  });

  it('keeps a dark tenant colour as the accent and writes white on it', () => {
    const out = page('sv-SE', 'Logga in', html`<h1>Logga in</h1>`, brand('#1f4e79'));
    expect(out).toContain('<html lang="sv-SE">');
    expect(out).toContain(':root { --accent: #1f4e79; }');
    expect(out).toContain('footer, footer a { color: #ffffff; }');
  });

  it.each(['red', '#12345678', '#777; background-image: url(https://evil.example/t)', '</style><script>alert(1)</script>'])(
    'lets nothing but a #rgb or #rrggbb colour into the stylesheet: %j',
    (backgroundColor) => {
      const out = page('en-US', 'Sign in', html`<h1>Sign in</h1>`, brand(backgroundColor));
      expect(out).not.toContain('body { background:');
      expect(out).not.toContain('evil.example');
      expect(out).not.toContain('<script>');
    },
  );
});

describe('the tenant’s sign-in page text', () => {
  const form = { locale: 'en-US' as const, brand: brand('#1f4e79'), action: '/x', csrfToken: 't', cancelAction: '/c' };
  it.each([
    ['the member sign-in page', () => identifierPage(form, {})],
    ['the member password page', () => passwordPage(form, { email: 'a@contoso.example', changeAccountAction: '/a' })],
    [
      'the invitation landing page',
      () => landingPage(view('en-US'), { title: 'Contoso invited you', body: 'b', address: 'g@x.example', action: '/r', hidden: {} }),
    ],
    ['a guest’s password page', () => passwordStep(view('sv-SE'), { title: 'Logga in', address: 'g@x.example', action: '/p', cancelAction: '/c' })],
    ['the passcode page', () => passcodeStep(view('en-US'), { address: 'g@x.example', sent: false, sendAction: '/s', verifyAction: '/v', cancelAction: '/c' })],
    [
      'the passcode page once the code is sent',
      () => passcodeStep(view('sv-SE'), { address: 'g@x.example', sent: true, sendAction: '/s', verifyAction: '/v', cancelAction: '/c' }),
    ],
  ])('shows on %s, escaped', (_name, render) => {
    expect(count(render(), SAID)).toBe(1);
  });
});

describe('the consent page', () => {
  it.each(['en-US', 'sv-SE'] as const)('links the privacy statement once, in what the guest reviews (%s)', (locale) => {
    const out = consentPage(view(locale), {
      organization: 'Contoso',
      domain: 'contoso.example',
      privacyStatementUrl: PRIVACY,
      address: 'g@x.example',
      acceptAction: '/a',
      cancelAction: '/c',
    });
    expect(count(out, `href="${PRIVACY}"`)).toBe(1);
    expect(out).not.toContain('<footer>');
  });
});
