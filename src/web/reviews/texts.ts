/** What the access review page says, in English and Swedish (every key in both: the type says so). */
import type { Locale } from '../../platform/locale.js';

const en = {
  reviewBy: (date: string) => `Review by ${date}. A guest you deny loses access to the organization when the review ends.`,
  ended: (date: string) => `This review ended on ${date}. Decisions can no longer be changed.`,
  intro: (org: string) => `Should these guests keep their access to ${org}?`,
  email: 'E-mail',
  lastSignIn: 'Last sign-in',
  never: 'Never',
  decision: 'Decision',
  reason: 'Reason',
  reasonOptional: 'Reason (optional)',
  reasonRequired: 'Reason (required to approve)',
  notReviewed: 'Not reviewed',
  approved: 'Approved',
  denied: 'Denied',
  approve: 'Approve',
  deny: 'Deny',
  approveNamed: (name: string) => `Approve ${name}`,
  denyNamed: (name: string) => `Deny ${name}`,
  recorded: (name: string) => `Your decision on ${name} was recorded.`,
  recordedPlain: 'Your decision was recorded.',
  endedError: 'This review has ended: your decision was not recorded.',
  justificationError: 'This review asks for a reason with every approval. Write one, then approve again.',
  nothingTitle: 'Nothing to review',
  nothingBody: 'You have no guests to review in this access review. It may have been deleted, or someone else reviews these guests.',
  signInFirstTitle: 'Sign in first',
  signInFirstBody: (org: string | undefined) =>
    `To review guests, sign in to one of ${org ? `${org}’s` : 'your organization’s'} apps first, then open the link in the e-mail again.`,
  verifyFirstTitle: 'Verify your identity first',
  verifyFirstBody: (org: string) =>
    `Your organization asks for a second way to verify your identity. Sign in to one of ${org}’s apps and set it up when asked, then open the link in the e-mail again.`,
  notFoundTitle: 'Page not found',
  notFoundBody: 'There is no organization at this address.',
};

export type ReviewText = typeof en;

const sv: ReviewText = {
  reviewBy: (date) => `Granska senast ${date}. En gäst som du nekar förlorar åtkomsten till organisationen när granskningen avslutas.`,
  ended: (date) => `Den här granskningen avslutades ${date}. Besluten kan inte längre ändras.`,
  intro: (org) => `Ska de här gästerna behålla sin åtkomst till ${org}?`,
  email: 'E-post',
  lastSignIn: 'Senaste inloggning',
  never: 'Aldrig',
  decision: 'Beslut',
  reason: 'Motivering',
  reasonOptional: 'Motivering (valfri)',
  reasonRequired: 'Motivering (krävs för att godkänna)',
  notReviewed: 'Inte granskad',
  approved: 'Godkänd',
  denied: 'Nekad',
  approve: 'Godkänn',
  deny: 'Neka',
  approveNamed: (name) => `Godkänn ${name}`,
  denyNamed: (name) => `Neka ${name}`,
  recorded: (name) => `Ditt beslut om ${name} har sparats.`,
  recordedPlain: 'Ditt beslut har sparats.',
  endedError: 'Den här granskningen har avslutats: ditt beslut sparades inte.',
  justificationError: 'Den här granskningen kräver en motivering för varje godkännande. Skriv en och godkänn igen.',
  nothingTitle: 'Inget att granska',
  nothingBody: 'Du har inga gäster att granska i den här åtkomstgranskningen. Den kan ha tagits bort, eller så granskar någon annan de här gästerna.',
  signInFirstTitle: 'Logga in först',
  signInFirstBody: (org) =>
    `Om du vill granska gäster loggar du först in i en av apparna från ${org ?? 'din organisation'} och öppnar sedan länken i e-postmeddelandet igen.`,
  verifyFirstTitle: 'Verifiera din identitet först',
  verifyFirstBody: (org) =>
    `Din organisation kräver ett andra sätt att verifiera din identitet. Logga in i en av apparna från ${org} och konfigurera det när du ombeds, och öppna sedan länken i e-postmeddelandet igen.`,
  notFoundTitle: 'Sidan hittades inte',
  notFoundBody: 'Det finns ingen organisation på den här adressen.',
};

export function reviewText(locale: Locale): ReviewText {
  return locale === 'sv-SE' ? sv : en;
}
