/**
 * The one-time passcode e-mail: the 8-digit code a guest types to prove an address, either to
 * sign in as an e-mail one-time-passcode guest or to create a personal account. Pure, like the
 * invitation e-mail. The code is not in the subject, which lock screens and notifications show.
 */
import type { ComposedEmail } from '../mail/index.js';
import { html } from '../platform/html.js';
import type { Locale } from '../platform/locale.js';

export interface PasscodeEmailInput {
  locale: Locale;
  organizationName: string;
  purpose: 'sign-in' | 'sign-up';
  code: string;
  minutes: number;
}

const en = {
  subject: (org: string) => `Your verification code for ${org}`,
  signIn: (org: string) => `Use this code to sign in to ${org}:`,
  signUp: (org: string) => `Use this code to verify your e-mail address and create your account for ${org}:`,
  validFor: (m: number) => `The code works once, for ${m} minutes.`,
  ignore: 'If you did not ask for a code, someone may have typed your address by mistake: you can ignore this e-mail. Never share the code.',
};
const sv: typeof en = {
  subject: (org) => `Din verifieringskod för ${org}`,
  signIn: (org) => `Använd den här koden för att logga in på ${org}:`,
  signUp: (org) => `Använd den här koden för att verifiera din e-postadress och skapa ditt konto för ${org}:`,
  validFor: (m) => `Koden fungerar en gång, i ${m} minuter.`,
  ignore: 'Om du inte har bett om en kod kan någon ha skrivit din adress av misstag: du kan bortse från det här meddelandet. Dela aldrig koden.',
};

export function composePasscodeEmail(input: PasscodeEmailInput): ComposedEmail {
  const t = input.locale === 'sv-SE' ? sv : en;
  const lead = input.purpose === 'sign-up' ? t.signUp(input.organizationName) : t.signIn(input.organizationName);
  const text = [lead, '', input.code, '', t.validFor(input.minutes), '', t.ignore, ''].join('\n');
  const body = html`<!doctype html>
<html lang="${input.locale}"><head><meta charset="utf-8"><title>${t.subject(input.organizationName)}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1b1f24">
<p>${lead}</p>
<p style="font-size:28px;font-weight:700;letter-spacing:4px" id="code">${input.code}</p>
<p>${t.validFor(input.minutes)}</p>
<p style="color:#59636e">${t.ignore}</p>
</body></html>`;
  return { subject: t.subject(input.organizationName), text, html: body.value };
}
