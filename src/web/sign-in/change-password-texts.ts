/**
 * What the "Change your password" page says, in English and Swedish (every key in both: the type says so).
 * The password policy's own messages are the kit's (guest-texts.ts), shared with the sign-up page.
 */
import type { PasswordRule } from '../../directory/password-policy.js';
import { passwordPolicy } from '../../directory/password-policy.js';
import type { Locale } from '../../platform/locale.js';
import { redemptionText } from '../kit/guest-texts.js';

const en = {
  title: 'Change your password',
  intro: 'Your administrator set your password for you. Choose a new password that only you know before you continue.',
  newPasswordLabel: 'New password',
  newPasswordHint: `At least ${passwordPolicy.minLength} characters. Avoid common passwords, and your name or e-mail address.`,
  confirmLabel: 'Confirm new password',
  submit: 'Change password',
  mismatch: 'The two passwords don’t match. Type the same new password in both fields.',
  sameAsCurrent: 'The new password must be different from the one you signed in with.',
  expired: 'This page has expired, or your password was changed meanwhile. Sign in again.',
  tooManyAttempts: (minutes: number) => `Too many attempts to change your password. Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`,
};

type ChangePasswordText = typeof en;

const sv: ChangePasswordText = {
  title: 'Byt lösenord',
  intro: 'Din administratör har angett ditt lösenord åt dig. Välj ett nytt lösenord som bara du känner till innan du fortsätter.',
  newPasswordLabel: 'Nytt lösenord',
  newPasswordHint: `Minst ${passwordPolicy.minLength} tecken. Undvik vanliga lösenord, ditt namn och din e-postadress.`,
  confirmLabel: 'Bekräfta det nya lösenordet',
  submit: 'Byt lösenord',
  mismatch: 'Lösenorden stämmer inte överens. Skriv samma nya lösenord i båda fälten.',
  sameAsCurrent: 'Det nya lösenordet måste skilja sig från det du loggade in med.',
  expired: 'Sidan har gått ut, eller så har ditt lösenord ändrats under tiden. Logga in igen.',
  tooManyAttempts: (minutes) => `För många försök att byta lösenord. Vänta ${minutes} ${minutes === 1 ? 'minut' : 'minuter'} och försök igen.`,
};

export function changePasswordText(locale: Locale): ChangePasswordText {
  return locale === 'sv-SE' ? sv : en;
}

/** The page's message for a refused new password: the policy rule it broke, or that it is the current one. */
export function refusalText(locale: Locale, rule: PasswordRule | 'same_as_current'): string {
  const t = redemptionText(locale);
  const byRule: Record<PasswordRule | 'same_as_current', string> = {
    too_short: t.passwordTooShort,
    too_long: t.passwordTooLong,
    too_common: t.passwordTooCommon,
    contains_name: t.passwordContainsName,
    same_as_current: changePasswordText(locale).sameAsCurrent,
  };
  return byRule[rule];
}
