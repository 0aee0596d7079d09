/**
 * The redemption and guest sign-in pages. Server-rendered, no scripts; every control labelled, errors
 * announced (role="alert"), every form carrying its CSRF token.
 */
import { type Html, html } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { redemptionText } from '../kit/guest-texts.js';
import { type PageBrand, page, signInPageText } from '../kit/layout.js';

export interface View {
  locale: Locale;
  brand: PageBrand;
  csrfToken: string;
}

const csrf = (v: View) => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;
const alert = (id: string, message?: string) => (message ? html`<p class="error" role="alert" id="${id}">${message}</p>` : '');

function button(v: View, action: string, label: string, kind: 'primary' | 'secondary', hidden: Record<string, string> = {}): Html {
  return html`<form method="post" action="${action}">${csrf(v)}${Object.entries(hidden).map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`)}<button type="submit" class="${kind}">${label}</button></form>`;
}

export function landingPage(v: View, o: { title: string; body: string; address: string; action: string; hidden: Record<string, string> }): string {
  const t = redemptionText(v.locale);
  return page(
    v.locale,
    o.title,
    html`<h1>${o.title}</h1>
<p>${o.body}</p>
${signInPageText(v.brand)}
<p class="identity">${t.invitationFor} ${o.address}</p>
<div class="actions">${button(v, o.action, t.next, 'primary', o.hidden)}</div>`,
    v.brand,
  );
}

export function passwordStep(v: View, o: { title: string; address: string; action: string; cancelAction: string; error?: string }): string {
  const t = redemptionText(v.locale);
  return page(
    v.locale,
    o.title,
    html`<h1>${o.title}</h1>
<p class="identity">${o.address}</p>
${signInPageText(v.brand)}
${alert('password-error', o.error)}
<form method="post" action="${o.action}">
${csrf(v)}
<input type="text" name="username" value="${o.address}" autocomplete="username" hidden>
<label for="password">${t.passwordLabel}</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required${o.error ? html` aria-invalid="true" aria-describedby="password-error"` : ''}>
<div class="actions"><button type="submit" class="primary">${t.signIn}</button></div>
</form>
<div class="actions">${button(v, o.cancelAction, t.cancel, 'secondary')}</div>`,
    v.brand,
  );
}

export function passcodeStep(
  v: View,
  o: { address: string; sent: boolean; sendAction: string; verifyAction: string; cancelAction: string; error?: string },
): string {
  const t = redemptionText(v.locale);
  const body = o.sent
    ? html`<p>${t.passcodeSent(o.address)}</p>
${alert('code-error', o.error)}
<form method="post" action="${o.verifyAction}">
${csrf(v)}
<label for="code">${t.codeLabel}</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="12" autofocus required
  aria-describedby="code-hint${o.error ? ' code-error' : ''}"${o.error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="code-hint">${t.codeHint}</p>
<div class="actions"><button type="submit" class="primary">${t.signIn}</button></div>
</form>
<div class="actions">${button(v, o.sendAction, t.sendNewCode, 'secondary')}${button(v, o.cancelAction, t.cancel, 'secondary')}</div>`
    : html`<p>${t.passcodeIntro(o.address)}</p>
${alert('code-error', o.error)}
<div class="actions">${button(v, o.cancelAction, t.cancel, 'secondary')}${button(v, o.sendAction, t.sendCode, 'primary')}</div>`;
  return page(v.locale, t.passcodeTitle, html`<h1>${t.passcodeTitle}</h1>${signInPageText(v.brand)}${body}`, v.brand);
}

export function signUpStep(v: View, o: { address: string; action: string; cancelAction: string; name?: string; error?: string }): string {
  const t = redemptionText(v.locale);
  return page(
    v.locale,
    t.signUpTitle,
    html`<h1>${t.signUpTitle}</h1>
<p>${t.signUpIntro(o.address)}</p>
${alert('signup-error', o.error)}
<form method="post" action="${o.action}">
${csrf(v)}
<input type="text" name="username" value="${o.address}" autocomplete="username" hidden>
<label for="name">${t.nameLabel}</label>
<input id="name" name="name" type="text" autocomplete="name" required value="${o.name ?? ''}">
<label for="new-password">${t.newPasswordLabel}</label>
<input id="new-password" name="password" type="password" autocomplete="new-password" required aria-describedby="password-hint${o.error ? ' signup-error' : ''}">
<p class="hint" id="password-hint">${t.newPasswordHint}</p>
<div class="actions"><button type="submit" class="primary">${t.createAccount}</button></div>
</form>
<div class="actions">${button(v, o.cancelAction, t.cancel, 'secondary')}</div>`,
    v.brand,
  );
}

export function choicePage(v: View, o: { title: string; body: string; primary?: { action: string; label: string }; cancelAction?: string }): string {
  const t = redemptionText(v.locale);
  return page(
    v.locale,
    o.title,
    html`<h1>${o.title}</h1>
<p>${o.body}</p>
<div class="actions">${o.cancelAction ? button(v, o.cancelAction, t.cancel, 'secondary') : ''}${o.primary ? button(v, o.primary.action, o.primary.label, 'primary') : ''}</div>`,
    v.brand,
  );
}

export function consentPage(
  v: View,
  o: { organization: string; domain: string; privacyStatementUrl: string | null; address: string; acceptAction: string; cancelAction: string },
): string {
  const t = redemptionText(v.locale);
  return page(
    v.locale,
    t.consentTitle,
    html`<h1>${t.consentTitle}</h1>
<p>${t.consentIntro(o.organization, o.domain)}</p>
<ul>
<li>${t.consentSignIn}</li>
<li>${t.consentRead}</li>
<li>${t.consentIds}</li>
</ul>
<p class="identity">${t.consentSignedInAs(o.address)}</p>
<p>${o.privacyStatementUrl ? html`<a href="${o.privacyStatementUrl}">${t.consentPrivacy(o.organization)}</a>` : t.consentNoTerms(o.organization)}</p>
<p class="hint">${t.consentNote}</p>
<div class="actions">${button(v, o.cancelAction, t.cancel, 'secondary')}${button(v, o.acceptAction, t.accept, 'primary')}</div>`,
    // The privacy statement is part of what the guest reviews, above: not a second time in the footer.
    { ...v.brand, privacyStatementUrl: null },
  );
}
