/**
 * The terms of use page, shared by the two page sets that show it: the guest pages (at redemption, after
 * Review permissions) and the terms pages (at sign-in, web/terms/). Server-rendered, no script. A text file
 * is shown in full in a scrollable, keyboard-focusable region; a PDF is linked (Foyer serves it, see
 * `termsFilePath`), and when the agreement requires viewing before acceptance, Accept also needs the box
 * "I have read the terms" ticked (the server checks it; Decline does not).
 */
import { z } from 'zod';
import { type Html, html, raw } from '../../platform/html.js';
import type { Locale } from '../../platform/locale.js';
import { textField } from './forms.js';
import { type PageBrand, page } from './layout.js';

const en = {
  intro: (org: string) => `${org} asks you to accept its terms of use before you go on.`,
  signedInAs: (address: string) => `Signed in as ${address}`,
  openPdf: (name: string) => `Open ${name} (PDF, opens in a new window)`,
  readLabel: 'I have read the terms of use',
  mustRead: 'Confirm that you have read the terms of use before you accept them.',
  declineHint: (org: string) => `If you decline, you can’t use ${org}’s apps.`,
  accept: 'Accept',
  decline: 'Decline',
  declinedTitle: 'You declined the terms of use',
  declinedRedemption: (org: string) =>
    `${org}’s invitation is still open. If you change your mind, follow the invitation link again and accept the terms of use to join.`,
  declinedSignIn: (org: string) =>
    `You can’t sign in to ${org}’s apps without accepting its terms of use. If you change your mind, go back to the app and sign in again.`,
  expiredTitle: 'This page has expired',
  expiredBody: 'Too much time passed, or the sign-in was already finished. Go back to the app you came from and sign in again.',
};

const sv: typeof en = {
  intro: (org: string) => `${org} ber dig godkänna organisationens användarvillkor innan du fortsätter.`,
  signedInAs: (address: string) => `Inloggad som ${address}`,
  openPdf: (name: string) => `Öppna ${name} (PDF, öppnas i ett nytt fönster)`,
  readLabel: 'Jag har läst användarvillkoren',
  mustRead: 'Bekräfta att du har läst användarvillkoren innan du godkänner dem.',
  declineHint: (org: string) => `Om du avböjer kan du inte använda appar från ${org}.`,
  accept: 'Godkänn',
  decline: 'Avböj',
  declinedTitle: 'Du avböjde användarvillkoren',
  declinedRedemption: (org: string) =>
    `Inbjudan från ${org} gäller fortfarande. Om du ändrar dig kan du öppna inbjudningslänken igen och godkänna användarvillkoren för att gå med.`,
  declinedSignIn: (org: string) =>
    `Du kan inte logga in i appar från ${org} utan att godkänna organisationens användarvillkor. Om du ändrar dig kan du gå tillbaka till appen och logga in igen.`,
  expiredTitle: 'Sidan har gått ut',
  expiredBody: 'För lång tid har gått, eller så är inloggningen redan klar. Gå tillbaka till appen du kom från och logga in igen.',
};

export const termsText = (locale: Locale) => (locale === 'sv-SE' ? sv : en);

/** Where Foyer serves an agreement's PDF (the terms pages, web/terms/, answer it). */
export const termsFilePath = (tenantId: string, agreementId: string, fileId: string) =>
  `/terms/files/${encodeURIComponent(tenantId)}/${encodeURIComponent(agreementId)}/${encodeURIComponent(fileId)}`;

export interface TermsToShow {
  tenantId: string;
  agreementId: string;
  displayName: string;
  version: number;
  mustView: boolean;
  file: { id: string; language: string; kind: 'text' | 'pdf'; data: string; displayName: string };
}

export interface TermsPageOptions {
  locale: Locale;
  brand: PageBrand;
  csrfToken: string;
  organization: string;
  address: string;
  terms: TermsToShow;
  /** Where the form posts (`answer` = accept | decline, with the agreement, version and file shown). */
  action: string;
  error?: string;
}

const STYLE = raw(`<style>
.terms { max-height: 22rem; overflow-y: auto; border: 1px solid #8a939d; border-radius: 4px; padding: .25rem 1rem; margin: 1rem 0; }
.terms p { white-space: pre-wrap; overflow-wrap: anywhere; }
.terms:focus { outline: 3px solid #ffbf47; outline-offset: 1px; box-shadow: 0 0 0 6px #1b1f24; }
.read { display: flex; gap: .5rem; align-items: center; font-weight: 600; }
.read input { width: 1.2rem; height: 1.2rem; }
</style>`);

/** A text file's paragraphs (split on blank lines). */
const paragraphs = (base64: string) =>
  Buffer.from(base64, 'base64')
    .toString('utf8')
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');

export function termsPage(o: TermsPageOptions): string {
  const t = termsText(o.locale);
  const { terms } = o;
  const pdf = terms.file.kind === 'pdf';
  // The terms' own language (it may differ from the page's).
  const lang = terms.file.language;
  const content: Html = pdf
    ? html`<p lang="${lang}"><a href="${termsFilePath(terms.tenantId, terms.agreementId, terms.file.id)}" target="_blank" rel="noopener">${t.openPdf(terms.file.displayName)}</a></p>`
    : html`<div class="terms" role="region" aria-label="${terms.displayName}" tabindex="0" lang="${lang}">${paragraphs(terms.file.data).map((p) => html`<p>${p}</p>`)}</div>`;
  const mustTick = pdf && terms.mustView;
  return page(
    o.locale,
    terms.displayName,
    html`${STYLE}<h1>${terms.displayName}</h1>
<p>${t.intro(o.organization)}</p>
<p class="identity">${t.signedInAs(o.address)}</p>
${o.error ? html`<p class="error" role="alert" id="terms-error">${o.error}</p>` : ''}
${content}
<form method="post" action="${o.action}">
<input type="hidden" name="_csrf" value="${o.csrfToken}">
<button type="submit" disabled hidden></button>
<input type="hidden" name="agreementId" value="${terms.agreementId}">
<input type="hidden" name="version" value="${String(terms.version)}">
<input type="hidden" name="fileId" value="${terms.file.id}">
${
  mustTick
    ? html`<label class="read" for="read"><input type="checkbox" id="read" name="read" value="yes" required${o.error ? html` aria-invalid="true" aria-describedby="terms-error"` : ''}>${t.readLabel}</label>`
    : ''
}
<p class="hint">${t.declineHint(o.organization)}</p>
<div class="actions"><button type="submit" class="secondary" name="answer" value="decline" formnovalidate>${t.decline}</button><button type="submit" class="primary" name="answer" value="accept">${t.accept}</button></div>
</form>`,
    o.brand,
  );
}

/** The terms page's form, as both places that show it (sign-in and redemption) parse it. */
export const answerForm = z.object({
  answer: textField(16),
  agreementId: textField(64),
  version: textField(16),
  fileId: textField(64),
  read: textField(8),
});

/** What the form posted, checked against the terms due now (`checkAnswer`). */
export type PostedAnswer = z.infer<typeof answerForm>;

export type AnswerCheck = { kind: 'stale' } | { kind: 'must-read' } | { kind: 'answer'; state: 'accepted' | 'declined' };

/** Pure: does the posted answer answer these terms, as they stand? */
export function checkAnswer(posted: PostedAnswer, terms: TermsToShow | undefined, fileIds: readonly string[]): AnswerCheck {
  if (!terms || posted.agreementId !== terms.agreementId || posted.version !== String(terms.version) || !fileIds.includes(posted.fileId))
    return { kind: 'stale' };
  if (posted.answer === 'decline') return { kind: 'answer', state: 'declined' };
  if (posted.answer !== 'accept') return { kind: 'stale' };
  if (terms.mustView && terms.file.kind === 'pdf' && posted.read !== 'yes') return { kind: 'must-read' };
  return { kind: 'answer', state: 'accepted' };
}
