/** The identifier-first sign-in pages. Every control is labelled; errors are announced (role="alert"). */
import { html } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { text } from '../kit/i18n.js';
import { type PageBrand, page, signInPageText } from '../kit/layout.js';

export interface FormContext {
  locale: Locale;
  brand: PageBrand;
  /** Where the form posts. */
  action: string;
  csrfToken: string;
  cancelAction: string;
}

/** The form that ends the sign-in and sends the person back to the app. */
export function cancelForm(f: FormContext) {
  const t = text(f.locale);
  return html`<form method="post" action="${f.cancelAction}">
<input type="hidden" name="_csrf" value="${f.csrfToken}">
<button type="submit" class="secondary">${t.cancel}</button>
</form>`;
}

export function identifierPage(f: FormContext, opts: { email?: string; error?: string }): string {
  const t = text(f.locale);
  const title = f.brand.organizationName ? t.signInTo(f.brand.organizationName) : t.signInTitle;
  return page(
    f.locale,
    t.signInTitle,
    html`<h1>${title}</h1>
${signInPageText(f.brand)}
${opts.error ? html`<p class="error" role="alert" id="email-error">${opts.error}</p>` : ''}
<form method="post" action="${f.action}" novalidate>
<input type="hidden" name="_csrf" value="${f.csrfToken}">
<label for="email">${t.emailLabel}</label>
<input id="email" name="email" type="email" autocomplete="username" autofocus required value="${opts.email ?? ''}"
  aria-describedby="email-hint${opts.error ? ' email-error' : ''}"${opts.error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="email-hint">${t.emailHint}</p>
<div class="actions"><button type="submit" class="primary">${t.next}</button></div>
</form>
<div class="actions">${cancelForm(f)}</div>`,
    f.brand,
  );
}

export function passwordPage(f: FormContext, opts: { email: string; error?: string; changeAccountAction: string }): string {
  const t = text(f.locale);
  return page(
    f.locale,
    t.signInTitle,
    html`<h1>${t.enterPasswordFor(opts.email)}</h1>
<p class="identity">${opts.email}</p>
${signInPageText(f.brand)}
${opts.error ? html`<p class="error" role="alert" id="password-error">${opts.error}</p>` : ''}
<form method="post" action="${f.action}">
<input type="hidden" name="_csrf" value="${f.csrfToken}">
<input type="hidden" name="email" value="${opts.email}">
<input type="text" name="username" value="${opts.email}" autocomplete="username" hidden>
<label for="password">${t.passwordLabel}</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required
  ${opts.error ? html`aria-invalid="true" aria-describedby="password-error"` : ''}>
<div class="actions"><button type="submit" class="primary">${t.signIn}</button></div>
</form>
<form method="get" action="${opts.changeAccountAction}"><p><button type="submit" class="secondary">${t.useAnotherAccount}</button></p></form>
<div class="actions">${cancelForm(f)}</div>`,
    f.brand,
  );
}
