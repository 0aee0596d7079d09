/**
 * What comes after the password on a tenant's own sign-in page. Pure: the page gathers the facts, this
 * decides, the page renders it; test/browser/force-change-password.browser.test.ts holds the table of cases.
 *
 * Guests never get here: they prove a home identity in the guest flow (redemption/next-step.ts).
 */
export interface PasswordSignInFacts {
  /** The typed password is the member's (false too for an unknown address, or past the attempt limit). */
  passwordOk: boolean;
  enabled: boolean;
  /** An administrator set the password with forceChangePasswordNextSignIn. */
  mustChangePassword: boolean;
}

export type PasswordSignInStep =
  /** The password page again, with the one answer that never says who exists. */
  | { kind: 'wrong-password' }
  /** The member chooses a new password first; no token until then. */
  | { kind: 'change-password' }
  /** Back to the provider, signed in. */
  | { kind: 'signed-in' };

export function nextAfterPassword(f: PasswordSignInFacts): PasswordSignInStep {
  // A disabled account gets the same answer as a wrong password, and never the change page: that page
  // would say the password was right.
  if (!f.passwordOk || !f.enabled) return { kind: 'wrong-password' };
  if (f.mustChangePassword) return { kind: 'change-password' };
  return { kind: 'signed-in' };
}

/**
 * May this browser's earlier sign-in of a member stand in for the password (single sign-on)? Not while
 * the member owes a password change: the change page comes after a password, and single sign-on would
 * skip it.
 */
export function earlierSignInCounts(f: { stillCounts: boolean; mustChangePassword: boolean }): boolean {
  return f.stillCounts && !f.mustChangePassword;
}
