/**
 * Text of every page, in each language Foyer speaks. Swedish must carry every English key (the type
 * says so); other languages fall back to English.
 */
import type { Locale } from '../../platform/locale.js';

const en = {
  lang: 'en',
  signInTitle: 'Sign in',
  signInTo: (org: string) => `Sign in to ${org}`,
  emailLabel: 'Email address',
  emailHint: 'The address you use at work, school or for your personal account.',
  passwordLabel: 'Password',
  next: 'Next',
  signIn: 'Sign in',
  cancel: 'Cancel',
  useAnotherAccount: 'Use another account',
  enterPasswordFor: (email: string) => `Enter the password for ${email}`,
  invalidEmail: 'Enter a valid email address, like name@example.com.',
  wrongPassword: 'Your account or password is incorrect. If you don’t remember your password, ask your administrator to reset it.',
  tooManyAttempts: (minutes: number) =>
    `You’ve tried to sign in too many times with an incorrect account or password. Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`,
  formExpired: 'This form has expired or was not sent from this page. We reloaded it: try again.',
  interactionExpired: 'This sign-in page has expired',
  interactionExpiredBody: 'Too much time passed, or the sign-in was already finished. Go back to the app you came from and sign in again.',
  errorTitle: 'Something went wrong',
  errorBody: 'The app sent a request Foyer could not accept. Go back to the app and try again; if it keeps happening, tell the app’s administrator.',
  errorCode: 'Error code',
  requestId: 'Request id',
  notFoundTitle: 'Page not found',
  notFoundBody: 'There is nothing at this address. Check the link, or go back to the app you came from.',
  tenantNotFound: 'This organization does not exist on this Foyer instance. Check the link you followed.',
  logoutTitle: 'Sign out',
  logoutQuestion: 'Do you want to sign out?',
  logoutYes: 'Sign out',
  logoutNo: 'Stay signed in',
  loggedOutTitle: 'You signed out',
  loggedOutBody: 'You can close this window, or go back to the app to sign in again.',
  footerPrivacy: 'Privacy statement',
  homeTitle: 'Foyer is running',
  homeBody: 'Foyer lets organizations invite people from outside as guests, who then sign in to the organization’s apps with an identity they already have.',
  homeNext: 'Create your first organization with the command below, then register an app and sign in.',
  homeTenants: 'Organizations on this instance',
  homeDiscovery: 'OpenID configuration',
  homeNoTenants: 'There are no organizations yet.',
  homeDocs: 'Documentation: README.md and the docs/ folder of the Foyer repository.',
} as const;

type Messages = { [K in keyof typeof en]: (typeof en)[K] extends (...args: infer A) => string ? (...args: A) => string : string };

const sv: Messages = {
  lang: 'sv',
  signInTitle: 'Logga in',
  signInTo: (org) => `Logga in på ${org}`,
  emailLabel: 'E-postadress',
  emailHint: 'Adressen du använder på jobbet, i skolan eller för ditt personliga konto.',
  passwordLabel: 'Lösenord',
  next: 'Nästa',
  signIn: 'Logga in',
  cancel: 'Avbryt',
  useAnotherAccount: 'Använd ett annat konto',
  enterPasswordFor: (email) => `Ange lösenordet för ${email}`,
  invalidEmail: 'Ange en giltig e-postadress, till exempel namn@example.com.',
  wrongPassword: 'Kontot eller lösenordet är felaktigt. Om du inte kommer ihåg lösenordet kan du be din administratör att återställa det.',
  tooManyAttempts: (minutes) =>
    `Du har försökt logga in för många gånger med fel konto eller lösenord. Vänta ${minutes} ${minutes === 1 ? 'minut' : 'minuter'} och försök igen.`,
  formExpired: 'Formuläret har gått ut eller skickades inte från den här sidan. Vi har laddat om det: försök igen.',
  interactionExpired: 'Inloggningssidan har gått ut',
  interactionExpiredBody: 'Det har gått för lång tid, eller så är inloggningen redan klar. Gå tillbaka till appen du kom från och logga in igen.',
  errorTitle: 'Något gick fel',
  errorBody:
    'Appen skickade en begäran som Foyer inte kunde ta emot. Gå tillbaka till appen och försök igen; om felet kvarstår, kontakta appens administratör.',
  errorCode: 'Felkod',
  requestId: 'Begärans id',
  notFoundTitle: 'Sidan finns inte',
  notFoundBody: 'Det finns inget på den här adressen. Kontrollera länken eller gå tillbaka till appen du kom från.',
  tenantNotFound: 'Organisationen finns inte på den här Foyer-instansen. Kontrollera länken du följde.',
  logoutTitle: 'Logga ut',
  logoutQuestion: 'Vill du logga ut?',
  logoutYes: 'Logga ut',
  logoutNo: 'Förbli inloggad',
  loggedOutTitle: 'Du har loggat ut',
  loggedOutBody: 'Du kan stänga fönstret eller gå tillbaka till appen för att logga in igen.',
  footerPrivacy: 'Sekretesspolicy',
  homeTitle: 'Foyer körs',
  homeBody: 'Med Foyer kan organisationer bjuda in externa personer som gäster, som sedan loggar in i organisationens appar med en identitet de redan har.',
  homeNext: 'Skapa din första organisation med kommandot nedan, registrera sedan en app och logga in.',
  homeTenants: 'Organisationer på den här instansen',
  homeDiscovery: 'OpenID-konfiguration',
  homeNoTenants: 'Det finns inga organisationer ännu.',
  homeDocs: 'Dokumentation: README.md och mappen docs/ i Foyers kodförråd.',
};

const catalogue: Record<Locale, Messages> = { 'en-US': en, 'sv-SE': sv };

export type Text = Messages;

export function text(locale: Locale): Text {
  return catalogue[locale];
}
