/**
 * The "My organizations" sign-in e-mail: the one-time link an accepted guest's address gets when someone
 * asks for it on the page (myaccount-links.ts). The ticket travels sealed and is put into the link only when
 * the message is rendered for sending. It names no organization: the link's page and the sign-in after it
 * do, once the person has proven who they are. No audit event: no directory object changes.
 */
import type { ComposedEmail, Mailbox, MailKind } from '../mail/index.js';
import { html } from '../platform/html.js';
import type { Locale } from '../platform/locale.js';

export interface MyAccountLinkMailPayload {
  kind: 'myaccount-link';
  to: Mailbox;
  locale: Locale;
  /** The link page's path on this instance. */
  linkPath: string;
  minutes: number;
}

export interface MyAccountLinkEmailInput {
  locale: Locale;
  address: string;
  link: string;
  minutes: number;
}

const en = {
  subject: 'Sign in to see your organizations',
  lead: (address: string) => `Someone asked to see the organizations that ${address} is a guest of. To continue, open this link:`,
  button: 'See my organizations',
  validFor: (m: number) => `The link works once, for ${m} minutes. You will then sign in the way you usually sign in to those organizations’ apps.`,
  ignore: 'If you did not ask for this, you can ignore this e-mail: nothing happens without the link, and the link alone does not sign anyone in.',
};
const sv: typeof en = {
  subject: 'Logga in för att se dina organisationer',
  lead: (address) => `Någon har bett att få se organisationerna där ${address} är gäst. Öppna den här länken för att fortsätta:`,
  button: 'Visa mina organisationer',
  validFor: (m) => `Länken fungerar en gång, i ${m} minuter. Sedan loggar du in som du brukar logga in i organisationernas appar.`,
  ignore: 'Om du inte har bett om detta kan du bortse från meddelandet: inget händer utan länken, och länken ensam loggar inte in någon.',
};

export function composeMyAccountLinkEmail(input: MyAccountLinkEmailInput): ComposedEmail {
  const t = input.locale === 'sv-SE' ? sv : en;
  const lead = t.lead(input.address);
  const text = [lead, '', input.link, '', t.validFor(input.minutes), '', t.ignore, ''].join('\n');
  const body = html`<!doctype html>
<html lang="${input.locale}"><head><meta charset="utf-8"><title>${t.subject}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1b1f24">
<p>${lead}</p>
<p><a href="${input.link}" style="display:inline-block;background:#0f5ea8;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none">${t.button}</a></p>
<p>${t.validFor(input.minutes)}</p>
<p style="color:#59636e">${t.ignore}</p>
</body></html>`;
  return { subject: t.subject, text, html: body.value };
}

export const myAccountLinkMail: MailKind<MyAccountLinkMailPayload> = {
  kind: 'myaccount-link',
  render(ctx, { payload, secret }) {
    const link = `${ctx.config.publicUrl}${payload.linkPath}?${new URLSearchParams({ ticket: secret }).toString()}`;
    return {
      to: payload.to,
      cc: null,
      replyTo: null,
      ...composeMyAccountLinkEmail({ locale: payload.locale, address: payload.to.address, link, minutes: payload.minutes }),
    };
  },
};
