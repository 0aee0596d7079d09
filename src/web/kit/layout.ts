/** The frame of every page: language, title, the tenant's branding, and a small accessible stylesheet. */
import type { Branding, Tenant } from '../../directory/tenants.js';
import { brandPalette } from '../../platform/contrast.js';
import { type Html, html, raw } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { text } from './i18n.js';

export interface PageBrand {
  organizationName?: string;
  branding?: Branding;
  privacyStatementUrl?: string | null;
}

const STYLE = raw(`
:root { --accent: #0f5ea8; --bg: #f3f4f6; --fg: #1b1f24; --muted: #59636e; --error: #a4262c; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
main { max-width: 440px; margin: 8vh auto 2rem; background: #fff; padding: 2rem 2.25rem; border-radius: 8px; box-shadow: 0 2px 8px rgba(0,0,0,.08); }
header.brand { display: flex; align-items: center; gap: .75rem; margin-bottom: 1.25rem; font-weight: 600; }
header.brand img { max-height: 36px; max-width: 200px; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .6rem .7rem; font-size: 1rem; border: 1px solid #8a939d; border-radius: 4px; }
/* Two tones, so the focus ring shows on the white card and on any tenant colour behind the footer. */
input:focus, button:focus, a:focus { outline: 3px solid #ffbf47; outline-offset: 1px; box-shadow: 0 0 0 6px #1b1f24; }
.actions { display: flex; gap: .75rem; justify-content: flex-end; margin-top: 1.5rem; flex-wrap: wrap; }
button { font-size: 1rem; padding: .55rem 1.4rem; border-radius: 4px; border: 1px solid var(--accent); cursor: pointer; }
button.primary { background: var(--accent); color: #fff; }
button.secondary { background: #fff; color: var(--accent); }
.error { color: var(--error); border-left: 4px solid var(--error); padding: .5rem .75rem; background: #fdf3f4; margin: 1rem 0; }
.identity { color: var(--muted); margin: 0 0 .5rem; overflow-wrap: anywhere; }
footer { max-width: 440px; margin: 0 auto; color: var(--muted); font-size: .85rem; text-align: center; }
dl.meta { font-size: .85rem; color: var(--muted); } dl.meta dt { font-weight: 600; }
code, pre { background: #f0f1f3; padding: .1rem .3rem; border-radius: 3px; overflow-x: auto; }
pre { padding: .75rem; }
`);

/** Headers every HTML page carries: no framing (clickjacking), no caching of personal pages, no scripts. */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // No form-action: Chrome applies it to the redirect chain after a POST, which ends at the app.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'; base-uri 'none'",
} as const;

export function page(locale: Locale, title: string, body: Html, brand: PageBrand = {}): string {
  const lang = locale;
  const logo = brand.branding?.bannerLogoUrl;
  // Only a parsed #rgb/#rrggbb colour reaches the stylesheet (no CSS injection), with the colours that keep
  // the footer, links and buttons at WCAG AA contrast against it, whatever the administrator chose.
  const palette = brandPalette(brand.branding?.backgroundColor);
  const bg = palette
    ? raw(
        `<style>body { background: ${palette.background}; } :root { --accent: ${palette.accent}; } footer, footer a { color: ${palette.onBackground}; }</style>`,
      )
    : '';
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}${brand.organizationName ? ` – ${brand.organizationName}` : ''}</title>
<style>${STYLE}</style>${bg}
</head>
<body>
<main>
${
  brand.organizationName || logo
    ? html`<header class="brand">${logo ? html`<img src="${logo}" alt="">` : ''}<span>${brand.organizationName ?? ''}</span></header>`
    : ''
}
${body}
</main>
${brand.privacyStatementUrl ? html`<footer><a href="${brand.privacyStatementUrl}">${text(locale).footerPrivacy}</a></footer>` : ''}
</body>
</html>`.value;
}

/**
 * The tenant's sign-in page text, on every page where someone signs in to or for it (its own sign-in
 * page, and the guest pages of its invitations). Plain text: escaped like any other value.
 */
export function signInPageText(brand: PageBrand): Html | '' {
  const said = brand.branding?.signInPageText;
  return said ? html`<p class="sign-in-text">${said}</p>` : '';
}

/** A tenant's pages wear its name, branding and privacy statement. */
export function brandOf(tenant: Tenant): PageBrand {
  return {
    organizationName: tenant.displayName,
    branding: tenant.branding,
    privacyStatementUrl: tenant.privacyStatementUrl,
  };
}

/** A page that only says something: an error, a refusal, a confirmation. */
export function messagePage(locale: Locale, title: string, body: string, brand: PageBrand = {}, meta: Record<string, string> = {}): string {
  const entries = Object.entries(meta);
  return page(
    locale,
    title,
    html`<h1>${title}</h1>
<p>${body}</p>
${entries.length ? html`<dl class="meta">${entries.map(([k, v]) => html`<dt>${k}</dt><dd><code>${v}</code></dd>`)}</dl>` : ''}`,
    brand,
  );
}
