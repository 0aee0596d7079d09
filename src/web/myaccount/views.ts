/** The "My organizations" pages' markup: server-rendered, escaped, labelled, keyboard-usable, no script. */
import type { Tenant } from '../../directory/tenants.js';
import type { LeaveRefusal } from '../../governance/index.js';
import { type Html, html } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { page } from '../kit/layout.js';
import { myAccountText } from './texts.js';

export interface MyAccountView {
  locale: Locale;
  csrfToken: string;
}

export interface ListedOrganization {
  tenant: Tenant;
  /** Epoch ms: the redemption (a guest) or the account's creation (a member). */
  since: number;
  /** Where Leave goes (guests only). */
  leaveHref?: string;
}

const csrf = (v: MyAccountView) => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;

/** A date as the person's language writes it (the instance's calendar day in UTC). */
function day(v: MyAccountView, epochMs: number): string {
  return new Intl.DateTimeFormat(v.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(epochMs));
}

const ORG_STYLE = 'display:flex;gap:1rem;align-items:flex-start;justify-content:space-between;padding:.75rem 0;border-bottom:1px solid #d5d9de';

function organization(v: MyAccountView, o: ListedOrganization, home: boolean): Html {
  const t = myAccountText(v.locale);
  const name = o.tenant.displayName;
  const logo = o.tenant.branding.bannerLogoUrl;
  const since = html`<time datetime="${new Date(o.since).toISOString()}">${home ? t.memberSince(day(v, o.since)) : t.guestSince(day(v, o.since))}</time>`;
  return html`<li class="organization" style="${ORG_STYLE}">
<div>${logo ? html`<img src="${logo}" alt="" style="max-height:32px;max-width:160px;display:block;margin-bottom:.25rem">` : ''}<strong class="organization-name">${name}</strong>
<p class="hint">${since}</p>
<p class="hint">${o.tenant.privacyStatementUrl ? html`<a href="${o.tenant.privacyStatementUrl}">${t.privacyStatement(name)}</a>` : t.noPrivacyStatement}</p>
${home ? html`<p class="hint">${t.homeNote}</p>` : ''}</div>
${o.leaveHref ? html`<a href="${o.leaveHref}" aria-label="${t.leaveNamed(name)}">${t.leave}</a>` : ''}
</li>`;
}

const list = (items: Html[]) => html`<ul class="organizations" style="list-style:none;padding:0;margin:0">${items}</ul>`;

/** The list: who is signed in, the home organizations, the organizations they are a guest of. */
export function organizationsPage(
  v: MyAccountView,
  o: { identities: string[]; homes: ListedOrganization[]; guestOf: ListedOrganization[]; signInHref: string },
): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    t.title,
    html`<h1>${t.title}</h1>
${o.identities.length ? html`<p class="identity">${t.signedInAs} ${o.identities.join(', ')}</p>` : ''}
<p>${t.intro}</p>
${o.homes.length ? html`<h2>${t.homeHeading}</h2>${list(o.homes.map((h) => organization(v, h, true)))}` : ''}
<h2>${t.guestHeading}</h2>
${o.guestOf.length ? list(o.guestOf.map((g) => organization(v, g, false))) : html`<p>${t.noGuestOrganizations}</p>`}
<p><a href="${o.signInHref}">${t.useAnotherAccount}</a></p>`,
  );
}

/**
 * "Sign in to see your organizations": the address a link is sent to. Its answers never say whether the
 * address is a guest: an error here is about the form (a malformed address) or the limits, never the address.
 */
export function signInPage(v: MyAccountView, o: { action: string; email?: string; error?: string }): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    t.signInTitle,
    html`<h1>${t.signInTitle}</h1>
<p>${t.signInBody}</p>
${o.error ? html`<p class="error" role="alert" id="email-error">${o.error}</p>` : ''}
<form method="post" action="${o.action}" novalidate>
${csrf(v)}
<label for="email">${t.emailLabel}</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${o.email ?? ''}"
  aria-describedby="email-hint${o.error ? ' email-error' : ''}"${o.error ? html` aria-invalid="true"` : ''}>
<p class="hint" id="email-hint">${t.emailHint}</p>
<div class="actions"><button type="submit" class="primary">${t.sendLink}</button></div>
</form>`,
  );
}

/**
 * "Check your inbox": the one answer to every well-formed address, guest or not. It has no form and repeats
 * nothing typed, so it is the same page, byte for byte, whatever the address was.
 */
export function linkSentPage(v: Pick<MyAccountView, 'locale'>, o: { minutes: number; againHref: string }): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    t.sentTitle,
    html`<h1>${t.sentTitle}</h1>
<p role="status">${t.sentBody}</p>
<p class="hint">${t.sentHint(o.minutes)}</p>
<p><a href="${o.againHref}">${t.useAnotherAddress}</a></p>`,
  );
}

/**
 * What a mailed link opens: a button, not the sign-in itself, so a mail scanner that fetches the link
 * spends nothing. The ticket goes back in the form (POST, CSRF-protected).
 */
export function linkConfirmPage(v: MyAccountView, o: { address: string; action: string; ticket: string }): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    t.linkTitle,
    html`<h1>${t.linkTitle}</h1>
<p>${t.linkBody(o.address)}</p>
<form method="post" action="${o.action}">
${csrf(v)}
<input type="hidden" name="ticket" value="${o.ticket}">
<div class="actions"><button type="submit" class="primary">${t.continue}</button></div>
</form>`,
  );
}

/** A link that was used, has expired, or never was: one page for all three. */
export function deadLinkPage(v: Pick<MyAccountView, 'locale'>, o: { minutes: number; againHref: string }): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    t.deadLinkTitle,
    html`<h1>${t.deadLinkTitle}</h1>
<p>${t.deadLinkBody(o.minutes)}</p>
<p><a href="${o.againHref}">${t.newLink}</a></p>`,
  );
}

/** "Leave X?": what leaving does, the button that does it, and the way back. */
export function leaveConfirmPage(v: MyAccountView, o: { organization: string; identity: string; action: string; cancelHref: string }): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    t.leaveTitle(o.organization),
    html`<h1>${t.leaveTitle(o.organization)}</h1>
<p class="identity">${o.identity}</p>
<p>${t.leaveBody(o.organization)}</p>
<form method="post" action="${o.action}">
${csrf(v)}
<div class="actions" style="align-items:center"><a href="${o.cancelHref}">${t.cancel}</a><button type="submit" class="primary">${t.leaveButton}</button></div>
</form>`,
  );
}

/**
 * Leave refused: why, and whom to ask instead (the privacy contact, else the privacy statement, else the
 * administrator; always the administrator when the guest holds the last Global Administrator role).
 */
export function leaveRefusedPage(v: MyAccountView, o: { tenant: Tenant; refusal: LeaveRefusal; backHref: string }): string {
  const t = myAccountText(v.locale);
  const org = o.tenant.displayName;
  const contact =
    o.refusal === 'last-administrator'
      ? html`<p>${t.contactAdmin(org)}</p>`
      : o.tenant.privacyContactEmail
        ? html`<p>${t.contactPrivacy(org)} <a href="mailto:${o.tenant.privacyContactEmail}">${o.tenant.privacyContactEmail}</a></p>`
        : o.tenant.privacyStatementUrl
          ? html`<p>${t.contactStatement(org)} <a href="${o.tenant.privacyStatementUrl}">${t.privacyStatement(org)}</a></p>`
          : html`<p>${t.contactAdmin(org)}</p>`;
  const why = { 'not-allowed': t.refusedNotAllowed, disabled: t.refusedDisabled, 'last-administrator': t.refusedLastAdministrator }[o.refusal];
  return page(
    v.locale,
    t.refusedTitle(org),
    html`<h1>${t.refusedTitle(org)}</h1>
<p>${why(org)}</p>
${contact}
<p><a href="${o.backHref}">${t.backToList}</a></p>`,
  );
}

/** A page that says what happened and leads back to the list ("You left X", "Nothing to leave"). */
export function outcomePage(v: MyAccountView, o: { title: string; body: string; backHref: string; status?: boolean }): string {
  const t = myAccountText(v.locale);
  return page(
    v.locale,
    o.title,
    html`<h1>${o.title}</h1>
<p${o.status ? html` role="status"` : ''}>${o.body}</p>
<p><a href="${o.backHref}">${t.backToList}</a></p>`,
  );
}
