/**
 * The one password policy (src/directory/password-policy.ts) as a table of cases: length, the common-
 * password list, and the user's own names and addresses, each refusal naming its rule.
 */
import { describe, expect, it } from 'vitest';
import { assertPasswordAcceptable, brokenPasswordRule, type PasswordOwner, type PasswordRule, passwordRuleCodes } from '../../src/directory/password-policy.js';
import { FoyerError } from '../../src/platform/errors/foyer-error.js';

const carol: PasswordOwner = {
  userPrincipalName: 'carol.danvers@contoso.example',
  mail: 'cd@marvel.example',
  displayName: 'Carol Danvers',
  givenName: 'Carol',
  surname: 'Danvers',
};
const ctx = () => ({ services: new Map<symbol, unknown>() });

describe('the password policy', () => {
  const cases: Array<[string, string, PasswordOwner, PasswordRule | undefined]> = [
    ['a long unusual passphrase', 'Quiet-Lantern-Orbit-7', carol, undefined],
    ['exactly 8 unusual characters', 'qX7#mZ2!', carol, undefined],
    ['7 characters', 'qX7#mZ2', carol, 'too_short'],
    ['7 characters made of 14 UTF-16 units (counted in characters)', '😀😀😀😀😀😀😀', carol, 'too_short'],
    ['the empty password', '', carol, 'too_short'],
    ['257 characters', `${'a'.repeat(200)}${'Quiet-Lantern-Orbit-7'.repeat(3).slice(0, 57)}`, carol, 'too_long'],
    ['256 characters', 'Qz'.repeat(128), carol, undefined],
    ['"password"', 'password', carol, 'too_common'],
    ['"Password" (letter case does not matter)', 'PASSWORD', carol, 'too_common'],
    ['"password1"', 'password1', carol, 'too_common'],
    ['"qwertyuiop"', 'QwertyUIOP', carol, 'too_common'],
    ['"iloveyou"', 'iloveyou', carol, 'too_common'],
    ['eight spaces', '        ', carol, 'too_common'],
    ['one character repeated', 'zzzzzzzzzzzz', carol, 'too_common'],
    ['the user principal name', 'Carol.Danvers@contoso.example', carol, 'contains_name'],
    ['the UPN local part inside', 'xx-carol.danvers-2026', carol, 'contains_name'],
    ['the mail address', 'CD@marvel.example', carol, 'contains_name'],
    ['the display name', 'carol danvers', carol, 'contains_name'],
    ['the surname inside', 'Danvers-Is-Great-7', carol, 'contains_name'],
    ['the given name inside', 'my-CAROL-2026!', carol, 'contains_name'],
    ['a 2-letter mail local part inside (too short to count)', 'cd-Quiet-Lantern-9', carol, undefined],
    ['a personal account: its address local part inside', 'Petersson-Harbour-1', { mail: 'petersson@mail.example', displayName: 'P' }, 'contains_name'],
    [
      'a guest UPN: the address before #EXT# inside',
      'Xx-ann_fabrikam.example-9',
      { userPrincipalName: 'ann_fabrikam.example#EXT#@contoso.localhost' },
      'contains_name',
    ],
    ['a 3-letter name inside another word (too short to count)', 'Samurai-Lantern-42', { displayName: 'Sam', mail: 'sam@x.example' }, undefined],
    ['the display name exactly, however short', 'Mr Ed Jo', { displayName: 'Mr Ed Jo' }, 'contains_name'],
    ['no owner known', 'Quiet-Lantern-Orbit-7', {}, undefined],
  ];

  it.each(cases)('%s', (_what, password, owner, rule) => {
    const common = new Set(['password', 'password1', 'qwertyuiop', 'iloveyou']);
    expect(brokenPasswordRule(password, owner, (p) => common.has(p))).toBe(rule);
  });

  it('checks against the maintained list of common passwords, with the error code and message of the rule', () => {
    const refusal = (password: string, owner: PasswordOwner = carol) => {
      try {
        assertPasswordAcceptable(ctx(), password, owner);
        return undefined;
      } catch (err) {
        expect(err).toBeInstanceOf(FoyerError);
        return err as FoyerError;
      }
    };
    // Entries from the list, not in the table above: the real list is used.
    for (const common of ['dragon123', 'Sunshine1', 'trustno1', 'football', 'Passw0rd']) {
      expect(refusal(common)).toMatchObject({ code: passwordRuleCodes.too_common, status: 400, graphCode: 'Request_BadRequest' });
    }
    expect(refusal('Quiet-Lantern-Orbit-7')).toBeUndefined();
    expect(refusal('short')).toMatchObject({ code: 'directory.password_too_short', message: 'The password must be at least 8 characters long.' });
    expect(refusal('x'.repeat(257))).toMatchObject({ code: 'directory.password_too_long', message: 'The password must be at most 256 characters long.' });
    expect(refusal('Carol-Danvers-2026')).toMatchObject({
      code: 'directory.password_contains_name',
      message: "The password must not contain the user's name or e-mail address.",
    });
  });
});
