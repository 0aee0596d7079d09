/**
 * The invitation e-mail: subject, plain-text part and HTML part, in the invitee's language.
 *
 * Pure: it gets everything it shows as input and returns strings, so the outbox can store exactly what was
 * composed and a test can read it without SMTP. Modelled on the invitation e-mail Microsoft Entra sends
 * (its 2023 design): a phishing warning first, the organization and inviter, the inviter's message
 * as inert text, an "Accept invitation" button with where it leads, and a footer with the privacy statement
 * (or a note that there is none) and "Block future invitations".
 */
import type { ComposedEmail } from '../mail/index.js';
import { textColorOn } from '../platform/contrast.js';
import { type Html, html, raw } from '../platform/html.js';
import { type Locale, matchLocale } from '../platform/locale.js';

export interface InvitationEmailInput {
  locale: Locale;
  organization: {
    name: string;
    primaryDomain: string;
    logoUrl: string | null;
    backgroundColor: string | null;
    privacyStatementUrl: string | null;
  };
  inviter: { kind: 'user'; displayName: string; mail: string | null } | { kind: 'app'; displayName: string };
  invitee: { address: string; displayName: string | null };
  /** Untrusted text from the inviter; shown as plain text, never interpreted. null: none. */
  personalMessage: string | null;
  redeemUrl: string;
  /** Where accepting leads (inviteRedirectUrl), shown to the reader. */
  redirectUrl: string;
  /** Link to the page where the recipient blocks future invitations from this organization. */
  blockUrl: string;
}

const en = {
  subjectFromUser: (inviter: string, org: string) => `${inviter} invited you to access applications within ${org}`,
  subjectFromApp: (org: string) => `${org} invited you to access applications within their organization`,
  warning:
    'Only accept this invitation if you expected it and you trust the person and organization named below. ' +
    'If you were not expecting it, you can ignore this e-mail.',
  greeting: (name: string) => `Hello ${name},`,
  heading: (org: string) => `You’re invited to access applications within ${org}`,
  organizationLabel: 'Organization',
  invitedByLabel: 'Invited by',
  messageFrom: (inviter: string) => `Message from ${inviter}:`,
  accept: 'Accept invitation',
  // No full stop after the URL: some clients would link it as part of the address.
  leadsTo: (url: string) => `You will be taken to ${url}`,
  returnLater: 'You can use this link again later to return directly to the organization’s resources.',
  copyLink: 'If the button does not work, copy this address into your browser:',
  sentTo: (address: string) => `This invitation was sent to ${address}.`,
  privacyStatement: (org: string) => `${org}’s privacy statement`,
  noPrivacyStatement: (org: string) => `${org} has not provided a privacy statement.`,
  blockExplanation: (org: string) => `If you do not want to receive invitations from ${org}, you can block all future invitations from this organization.`,
  block: 'Block future invitations',
} as const;

type Messages = { [K in keyof typeof en]: (typeof en)[K] extends (...args: infer A) => string ? (...args: A) => string : string };

const sv: Messages = {
  subjectFromUser: (inviter, org) => `${inviter} har bjudit in dig att använda program i ${org}`,
  subjectFromApp: (org) => `${org} har bjudit in dig att använda program i sin organisation`,
  warning:
    'Acceptera bara inbjudan om du väntade dig den och litar på personen och organisationen som anges nedan. ' +
    'Om du inte väntade dig den kan du bortse från det här e-postmeddelandet.',
  greeting: (name) => `Hej ${name}!`,
  heading: (org) => `Du har bjudits in att använda program i ${org}`,
  organizationLabel: 'Organisation',
  invitedByLabel: 'Inbjuden av',
  messageFrom: (inviter) => `Meddelande från ${inviter}:`,
  accept: 'Acceptera inbjudan',
  leadsTo: (url) => `Du skickas vidare till ${url}`,
  returnLater: 'Du kan använda länken igen senare för att komma direkt tillbaka till organisationens resurser.',
  copyLink: 'Om knappen inte fungerar kan du kopiera den här adressen till webbläsaren:',
  sentTo: (address) => `Inbjudan skickades till ${address}.`,
  privacyStatement: (org) => `Integritetspolicy för ${org}`,
  noPrivacyStatement: (org) => `${org} har inte angett någon integritetspolicy.`,
  blockExplanation: (org) => `Om du inte vill få inbjudningar från ${org} kan du blockera alla framtida inbjudningar från organisationen.`,
  block: 'Blockera framtida inbjudningar',
};

const catalogue: Record<Locale, Messages> = { 'en-US': en, 'sv-SE': sv };

/**
 * Language precedence, as Entra's: messageLanguage, else the guest's
 * preferredLanguage, else the tenant's notification language, else en-US. A tag Foyer cannot speak falls
 * through to the next preference rather than straight to English: someone who asked for French and whose
 * organization writes Swedish is better served by Swedish than by a default. `sv`, `sv-FI` etc. match
 * sv-SE and `en-GB` matches en-US (via matchLocale).
 */
export function invitationLocale(
  messageLanguage: string | null | undefined,
  guestPreferredLanguage: string | null | undefined,
  tenantLanguage: string | null | undefined,
): Locale {
  return matchLocale(messageLanguage) ?? matchLocale(guestPreferredLanguage) ?? matchLocale(tenantLanguage) ?? 'en-US';
}

// Only `#rgb`/`#rrggbb` reach a style attribute: anything else could carry CSS (`url(...)`) past escaping.
const SAFE_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const DEFAULT_BAND = '#0f5ea8';

/** Links and images only for http(s): a `javascript:` or `data:` URL in an e-mail is an attack, never branding. */
function isWebUrl(url: string | null): url is string {
  if (!url) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** A header must stay one line: a display name with CR/LF (or other controls) must not break the Subject. */
function oneLine(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The personal message as inert text: every character escaped first, then line breaks become <br>. */
function messageHtml(message: string): Html {
  const lines = message.replace(/\r\n?/g, '\n').split('\n');
  return html`${lines.map((line, i) => (i === 0 ? html`${line}` : html`<br>${line}`))}`;
}

export function composeInvitationEmail(input: InvitationEmailInput): ComposedEmail {
  const t = catalogue[input.locale];
  const { organization: org, inviter } = input;
  const byUser = inviter.kind === 'user';
  const inviterName = byUser ? inviter.displayName : org.name;
  const inviterMail = byUser ? inviter.mail : null;
  const subject = oneLine(byUser ? t.subjectFromUser(inviter.displayName, org.name) : t.subjectFromApp(org.name));
  const message = input.personalMessage !== null && input.personalMessage.trim() !== '' ? input.personalMessage : null;
  const privacyUrl = isWebUrl(org.privacyStatementUrl) ? org.privacyStatementUrl : null;
  const logoUrl = isWebUrl(org.logoUrl) ? org.logoUrl : null;
  const greeting = input.invitee.displayName?.trim() ? t.greeting(input.invitee.displayName.trim()) : null;

  const textLines = [
    t.warning,
    '',
    ...(greeting ? [greeting, ''] : []),
    t.heading(org.name),
    '',
    `${t.organizationLabel}: ${org.name} (${org.primaryDomain})`,
    `${t.invitedByLabel}: ${inviterName}${inviterMail ? ` <${inviterMail}>` : ''}`,
    ...(message !== null ? ['', t.messageFrom(inviterName), message] : []),
    '',
    `${t.accept}:`,
    input.redeemUrl,
    '',
    t.leadsTo(input.redirectUrl),
    t.returnLater,
    '',
    '--',
    t.sentTo(input.invitee.address),
    privacyUrl ? `${t.privacyStatement(org.name)}: ${privacyUrl}` : t.noPrivacyStatement(org.name),
    t.blockExplanation(org.name),
    `${t.block}: ${input.blockUrl}`,
    '',
  ];

  const band = org.backgroundColor && SAFE_COLOR.test(org.backgroundColor) ? org.backgroundColor : DEFAULT_BAND;
  const bandText = textColorOn(band);
  const font = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";
  const muted = 'color:#59636e;';

  const body = html`<!doctype html>
<html lang="${input.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${subject}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;${raw(font)}color:#1b1f24;">
<div style="max-width:600px;margin:0 auto;padding:16px;">
<p style="margin:0 0 12px;padding:10px 12px;background:#fff8e1;border-left:4px solid #c98a00;font-size:14px;line-height:1.45;">${t.warning}</p>
<div style="background:#ffffff;border-radius:6px;overflow:hidden;">
<div style="background:${raw(band)};color:${raw(bandText)};padding:16px 24px;">
${logoUrl ? html`<img src="${logoUrl}" alt="${org.name}" style="display:block;max-height:48px;max-width:240px;margin:0 0 8px;border:0;">` : ''}
<div style="font-size:18px;font-weight:600;">${org.name}</div>
<div style="font-size:14px;">${org.primaryDomain}</div>
</div>
<div style="padding:24px;font-size:16px;line-height:1.5;">
${greeting ? html`<p style="margin:0 0 12px;">${greeting}</p>` : ''}
<h1 style="font-size:20px;line-height:1.3;margin:0 0 16px;">${t.heading(org.name)}</h1>
<p style="margin:0 0 16px;"><span style="${raw(muted)}">${t.invitedByLabel}:</span> <strong>${inviterName}</strong>${inviterMail ? html` &lt;${inviterMail}&gt;` : ''}</p>
${
  message !== null
    ? html`<p style="margin:0 0 4px;${raw(muted)}">${t.messageFrom(inviterName)}</p>
<div style="margin:0 0 20px;padding:12px 16px;background:#f6f7f9;border-left:4px solid #c4c9d0;white-space:normal;overflow-wrap:anywhere;">${messageHtml(message)}</div>`
    : ''
}
<p style="margin:24px 0;"><a href="${input.redeemUrl}" style="display:inline-block;padding:12px 24px;background:#0f5ea8;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600;">${t.accept}</a></p>
<p style="margin:0 0 8px;">${t.leadsTo(input.redirectUrl)}<br>${t.returnLater}</p>
<p style="margin:0;font-size:13px;${raw(muted)}overflow-wrap:anywhere;">${t.copyLink}<br><a href="${input.redeemUrl}" style="color:#0f5ea8;">${input.redeemUrl}</a></p>
</div>
</div>
<div style="padding:16px 24px;font-size:13px;line-height:1.45;${raw(muted)}">
<p style="margin:0 0 8px;">${t.sentTo(input.invitee.address)}</p>
<p style="margin:0 0 8px;">${
    privacyUrl ? html`<a href="${privacyUrl}" style="color:#0f5ea8;">${t.privacyStatement(org.name)}</a>` : t.noPrivacyStatement(org.name)
  }</p>
<p style="margin:0;">${t.blockExplanation(org.name)} <a href="${input.blockUrl}" style="color:#0f5ea8;">${t.block}</a></p>
</div>
</div>
</body>
</html>
`;

  return { subject, text: textLines.join('\n'), html: body.value };
}
