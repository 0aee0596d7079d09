/**
 * The e-mail a reviewer gets when an access review instance starts: which organization asks, the review's
 * name and description, how many guests, by when, and the link to the review page. No secret travels in
 * it: the page asks the reviewer to be signed in, so a forwarded e-mail lets nobody else decide.
 */
import type { ComposedEmail, Mailbox, MailKind } from '../mail/index.js';
import { html } from '../platform/html.js';
import type { Locale } from '../platform/locale.js';

export interface ReviewEmailInput {
  locale: Locale;
  organizationName: string;
  reviewName: string;
  description: string | null;
  guests: number;
  /** Epoch ms. */
  endAt: number;
  link: string;
}

export interface ReviewMailPayload {
  kind: 'access-review';
  to: Mailbox;
  email: ReviewEmailInput;
}

const en = {
  subject: (org: string, review: string) => `Review guest access to ${org}: ${review}`,
  lead: (org: string, n: number) =>
    n === 1 ? `${org} asks you to review whether 1 guest should keep access.` : `${org} asks you to review whether ${n} guests should keep access.`,
  by: (date: string) => `Please review by ${date}. A guest you deny loses access when the review ends.`,
  button: 'Start review',
  signIn: 'You will be asked to sign in first.',
};
const sv: typeof en = {
  subject: (org, review) => `Granska gäståtkomst till ${org}: ${review}`,
  lead: (org, n) => (n === 1 ? `${org} ber dig granska om 1 gäst ska behålla åtkomsten.` : `${org} ber dig granska om ${n} gäster ska behålla åtkomsten.`),
  by: (date) => `Granska senast ${date}. En gäst som du nekar förlorar åtkomsten när granskningen avslutas.`,
  button: 'Starta granskningen',
  signIn: 'Du blir ombedd att logga in först.',
};

export function composeReviewEmail(input: ReviewEmailInput): ComposedEmail {
  const t = input.locale === 'sv-SE' ? sv : en;
  // Times are UTC, said so (dateStyle and timeZoneName cannot be combined).
  const date = `${new Intl.DateTimeFormat(input.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(input.endAt))} UTC`;
  const subject = t.subject(input.organizationName, input.reviewName);
  const lead = t.lead(input.organizationName, input.guests);
  const text = [
    lead,
    '',
    input.reviewName,
    ...(input.description ? [input.description] : []),
    '',
    t.by(date),
    '',
    `${t.button}: ${input.link}`,
    t.signIn,
    '',
  ].join('\n');
  const body = html`<!doctype html>
<html lang="${input.locale}"><head><meta charset="utf-8"><title>${subject}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1b1f24">
<p>${lead}</p>
<p><strong>${input.reviewName}</strong></p>
${input.description ? html`<p>${input.description}</p>` : ''}
<p>${t.by(date)}</p>
<p><a href="${input.link}" style="display:inline-block;background:#0f5ea8;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">${t.button}</a></p>
<p style="color:#59636e">${t.signIn}</p>
</body></html>`;
  return { subject, text, html: body.value };
}

// The reviewers' e-mail writes no audit event: the instance's start is what happened.
export const reviewMail: MailKind<ReviewMailPayload> = {
  kind: 'access-review',
  render: (_ctx, { payload }) => ({ to: payload.to, cc: null, replyTo: null, ...composeReviewEmail(payload.email) }),
};
