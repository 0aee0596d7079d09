/**
 * Whether a sign-in needs a second factor here, and which step. Pure: the pages gather the facts (the
 * Conditional Access outcome, the person's registered methods, what this browser proved before), this
 * decides, the pages render it. test/mfa/mfa-step.test.ts holds the table of cases.
 *
 * The rules, as in Entra: MFA is performed in the resource tenant, whatever the home identity, unless the
 * resource tenant trusts the home tenant's MFA (inboundTrust.isMfaAccepted) and the home tenant performed it
 * in this browser. An e-mail one-time passcode is a first factor only, so it never satisfies MFA.
 */

export interface MfaFacts {
  /** What the enabled Conditional Access policies that apply ask for (report-only ones ask nothing). */
  requireMfa: boolean;
  /** The shortest signInFrequency of those policies, in seconds. */
  signInFrequencySeconds?: number;
  /** How many second factors the person has registered in this tenant. */
  methodCount: number;
  /**
   * When this browser last proved a second factor in this tenant for this person (epoch ms), if it did
   * after the person's sign-ins last ended.
   */
  sessionMfaAt?: number;
  /** The methods that proof used (amr), e.g. ['otp'] or ['hwk']. */
  sessionMfaAmr?: readonly string[];
  /**
   * When the guest's home tenant performed MFA for the home account in this browser, if this tenant trusts
   * that tenant's MFA (epoch ms).
   */
  trustedHomeMfaAt?: number;
  now: number;
}

export type MfaStep =
  /** No policy asks for MFA: go on with the first factor. */
  | { kind: 'not-required' }
  /** MFA is asked for and already satisfied; `amr` is what the ID token says. */
  | { kind: 'satisfied'; by: 'session' | 'home-tenant'; amr: readonly string[] }
  /** "More information required": the person registers a method first. */
  | { kind: 'register' }
  /** The person proves one of their methods. */
  | { kind: 'challenge' };

export function mfaStep(f: MfaFacts): MfaStep {
  if (!f.requireMfa) return { kind: 'not-required' };
  const fresh = (at: number) => f.signInFrequencySeconds === undefined || f.now - at < f.signInFrequencySeconds * 1000;
  // The home tenant's MFA, trusted, within the frequency: nothing to register or prove here.
  if (f.trustedHomeMfaAt !== undefined && fresh(f.trustedHomeMfaAt)) return { kind: 'satisfied', by: 'home-tenant', amr: ['mfa'] };
  // After an administrator's reset (or before any registration) there is nothing to prove: register,
  // whatever this browser proved before the reset.
  if (f.methodCount === 0) return { kind: 'register' };
  if (f.sessionMfaAt !== undefined && fresh(f.sessionMfaAt)) return { kind: 'satisfied', by: 'session', amr: [...(f.sessionMfaAmr ?? []), 'mfa'] };
  return { kind: 'challenge' };
}

/** The ID token's amr (RFC 8176) for a first factor and a second one: each method once, then `mfa`. */
export function combinedAmr(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first.filter((m) => m !== 'mfa'), ...second.filter((m) => m !== 'mfa'), 'mfa'])];
}
