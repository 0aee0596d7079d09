/** The security-info pages' markup: server-rendered, escaped, labelled, keyboard-usable, no script. */
import { html } from '../../platform/html.js';
import { page } from '../kit/layout.js';
import { securityInfoText } from './security-info-texts.js';
import type { MfaView } from './views.js';

export interface ListedMethod {
  name: string;
  kind: 'softwareOath' | 'fido2';
  /** Epoch ms. */
  createdAt: number;
  removeHref: string;
}

const csrf = (v: MfaView) => html`<input type="hidden" name="_csrf" value="${v.csrfToken}">`;

/** A date as the person's language writes it (the instance's calendar day in UTC). */
function day(v: MfaView, epochMs: number): string {
  return new Intl.DateTimeFormat(v.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(epochMs));
}

/** The person's methods, how many recovery codes are left, and the buttons that change them. */
export function securityInfoPage(
  v: MfaView,
  o: { organization: string; methods: ListedMethod[]; codesLeft: number; addAction: string; regenerateHref: string; updated: boolean },
): string {
  const t = securityInfoText(v.locale);
  const item = (
    m: ListedMethod,
  ) => html`<li style="display:flex;gap:1rem;justify-content:space-between;align-items:baseline;padding:.6rem 0;border-bottom:1px solid #d5d9de">
<div><strong class="method-name">${m.name}</strong><p class="hint">${m.kind === 'fido2' ? t.kindPasskey : t.kindTotp} · <time datetime="${new Date(m.createdAt).toISOString()}">${t.added(day(v, m.createdAt))}</time></p></div>
<a href="${m.removeHref}" aria-label="${t.removeNamed(m.name)}">${t.remove}</a>
</li>`;
  return page(
    v.locale,
    t.title,
    html`<h1>${t.title}</h1>
<p class="identity">${v.account}</p>
${o.updated ? html`<p role="status">${t.updated}</p>` : ''}
<p>${t.intro(o.organization)}</p>
<h2>${t.methodsHeading}</h2>
${o.methods.length ? html`<ul class="security-methods" style="list-style:none;padding:0;margin:0">${o.methods.map(item)}</ul>` : html`<p>${t.noMethods}</p>`}
<form method="post" action="${o.addAction}">
${csrf(v)}
<div class="actions"><button type="submit" class="secondary" name="kind" value="totp">${t.addTotp}</button><button type="submit" class="secondary" name="kind" value="passkey">${t.addPasskey}</button></div>
</form>
<p class="hint">${t.proofHint}</p>
<h2>${t.recoveryHeading}</h2>
<p>${t.recoveryLeft(o.codesLeft)}</p>
${o.methods.length ? html`<p><a href="${o.regenerateHref}">${t.regenerate}</a></p>` : ''}`,
    v.brand,
  );
}

/** "Remove …?" or "Regenerate …?": what will happen, the button that does it, and the way back. */
export function confirmPage(v: MfaView, o: { title: string; body: string; note?: string; action: string; button: string; cancelHref: string }): string {
  const t = securityInfoText(v.locale);
  return page(
    v.locale,
    o.title,
    html`<h1>${o.title}</h1>
<p class="identity">${v.account}</p>
<p>${o.body}</p>
${o.note ? html`<p><strong>${o.note}</strong></p>` : ''}
<form method="post" action="${o.action}">
${csrf(v)}
<div class="actions" style="align-items:center"><a href="${o.cancelHref}">${t.cancel}</a><button type="submit" class="primary">${o.button}</button></div>
</form>`,
    v.brand,
  );
}
