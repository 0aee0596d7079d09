/**
 * Whether a sign-in needs a second factor here, and which step: the table of cases of mfa/mfa-step.ts.
 */
import { describe, expect, it } from 'vitest';
import { combinedAmr, type MfaFacts, mfaStep } from '../../src/mfa/mfa-step.js';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const base: MfaFacts = { requireMfa: true, methodCount: 1, now: NOW };

describe('the second-factor step', () => {
  it.each([
    { case: 'no policy asks for MFA', facts: { requireMfa: false, methodCount: 0 }, step: 'not-required' },
    { case: 'no policy asks, methods registered', facts: { requireMfa: false }, step: 'not-required' },
    { case: 'asked, nothing registered: "More information required"', facts: { methodCount: 0 }, step: 'register' },
    { case: 'asked, a method, nothing proven in this browser', facts: {}, step: 'challenge' },
    { case: 'asked, proven in this browser an hour ago, no frequency', facts: { sessionMfaAt: NOW - HOUR, sessionMfaAmr: ['otp'] }, step: 'satisfied' },
    { case: 'proven an hour ago, frequency 2 hours', facts: { sessionMfaAt: NOW - HOUR, signInFrequencySeconds: 7200 }, step: 'satisfied' },
    { case: 'proven 3 hours ago, frequency 2 hours: asked again', facts: { sessionMfaAt: NOW - 3 * HOUR, signInFrequencySeconds: 7200 }, step: 'challenge' },
    { case: 'proven exactly at the frequency: asked again', facts: { sessionMfaAt: NOW - 2 * HOUR, signInFrequencySeconds: 7200 }, step: 'challenge' },
    // After an administrator's reset: register, whatever this browser proved before it.
    { case: 'proven in this browser, but every method was reset since', facts: { methodCount: 0, sessionMfaAt: NOW - 60_000 }, step: 'register' },
    { case: 'the home tenant did MFA and is trusted', facts: { trustedHomeMfaAt: NOW - HOUR }, step: 'satisfied' },
    { case: 'the home tenant did MFA, trusted, nothing registered here', facts: { trustedHomeMfaAt: NOW - HOUR, methodCount: 0 }, step: 'satisfied' },
    { case: 'trusted home MFA but no policy asks', facts: { trustedHomeMfaAt: NOW - HOUR, requireMfa: false }, step: 'not-required' },
    // signInFrequency applies to the home tenant's MFA too.
    { case: 'trusted home MFA 3 hours ago, frequency 2 hours', facts: { trustedHomeMfaAt: NOW - 3 * HOUR, signInFrequencySeconds: 7200 }, step: 'challenge' },
    {
      case: 'trusted home MFA 3 hours ago, frequency 2 hours, nothing here',
      facts: { trustedHomeMfaAt: NOW - 3 * HOUR, signInFrequencySeconds: 7200, methodCount: 0 },
      step: 'register',
    },
    { case: 'trusted home MFA an hour ago, frequency 2 hours', facts: { trustedHomeMfaAt: NOW - HOUR, signInFrequencySeconds: 7200 }, step: 'satisfied' },
  ])('$case → $step', ({ facts, step }) => {
    expect(mfaStep({ ...base, ...facts }).kind).toBe(step);
  });

  it('says how MFA was satisfied, with the methods that satisfied it', () => {
    expect(mfaStep({ ...base, sessionMfaAt: NOW - 1000, sessionMfaAmr: ['hwk'] })).toEqual({ kind: 'satisfied', by: 'session', amr: ['hwk', 'mfa'] });
    expect(mfaStep({ ...base, trustedHomeMfaAt: NOW - 1000 })).toEqual({ kind: 'satisfied', by: 'home-tenant', amr: ['mfa'] });
  });

  it.each([
    { first: ['pwd'], second: ['otp'], amr: ['pwd', 'otp', 'mfa'] },
    { first: ['pwd'], second: ['hwk'], amr: ['pwd', 'hwk', 'mfa'] },
    // An e-mail passcode and an authenticator app are both one-time passwords: `otp` once, then `mfa`.
    { first: ['otp'], second: ['otp'], amr: ['otp', 'mfa'] },
    { first: ['pwd', 'mfa'], second: ['swk'], amr: ['pwd', 'swk', 'mfa'] },
  ])('amr of $first then $second is $amr (RFC 8176)', ({ first, second, amr }) => {
    expect(combinedAmr(first, second)).toEqual(amr);
  });
});
