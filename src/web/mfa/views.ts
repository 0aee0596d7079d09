/** The MFA pages' markup: server-rendered, escaped, labelled, keyboard-usable; only the passkey page runs a script. */
import { type Html, html, raw } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { type PageBrand, page } from '../kit/layout.js';
import { mfaText } from './texts.js';

export interface MfaView {
  locale: Locale;
  brand: PageBrand;
  csrfToken: string;
  /** The person, as the page shows them (a UPN or an address). */
  account: string;
}

const csrf = (v: MfaView) => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;

function errorBlock(error: string | undefined): Html | '' {
  return error ? html`<p class="error" role="alert" id="mfa-error">${error}</p>` : '';
}

function codeField(opts: { name: string; label: string; hint: string; error?: string; numeric: boolean }): Html {
  const described = `code-hint${opts.error ? ' mfa-error' : ''}`;
  return html`<label for="code">${opts.label}</label>
<input id="code" name="${opts.name}" type="text" ${opts.numeric ? raw('inputmode="numeric" pattern="[0-9 ]*" ') : ''}autocomplete="one-time-code" autofocus required aria-describedby="${described}"${opts.error ? raw(' aria-invalid="true"') : ''}>
<p class="hint" id="code-hint">${opts.hint}</p>`;
}

/** "More information required": the methods one can register. */
export function registerChoicePage(v: MfaView, o: { organization: string; totpHref: string; passkeyHref: string }): string {
  const t = mfaText(v.locale);
  return page(
    v.locale,
    t.registerTitle,
    html`<h1>${t.registerTitle}</h1>
<p class="identity">${v.account}</p>
<p>${t.registerIntro(o.organization)}</p>
<h2>${t.registerChoose}</h2>
<ul class="methods">
<li><a href="${o.totpHref}">${t.totpOption}</a><p class="hint">${t.totpOptionHint}</p></li>
<li><a href="${o.passkeyHref}">${t.passkeyOption}</a><p class="hint">${t.passkeyOptionHint}</p></li>
</ul>`,
    v.brand,
  );
}

/** Registering an authenticator app: the QR code (SVG made on the server), the key as text, a first code. */
export function totpSetupPage(v: MfaView, o: { action: string; qrSvg: string; secret: string; error?: string; backHref?: string }): string {
  const t = mfaText(v.locale);
  const grouped = o.secret.replace(/(.{4})/g, '$1 ').trim();
  return page(
    v.locale,
    t.totpSetupTitle,
    html`<h1>${t.totpSetupTitle}</h1>
<p class="identity">${v.account}</p>
<p>${t.totpSetupScan}</p>
<figure class="qr" role="img" aria-label="${t.totpQrAlt}">${raw(o.qrSvg)}</figure>
<dl class="meta"><dt>${t.totpAccountLabel}</dt><dd>${v.account}</dd><dt>${t.totpKeyLabel}</dt><dd><code id="totp-key">${grouped}</code></dd></dl>
${errorBlock(o.error)}
<form method="post" action="${o.action}">
${csrf(v)}
${codeField({ name: 'code', label: t.codeLabel, hint: t.codeHint, numeric: true, ...(o.error ? { error: o.error } : {}) })}
<div class="actions"><button type="submit" class="primary">${t.next}</button></div>
</form>
${o.backHref ? html`<p><a href="${o.backHref}">${t.otherMethods}</a></p>` : ''}`,
    v.brand,
  );
}

/** A code to type: an authenticator app's (challenge) or a recovery code. */
export function codePage(v: MfaView, o: { title: string; intro: string; action: string; recovery: boolean; error?: string; otherHref: string }): string {
  const t = mfaText(v.locale);
  return page(
    v.locale,
    o.title,
    html`<h1>${o.title}</h1>
<p class="identity">${v.account}</p>
<p>${o.intro}</p>
${errorBlock(o.error)}
<form method="post" action="${o.action}">
${csrf(v)}
${codeField({
  name: 'code',
  label: o.recovery ? t.recoveryLabel : t.codeLabel,
  hint: o.recovery ? t.recoveryIntro : t.codeHint,
  numeric: !o.recovery,
  ...(o.error ? { error: o.error } : {}),
})}
<div class="actions"><button type="submit" class="primary">${t.verify}</button></div>
</form>
<p><a href="${o.otherHref}">${t.otherMethods}</a></p>`,
    v.brand,
  );
}

/** "Use another method": every way the person can prove it's them. */
export function otherMethodsPage(v: MfaView, options: Array<{ href: string; label: string }>): string {
  const t = mfaText(v.locale);
  return page(
    v.locale,
    t.otherMethodsTitle,
    html`<h1>${t.otherMethodsTitle}</h1>
<p class="identity">${v.account}</p>
<ul class="methods">${options.map((o) => html`<li><a href="${o.href}">${o.label}</a></li>`)}</ul>`,
    v.brand,
  );
}

/** The ten recovery codes, shown once, and the way on (a POST to the gate's continue, or a plain GET back to a page). */
export function recoveryCodesPage(v: MfaView, o: { codes: string[]; action: string; note?: string; method?: 'post' | 'get' }): string {
  const t = mfaText(v.locale);
  return page(
    v.locale,
    t.recoveryCodesTitle,
    html`<h1>${t.recoveryCodesTitle}</h1>
<p class="identity">${v.account}</p>
${o.note ? html`<p role="status">${o.note}</p>` : ''}
<p>${t.recoveryCodesIntro}</p>
<ul class="recovery-codes" aria-label="${t.recoveryLabel}">${o.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<form method="${o.method ?? 'post'}" action="${o.action}">
${o.method === 'get' ? '' : csrf(v)}
<div class="actions"><button type="submit" class="primary" autofocus>${t.continue}</button></div>
</form>`,
    v.brand,
  );
}

/**
 * The passkey page, registering or signing in: the one page with a script. The WebAuthn options travel in
 * a JSON data block; the library (@simplewebauthn/browser) and the page's few lines are loaded with the
 * response's nonce. The script runs on the button, fills the hidden field and submits the form.
 */
export function passkeyPage(
  v: MfaView,
  o: {
    mode: 'register' | 'authenticate';
    action: string;
    options: unknown;
    nonce: string;
    libraryPath: string;
    scriptPath: string;
    error?: string;
    otherHref: string;
  },
): string {
  const t = mfaText(v.locale);
  const title = o.mode === 'register' ? t.passkeySetupTitle : t.challengeTitle;
  // JSON inside a <script type="application/json"> block: "<" is escaped so no "</script>" can end it.
  const data = JSON.stringify(o.options).replace(/</g, '\\u003c');
  return page(
    v.locale,
    title,
    html`<h1>${title}</h1>
<p class="identity">${v.account}</p>
<p>${o.mode === 'register' ? t.passkeySetupIntro : t.challengePasskeyIntro}</p>
${errorBlock(o.error)}
<p class="error" role="alert" id="passkey-error" hidden>${t.passkeyFailed}</p>
<noscript><p class="error">${t.passkeyNoScript}</p></noscript>
<form method="post" action="${o.action}" id="passkey-form" data-mode="${o.mode}">
${csrf(v)}
<input type="hidden" name="response" id="passkey-response">
${
  o.mode === 'register'
    ? html`<label for="passkey-name">${t.passkeyNameLabel}</label>
<input id="passkey-name" name="name" type="text" maxlength="64" value="${t.passkeyDefaultName}" aria-describedby="passkey-name-hint">
<p class="hint" id="passkey-name-hint">${t.passkeyNameHint}</p>`
    : ''
}
<div class="actions"><button type="button" class="primary" id="passkey-start">${o.mode === 'register' ? t.createPasskey : t.usePasskey}</button></div>
</form>
<p><a href="${o.otherHref}">${t.otherMethods}</a></p>
<script type="application/json" id="passkey-options">${raw(data)}</script>
<script nonce="${o.nonce}" src="${o.libraryPath}"></script>
<script nonce="${o.nonce}" src="${o.scriptPath}"></script>`,
    v.brand,
  );
}

/** The page's own lines, served as a file (with the page's nonce on its tag). */
export const PASSKEY_SCRIPT = `(() => {
  const form = document.getElementById('passkey-form');
  const button = document.getElementById('passkey-start');
  const failed = document.getElementById('passkey-error');
  const optionsJSON = JSON.parse(document.getElementById('passkey-options').textContent);
  const lib = window.SimpleWebAuthnBrowser;
  button.addEventListener('click', async () => {
    failed.hidden = true;
    button.disabled = true;
    try {
      const response = form.dataset.mode === 'register' ? await lib.startRegistration({ optionsJSON }) : await lib.startAuthentication({ optionsJSON });
      document.getElementById('passkey-response').value = JSON.stringify(response);
      form.submit();
    } catch (e) {
      failed.hidden = false;
      button.disabled = false;
      button.focus();
    }
  });
})();
`;
