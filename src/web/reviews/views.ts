/** The access review page's markup: server-rendered, escaped, labelled, keyboard-usable, no script. */
import type { ReviewPageItem } from '../../governance/index.js';
import { type Html, html } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { type PageBrand, page } from '../kit/layout.js';
import { reviewText } from './texts.js';

export interface ReviewView {
  locale: Locale;
  brand: PageBrand;
  csrfToken: string;
  /** The reviewer, as the page shows them. */
  account: string;
}

/** A date and time as the reviewer's language writes it (UTC). */
function when(locale: Locale, epochMs: number): string {
  // dateStyle and timeZoneName cannot be combined: the zone is written after.
  return `${new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(epochMs))} UTC`;
}

export interface ReviewPageInput {
  organization: string;
  reviewName: string;
  description: string | null;
  endAt: number;
  open: boolean;
  justificationRequired: boolean;
  items: ReviewPageItem[];
  /** `/{tenantId}/access-reviews/{instanceId}` */
  base: string;
  /** The status line after a decision, or the error that kept one from being recorded. */
  notice?: { kind: 'status' | 'error'; text: string };
}

function itemBlock(v: ReviewView, o: ReviewPageInput, item: ReviewPageItem): Html {
  const t = reviewText(v.locale);
  const decided = item.decision === 'Approve' ? t.approved : item.decision === 'Deny' ? t.denied : t.notReviewed;
  const id = item.id;
  return html`<section class="review-item" aria-labelledby="guest-${id}" style="border-top:1px solid #d5d9de;padding:.75rem 0">
<h2 id="guest-${id}">${item.displayName}</h2>
<dl class="review-facts" style="display:grid;grid-template-columns:auto 1fr;gap:.15rem .75rem;margin:0">
<dt>${t.email}</dt><dd style="margin:0;overflow-wrap:anywhere">${item.mail ?? item.userPrincipalName}</dd>
<dt>${t.lastSignIn}</dt><dd style="margin:0">${item.lastSignInAt === null ? t.never : html`<time datetime="${new Date(item.lastSignInAt).toISOString()}">${when(v.locale, item.lastSignInAt)}</time>`}</dd>
<dt>${t.decision}</dt><dd style="margin:0" class="review-decision">${decided}</dd>
${item.justification ? html`<dt>${t.reason}</dt><dd style="margin:0">${item.justification}</dd>` : ''}
</dl>
${
  o.open
    ? html`<form method="post" action="${o.base}/decisions/${id}">
<input type="hidden" name="_csrf" value="${v.csrfToken}">
<button type="submit" disabled hidden></button>
<label for="reason-${id}">${o.justificationRequired ? t.reasonRequired : t.reasonOptional}</label>
<input type="text" id="reason-${id}" name="justification" maxlength="500" autocomplete="off">
<div class="actions" style="margin-top:.75rem"><button type="submit" class="secondary" name="decision" value="Deny" aria-label="${t.denyNamed(item.displayName)}">${t.deny}</button><button type="submit" class="primary" name="decision" value="Approve" aria-label="${t.approveNamed(item.displayName)}">${t.approve}</button></div>
</form>`
    : ''
}
</section>`;
}

/** The guests this reviewer reviews in one instance, with Approve and Deny for each while it is open. */
export function reviewPage(v: ReviewView, o: ReviewPageInput): string {
  const t = reviewText(v.locale);
  return page(
    v.locale,
    o.reviewName,
    html`<h1>${o.reviewName}</h1>
<p class="identity">${v.account}</p>
${o.notice ? (o.notice.kind === 'status' ? html`<p role="status">${o.notice.text}</p>` : html`<p class="error" role="alert">${o.notice.text}</p>`) : ''}
${o.description ? html`<p>${o.description}</p>` : ''}
<p>${t.intro(o.organization)}</p>
<p><strong>${o.open ? t.reviewBy(when(v.locale, o.endAt)) : t.ended(when(v.locale, o.endAt))}</strong></p>
${o.items.map((item) => itemBlock(v, o, item))}`,
    v.brand,
  );
}
