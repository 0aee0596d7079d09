/** What the security-info pages say, in English and Swedish (every key in both: the type says so). */
import type { Locale } from '../../platform/locale.js';

const en = {
  title: 'Security info',
  intro: (org: string) => `These are the methods you use to prove it’s you when you sign in to ${org}’s apps.`,
  methodsHeading: 'Your methods',
  noMethods: 'You have not added a method yet.',
  kindTotp: 'Authenticator app',
  kindPasskey: 'Passkey',
  added: (date: string) => `Added ${date}`,
  removeNamed: (name: string) => `Remove ${name}`,
  remove: 'Remove',
  addTotp: 'Add authenticator app',
  addPasskey: 'Add passkey',
  proofHint: 'Before a change, you may be asked to prove it’s you with a method you already have.',
  recoveryHeading: 'Recovery codes',
  recoveryLeft: (n: number) => (n === 1 ? 'You have 1 recovery code left.' : `You have ${n} recovery codes left.`),
  regenerate: 'Regenerate recovery codes',
  removeTitle: (name: string) => `Remove ${name}?`,
  removeBody: 'You will no longer be able to prove it’s you with this method.',
  removeLast: (org: string) =>
    `This is your last method. The next time ${org} asks for a second method when you sign in, you will be asked to set one up again.`,
  regenerateTitle: 'Regenerate recovery codes?',
  regenerateBody: 'You will get ten new recovery codes, shown once. The codes you have now will stop working.',
  regenerateButton: 'Regenerate',
  codesRenewed: 'Your new recovery codes are ready. The old ones no longer work.',
  cancel: 'Cancel',
  updated: 'Your security info was updated.',
  signInFirstTitle: 'Sign in first',
  signInFirstBody: (org: string | undefined) =>
    `To see your security info, sign in to one of ${org ? `${org}’s` : 'your organization’s'} apps first, then come back to this page.`,
};

export type SecurityInfoText = typeof en;

const sv: SecurityInfoText = {
  title: 'Säkerhetsinformation',
  intro: (org) => `Det här är metoderna du använder för att bevisa att det är du när du loggar in i appar från ${org}.`,
  methodsHeading: 'Dina metoder',
  noMethods: 'Du har inte lagt till någon metod än.',
  kindTotp: 'Autentiseringsapp',
  kindPasskey: 'Nyckel',
  added: (date) => `Tillagd ${date}`,
  removeNamed: (name) => `Ta bort ${name}`,
  remove: 'Ta bort',
  addTotp: 'Lägg till autentiseringsapp',
  addPasskey: 'Lägg till nyckel',
  proofHint: 'Innan en ändring kan du behöva bevisa att det är du med en metod som du redan har.',
  recoveryHeading: 'Återställningskoder',
  recoveryLeft: (n) => (n === 1 ? 'Du har 1 återställningskod kvar.' : `Du har ${n} återställningskoder kvar.`),
  regenerate: 'Skapa nya återställningskoder',
  removeTitle: (name) => `Ta bort ${name}?`,
  removeBody: 'Du kommer inte längre att kunna bevisa att det är du med den här metoden.',
  removeLast: (org) => `Det här är din sista metod. Nästa gång ${org} kräver en andra metod när du loggar in blir du ombedd att konfigurera en igen.`,
  regenerateTitle: 'Skapa nya återställningskoder?',
  regenerateBody: 'Du får tio nya återställningskoder som visas en gång. Koderna du har nu slutar att fungera.',
  regenerateButton: 'Skapa nya',
  codesRenewed: 'Dina nya återställningskoder är klara. De gamla fungerar inte längre.',
  cancel: 'Avbryt',
  updated: 'Din säkerhetsinformation har uppdaterats.',
  signInFirstTitle: 'Logga in först',
  signInFirstBody: (org) =>
    `Om du vill se din säkerhetsinformation loggar du först in i en av apparna från ${org ?? 'din organisation'} och kommer sedan tillbaka till den här sidan.`,
};

export function securityInfoText(locale: Locale): SecurityInfoText {
  return locale === 'sv-SE' ? sv : en;
}
