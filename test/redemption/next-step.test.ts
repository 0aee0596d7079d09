/**
 * What comes next in a guest flow, as tables: discovery → proof → identity match → consent →
 * completion, for each purpose (an invitation link, a returning guest's link, a tenant's sign-in page),
 * with cancellation and every refusal page.
 */
import { describe, expect, it } from 'vitest';
import {
  type AcceptFacts,
  acceptStep,
  type FlowFacts,
  type LinkFacts,
  linkRefusal,
  lostRedemption,
  type NextStep,
  nextStep,
} from '../../src/redemption/next-step.js';

const pat = 'pat@partner.example';
const provenPat = { issuer: 'mail', subject: pat, email: pat };
const provenMallory = { issuer: 'mail', subject: 'mallory@partner.example', email: 'mallory@partner.example' };
const activeLink: LinkFacts = { verdict: 'active', guest: { enabled: true }, domainBlocked: false };
const redeemedLink: LinkFacts = { verdict: 'redeemed', guest: { enabled: true } };
const bound = { issuer: 'https://login.partner.example', subject: 'pat-sub' };

const redeem: FlowFacts = { purpose: 'redeem', route: 'passcode', address: pat };
const returning: FlowFacts = { purpose: 'return', route: 'external', address: pat, bound };
const signin: FlowFacts = { purpose: 'signin', route: 'passcode', address: pat };

describe('nextStep', () => {
  const cases: Array<[string, FlowFacts, NextStep]> = [
    // Before a proof: the method of the home, unless this browser proved something already.
    ['nothing proven: the home route’s method asks', redeem, { kind: 'prove', route: 'passcode' }],
    ['a home tenant: its password page', { ...redeem, route: 'tenant' }, { kind: 'prove', route: 'tenant' }],
    ['no way home at all: the page says so', { ...redeem, route: 'none' }, { kind: 'refuse', refusal: 'no-route' }],
    ['this browser proved the flow’s identity: adopt it', { ...redeem, earlier: { matching: true, ownSeen: true } }, { kind: 'adopt-earlier-proof' }],
    [
      'signed in at the same home as someone else: offer another account',
      { ...redeem, route: 'tenant', earlier: { matching: false, ownSeen: false, otherEmail: 'eve@fabrikam.example' } },
      { kind: 'mismatch', email: 'eve@fabrikam.example' },
    ],
    [
      'someone else, but the flow’s own proof was there too (expired): just ask again',
      { ...redeem, route: 'tenant', earlier: { matching: false, ownSeen: true, otherEmail: 'eve@fabrikam.example' } },
      { kind: 'prove', route: 'tenant' },
    ],
    [
      'a code for another address says nothing about this one',
      { ...redeem, earlier: { matching: false, ownSeen: false, otherEmail: 'eve@outlook.example' } },
      { kind: 'prove', route: 'passcode' },
    ],
    // Identity match.
    ['proven as someone else', { ...redeem, proven: provenMallory, link: activeLink }, { kind: 'mismatch', email: 'mallory@partner.example' }],
    [
      'a returning guest proved an identity that is not the bound one, even with the right address',
      { ...returning, proven: { issuer: bound.issuer, subject: 'other-sub', email: pat }, link: redeemedLink },
      { kind: 'mismatch', email: pat },
    ],
    // Redeem: the link is judged again after the proof.
    ['redeem: proven, link good → consent', { ...redeem, proven: provenPat, link: activeLink }, { kind: 'consent' }],
    // Terms of use: after Review permissions, while the guest owes an answer.
    ['redeem: consented, terms owed → the terms', { ...redeem, proven: provenPat, link: activeLink, consented: true, termsDue: true }, { kind: 'terms' }],
    ['redeem: terms owed but not consented yet → consent first', { ...redeem, proven: provenPat, link: activeLink, termsDue: true }, { kind: 'consent' }],
    [
      'redeem: consented, nothing owed → consent (its Accept completes)',
      { ...redeem, proven: provenPat, link: activeLink, consented: true, termsDue: false },
      { kind: 'consent' },
    ],
    [
      'redeem: consented, terms owed, but the link was withdrawn → refused',
      { ...redeem, proven: provenPat, link: { verdict: 'revoked' }, consented: true, termsDue: true },
      { kind: 'refuse', refusal: 'revoked-link' },
    ],
    [
      'signin: a pending guest consented and owes terms → the terms',
      { ...signin, proven: provenPat, pendingGuest: { id: 'g2', enabled: true }, domainBlocked: false, consented: true, termsDue: true },
      { kind: 'terms' },
    ],
    ['redeem: the link was replaced meanwhile', { ...redeem, proven: provenPat, link: undefined }, { kind: 'refuse', refusal: 'unknown-link' }],
    ['redeem: redeemed in another window meanwhile', { ...redeem, proven: provenPat, link: redeemedLink }, { kind: 'refuse', refusal: 'already-redeemed' }],
    [
      'redeem: the domain was blocked meanwhile',
      { ...redeem, proven: provenPat, link: { ...activeLink, domainBlocked: true } },
      { kind: 'refuse', refusal: 'blocked' },
    ],
    [
      'redeem: the guest was disabled meanwhile',
      { ...redeem, proven: provenPat, link: { ...activeLink, guest: { enabled: false } } },
      { kind: 'refuse', refusal: 'disabled' },
    ],
    // Return: straight to the app, no consent.
    ['return: the bound identity → the app', { ...returning, proven: { ...bound, email: pat }, link: redeemedLink }, { kind: 'to-app' }],
    [
      'return: the redemption was reset meanwhile',
      { ...returning, proven: { ...bound, email: pat }, link: { verdict: 'revoked' } },
      { kind: 'refuse', refusal: 'revoked-link' },
    ],
    [
      'return: the guest was deleted',
      { ...returning, proven: { ...bound, email: pat }, link: { verdict: 'redeemed' } },
      { kind: 'refuse', refusal: 'revoked-link' },
    ],
    [
      'return: the guest is disabled',
      { ...returning, proven: { ...bound, email: pat }, link: { verdict: 'redeemed', guest: { enabled: false } } },
      { kind: 'refuse', refusal: 'disabled' },
    ],
    // Sign-in from a tenant's page.
    [
      'signin: the proven identity is a guest’s bound one → back to the sign-in page',
      { ...signin, proven: provenPat, boundGuest: { id: 'g1', enabled: true } },
      { kind: 'hand-back', outcome: { guestId: 'g1' } },
    ],
    ['signin: that guest is disabled', { ...signin, proven: provenPat, boundGuest: { id: 'g1', enabled: false } }, { kind: 'refuse', refusal: 'disabled' }],
    [
      'signin: a pending guest with this address → consent, redeeming by signing in',
      { ...signin, proven: provenPat, pendingGuest: { id: 'g2', enabled: true }, domainBlocked: false },
      { kind: 'consent', guestId: 'g2' },
    ],
    ['signin: no guest of this tenant (said only after the proof)', { ...signin, proven: provenPat }, { kind: 'refuse', refusal: 'no-guest' }],
    [
      'signin: the pending guest is disabled',
      { ...signin, proven: provenPat, pendingGuest: { id: 'g2', enabled: false } },
      { kind: 'refuse', refusal: 'disabled' },
    ],
    [
      'signin: the pending guest’s domain is blocked',
      { ...signin, proven: provenPat, pendingGuest: { id: 'g2', enabled: true }, domainBlocked: true },
      { kind: 'refuse', refusal: 'blocked' },
    ],
    // Cancellation.
    ['cancel from a link: a “cancelled” page', { ...redeem, cancelled: true }, { kind: 'cancelled' }],
    ['cancel from a sign-in page: back to it, cancelled', { ...signin, proven: provenPat, cancelled: true }, { kind: 'hand-back', outcome: 'cancelled' }],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(nextStep(facts)).toEqual(expected);
  });
});

describe('linkRefusal', () => {
  const cases: Array<[string, LinkFacts | undefined, ReturnType<typeof linkRefusal>]> = [
    ['unknown, tampered or another tenant’s', undefined, 'unknown-link'],
    ['expired', { verdict: 'expired' }, 'expired-link'],
    ['replaced by a newer invitation', { verdict: 'superseded' }, 'superseded-link'],
    ['withdrawn', { verdict: 'revoked' }, 'revoked-link'],
    ['its guest was deleted', { verdict: 'active' }, 'revoked-link'],
    ['its guest is disabled', { verdict: 'active', guest: { enabled: false } }, 'disabled'],
    ['the domain is blocked now', { ...activeLink, domainBlocked: true }, 'blocked'],
    ['a redeemed link is a return link, whatever the domain policy', { ...redeemedLink, domainBlocked: true }, undefined],
    ['good', activeLink, undefined],
  ];
  it.each(cases)('%s', (_name, link, expected) => {
    expect(linkRefusal(link)).toBe(expected);
  });
});

describe('acceptStep', () => {
  const base: AcceptFacts = { purpose: 'redeem', address: pat, proven: { email: pat }, domainBlocked: false, invitationFound: true };
  const cases: Array<[string, AcceptFacts, ReturnType<typeof acceptStep>]> = [
    ['redeem: complete', base, { kind: 'complete' }],
    ['nothing proven yet: show the step', { ...base, proven: undefined }, { kind: 'show-step' }],
    ['a returning guest has no consent to give', { ...base, purpose: 'return' }, { kind: 'show-step' }],
    ['proven as another address', { ...base, proven: { email: 'mallory@partner.example' } }, { kind: 'show-step' }],
    ['the domain was blocked after the consent page', { ...base, domainBlocked: true }, { kind: 'refuse', refusal: 'blocked' }],
    ['the invitation is gone', { ...base, invitationFound: false }, { kind: 'refuse', refusal: 'revoked-link' }],
    ['signin: complete for the chosen guest', { ...base, purpose: 'signin', invitationFound: false, guestId: 'g2' }, { kind: 'complete' }],
    ['signin: no guest chosen yet', { ...base, purpose: 'signin', invitationFound: false }, { kind: 'show-step' }],
    ['terms of use owed: the terms before completion', { ...base, termsDue: true }, { kind: 'terms' }],
    ['terms owed, but the domain was blocked: refused', { ...base, termsDue: true, domainBlocked: true }, { kind: 'refuse', refusal: 'blocked' }],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(acceptStep(facts)).toEqual(expected);
  });
});

describe('lostRedemption', () => {
  it('tells the loser of a race what happened', () => {
    expect(lostRedemption('identity_taken', 'active', true)).toBe('identity-taken');
    expect(lostRedemption('spent', 'redeemed', true)).toBe('already-redeemed');
    expect(lostRedemption('spent', 'superseded', true)).toBe('withdrawn-meanwhile');
    expect(lostRedemption('spent', undefined, true)).toBe('withdrawn-meanwhile');
    expect(lostRedemption('spent', undefined, false)).toBe('already-redeemed');
  });
});
