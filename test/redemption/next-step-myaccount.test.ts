/**
 * The `myaccount` guest flow (the "My organizations" page's sign-in): once the bound identity is proven it
 * goes back to the page, and nothing in it ever completes a redemption.
 */
import { describe, expect, it } from 'vitest';
import { acceptStep, type FlowFacts, nextStep } from '../../src/redemption/index.js';

const bound = { issuer: 'mail', subject: 'nina@outlook.example' };
const base: FlowFacts = { purpose: 'myaccount', route: 'passcode', address: 'nina@outlook.example', bound };

describe('a myaccount flow', () => {
  it.each<[string, FlowFacts, ReturnType<typeof nextStep>]>([
    ['not proven: the method of the bound identity', base, { kind: 'prove', route: 'passcode' }],
    ['an earlier proof of it in this browser is taken', { ...base, earlier: { matching: true, ownSeen: true } }, { kind: 'adopt-earlier-proof' }],
    ['proven: back to My organizations', { ...base, proven: { ...bound, email: 'nina@outlook.example' } }, { kind: 'to-my-organizations' }],
    [
      'someone else proven: use another account',
      { ...base, proven: { issuer: 'mail', subject: 'eve@outlook.example', email: 'eve@outlook.example' } },
      { kind: 'mismatch', email: 'eve@outlook.example' },
    ],
    ['cancelled: the cancelled page', { ...base, cancelled: true }, { kind: 'cancelled' }],
  ])('%s', (_name, facts, expected) => {
    expect(nextStep(facts)).toEqual(expected);
  });

  it('an Accept posted into it completes nothing', () => {
    const facts = { ...base, proven: { email: 'nina@outlook.example' }, domainBlocked: false, invitationFound: true, guestId: 'g' };
    expect(acceptStep(facts)).toEqual({ kind: 'show-step' });
  });
});
