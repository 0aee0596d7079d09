/**
 * The one password policy, applied wherever a password is set: `foyer tenant create` and `foyer user
 * create`, Graph's `passwordProfile` (create and update), personal accounts and their sign-up page. A
 * password must be
 *
 * 1. 8 to 256 characters long (Entra's bounds; counted in Unicode code points);
 * 2. not one of the ~49,000 most common passwords of `@zxcvbn-ts/language-common` (a maintained list,
 *    compared without regard to letter case): these are what attackers try first, and a rate limit
 *    only slows a guess that a list makes likely; nor one character repeated (eight spaces);
 * 3. not the user's own name or address: not equal to the user principal name, mail, display name,
 *    given name or surname, nor containing any of them, the local part of either address, or a word of
 *    the display name, where that part is at least 4 characters long (shorter ones, such as "li" or
 *    "ann", would refuse too many good passwords by chance). Letter case does not matter.
 *
 * Each rule has its own error code, so a script, the CLI and the pages can say which one failed.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { type AppContext, service } from '../platform/context.js';
import type { ErrorCode } from '../platform/errors/catalogue.js';
import { FoyerError } from '../platform/errors/foyer-error.js';

export const passwordPolicy = { minLength: 8, maxLength: 256, minNamePartLength: 4 } as const;

export type PasswordRule = 'too_short' | 'too_long' | 'too_common' | 'contains_name';

/** Who the password is for: whatever names and addresses are known when it is set. */
export interface PasswordOwner {
  userPrincipalName?: string | null;
  mail?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
}

/** The error code of each rule (see the catalogue). */
export const passwordRuleCodes = {
  too_short: 'directory.password_too_short',
  too_long: 'directory.password_too_long',
  too_common: 'directory.password_too_common',
  contains_name: 'directory.password_contains_name',
} as const satisfies Record<PasswordRule, ErrorCode>;

const messages: Record<PasswordRule, string> = {
  too_short: `The password must be at least ${passwordPolicy.minLength} characters long.`,
  too_long: `The password must be at most ${passwordPolicy.maxLength} characters long.`,
  too_common: 'The password is one of the most commonly used passwords, which attackers try first. Choose another one.',
  contains_name: "The password must not contain the user's name or e-mail address.",
};

/** The rule a password code stands for, or undefined for any other error code. */
export function passwordRuleOf(code: string): PasswordRule | undefined {
  return (Object.keys(passwordRuleCodes) as PasswordRule[]).find((rule) => passwordRuleCodes[rule] === code);
}

/** The names and address parts a password must not be, or (from 4 characters on) contain. */
function ownNames(owner: PasswordOwner): { whole: string[]; parts: string[] } {
  const lower = (v: string | null | undefined) => (typeof v === 'string' ? v.trim().toLowerCase() : '');
  const addresses = [lower(owner.userPrincipalName), lower(owner.mail)].filter(Boolean);
  const names = [lower(owner.displayName), lower(owner.givenName), lower(owner.surname)].filter(Boolean);
  // A guest-style UPN (alice_example.com#EXT#@…) holds the address before '#EXT#'.
  const locals = addresses.flatMap((a) => {
    const local = a.slice(0, a.lastIndexOf('@') === -1 ? a.length : a.lastIndexOf('@'));
    return [local, local.split('#ext#')[0]!];
  });
  const words = names.flatMap((n) => n.split(/[\s.,_'’-]+/u));
  const parts = [...addresses, ...names, ...locals, ...words].filter((p) => [...p].length >= passwordPolicy.minNamePartLength);
  return { whole: [...addresses, ...names, ...locals].filter(Boolean), parts };
}

/**
 * The first rule `password` breaks, or undefined when it passes. Pure: `isCommon` says whether a
 * lower-cased password is on the common-password list.
 */
export function brokenPasswordRule(password: string, owner: PasswordOwner, isCommon: (lower: string) => boolean): PasswordRule | undefined {
  if (typeof password !== 'string') return 'too_short';
  const length = [...password].length;
  if (length < passwordPolicy.minLength) return 'too_short';
  if (length > passwordPolicy.maxLength) return 'too_long';
  const lower = password.toLowerCase();
  // One character over and over (eight spaces, "zzzzzzzzz") is the first thing tried after the list.
  if (isCommon(lower) || new Set(password).size === 1) return 'too_common';
  const { whole, parts } = ownNames(owner);
  if (whole.includes(lower) || parts.some((p) => lower.includes(p))) return 'contains_name';
  return undefined;
}

const COMMON_PASSWORDS = Symbol('common passwords');

/**
 * The common-password list as a set, built once per app on first use (a ~49,000-entry set costs a few
 * milliseconds and a few megabytes: not worth paying in CLI commands that set no password).
 */
function commonPasswords(ctx: Pick<AppContext, 'services'>): ReadonlySet<string> {
  return service(ctx, COMMON_PASSWORDS, () => new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())));
}

/** Throws the error of the first rule the password breaks (400; Graph `Request_BadRequest`). */
export function assertPasswordAcceptable(ctx: Pick<AppContext, 'services'>, password: string, owner: PasswordOwner): void {
  const common = commonPasswords(ctx);
  const rule = brokenPasswordRule(password, owner, (p) => common.has(p));
  if (rule) throw new FoyerError(passwordRuleCodes[rule], messages[rule]);
}
