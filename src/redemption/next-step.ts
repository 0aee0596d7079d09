/**
 * What comes next in a guest flow: discovery → proof → identity match → consent → terms of use
 * (when the tenant has any the guest has not accepted) → completion. Pure: the guest pages gather the
 * facts, these functions decide, the pages render what they say. test/redemption/next-step.test.ts holds
 * the table of cases.
 *
 * A new step (a second factor, say) is one more branch here between the identity match and consent,
 * with the fact it needs in FlowFacts; the pages render the step it names.
 */
import type { TicketState } from '../invitations/index.js';
import type { FlowPurpose } from './flow-state.js';
import type { HomeRoute } from './home-realm.js';

/** Why a page refuses to go on; each has one page (status, title, body) in the guest page set. */
export type Refusal =
  | 'unknown-link'
  | 'expired-link'
  | 'superseded-link'
  | 'revoked-link'
  /** The link was replaced or withdrawn while the person was on the consent page. */
  | 'withdrawn-meanwhile'
  | 'already-redeemed'
  | 'disabled'
  | 'blocked'
  | 'no-guest'
  | 'no-route';

/** An invitation link as presented: its ticket's verdict, its guest, and the tenant's domain policy. */
export interface LinkFacts {
  verdict: TicketState | 'expired';
  /** The invited guest, unless deleted. */
  guest?: { enabled: boolean };
  /** The invitee's domain is blocked by the tenant's B2B policy now (asked only of an active link). */
  domainBlocked?: boolean;
}

/** Can this link start (or continue) a redemption? undefined: yes; otherwise the page that says why not. */
export function linkRefusal(link: LinkFacts | undefined): Refusal | undefined {
  if (!link) return 'unknown-link';
  if (link.verdict === 'expired') return 'expired-link';
  if (link.verdict === 'superseded') return 'superseded-link';
  if (link.verdict === 'revoked') return 'revoked-link';
  if (!link.guest) return 'revoked-link';
  if (!link.guest.enabled) return 'disabled';
  // A pending guest whose domain was blocked after the invitation cannot redeem.
  if (link.verdict === 'active' && link.domainBlocked) return 'blocked';
  return undefined;
}

export interface FlowFacts {
  purpose: FlowPurpose;
  route: HomeRoute['kind'];
  /** The flow's address, lower-cased. */
  address: string;
  /** The identity bound at redemption: only it may sign in as the guest. */
  bound?: { issuer: string; subject: string };
  proven?: { issuer: string; subject: string; email: string };
  /** The person cancelled. */
  cancelled?: boolean;
  /**
   * Before a proof: what this browser proved earlier at the route's home (asked only when the method
   * accepts an earlier proof and the person did not ask for a fresh sign-in).
   */
  earlier?: {
    /** A still-valid proof of the flow's identity. */
    matching: boolean;
    /** Some proof there was for the flow's identity, valid or not. */
    ownSeen: boolean;
    /** The address of a still-valid proof of someone else at the same home. */
    otherEmail?: string;
  };
  /** After a proof, redeem and return: the flow's invitation (undefined when gone or its ticket changed). */
  link?: LinkFacts;
  /** After a proof, signin: the guest whose bound identity was proven. */
  boundGuest?: { id: string; enabled: boolean };
  /** After a proof, signin without a bound guest: the pending guest with this address. */
  pendingGuest?: { id: string; enabled: boolean };
  /** After a proof, signin: the address's domain is blocked by the tenant's B2B policy. */
  domainBlocked?: boolean;
  /** The person accepted Review permissions in this flow. */
  consented?: boolean;
  /** After consent: the guest owes an answer to the tenant's terms of use (asked only once consented). */
  termsDue?: boolean;
}

export type NextStep =
  /** Show the page of the method that proves identities of this home (methods/*.ts). */
  | { kind: 'prove'; route: Exclude<HomeRoute['kind'], 'none'> }
  /** This browser already proved the flow's identity: take that proof and decide again. */
  | { kind: 'adopt-earlier-proof' }
  /** Proven (now or earlier) as someone else: offer "use another account". */
  | { kind: 'mismatch'; email: string }
  | { kind: 'consent'; guestId?: string }
  /** After consent, before completion: the tenant's terms of use, one agreement at a time. */
  | { kind: 'terms' }
  /** A flow from a tenant's sign-in page ends there, signed in as the guest or cancelled. */
  | { kind: 'hand-back'; outcome: { guestId: string } | 'cancelled' }
  /** A returning guest proved the bound identity: straight on to the invitation's app. */
  | { kind: 'to-app' }
  /** myaccount: the home identity is proven: back to the "My organizations" page. */
  | { kind: 'to-my-organizations' }
  | { kind: 'cancelled' }
  | { kind: 'refuse'; refusal: Refusal };

const refuse = (refusal: Refusal): NextStep => ({ kind: 'refuse', refusal });

export function nextStep(f: FlowFacts): NextStep {
  if (f.cancelled) return f.purpose === 'signin' ? { kind: 'hand-back', outcome: 'cancelled' } : { kind: 'cancelled' };

  if (!f.proven) {
    if (f.earlier?.matching) return { kind: 'adopt-earlier-proof' };
    // Signed in at the same home as someone else: say so, and offer to switch. A
    // passcode proves one address only, so another address proven by code says nothing about this one.
    if (f.earlier?.otherEmail && !f.earlier.ownSeen && f.route !== 'passcode') return { kind: 'mismatch', email: f.earlier.otherEmail };
    return f.route === 'none' ? refuse('no-route') : { kind: 'prove', route: f.route };
  }

  // Identity match: a redeemed guest's bound identity, or else the address the flow is for.
  const matches = f.bound ? f.proven.issuer === f.bound.issuer && f.proven.subject === f.bound.subject : f.proven.email === f.address;
  if (!matches) return { kind: 'mismatch', email: f.proven.email };

  switch (f.purpose) {
    case 'myaccount':
      return { kind: 'to-my-organizations' };
    case 'return': {
      if (!f.link?.guest || f.link.verdict !== 'redeemed') return refuse('revoked-link');
      if (!f.link.guest.enabled) return refuse('disabled');
      return { kind: 'to-app' };
    }
    case 'redeem': {
      const refusal = linkRefusal(f.link);
      if (refusal) return refuse(refusal);
      if (f.link!.verdict === 'redeemed') return refuse('already-redeemed');
      return f.consented && f.termsDue ? { kind: 'terms' } : { kind: 'consent' };
    }
    case 'signin': {
      if (f.boundGuest) return f.boundGuest.enabled ? { kind: 'hand-back', outcome: { guestId: f.boundGuest.id } } : refuse('disabled');
      if (!f.pendingGuest) return refuse('no-guest');
      if (!f.pendingGuest.enabled) return refuse('disabled');
      if (f.domainBlocked) return refuse('blocked');
      return f.consented && f.termsDue ? { kind: 'terms' } : { kind: 'consent', guestId: f.pendingGuest.id };
    }
  }
}

export interface AcceptFacts {
  purpose: FlowPurpose;
  address: string;
  bound?: { issuer: string; subject: string };
  proven?: { email: string };
  domainBlocked: boolean;
  /** redeem: the flow's invitation still exists. */
  invitationFound: boolean;
  /** signin: the pending guest chosen at the consent step. */
  guestId?: string;
  /** The guest owes an answer to the tenant's terms of use: redeemed only once they are accepted. */
  termsDue?: boolean;
}

/**
 * The person pressed Accept: complete the redemption, refuse, or (a form posted out of turn) show the
 * flow's current step again. Completion itself is a compare-and-set (redeem.ts), so this only screens.
 */
export function acceptStep(f: AcceptFacts): { kind: 'complete' } | { kind: 'terms' } | { kind: 'show-step' } | { kind: 'refuse'; refusal: Refusal } {
  // Nothing is accepted in a returning guest's flow, nor in one that only proves an identity for My organizations.
  if (!f.proven || f.purpose === 'return' || f.purpose === 'myaccount') return { kind: 'show-step' };
  if (!f.bound && f.proven.email !== f.address) return { kind: 'show-step' };
  if (f.domainBlocked) return { kind: 'refuse', refusal: 'blocked' };
  if (f.purpose === 'redeem' && !f.invitationFound) return { kind: 'refuse', refusal: 'revoked-link' };
  if (f.purpose === 'signin' && !f.guestId) return { kind: 'show-step' };
  return f.termsDue ? { kind: 'terms' } : { kind: 'complete' };
}

/** A completion that lost: to whom, and what the person is told. */
export function lostRedemption(reason: 'spent' | 'identity_taken', invitationStateNow: TicketState | undefined, viaLink: boolean): Refusal | 'identity-taken' {
  if (reason === 'identity_taken') return 'identity-taken';
  // Another window (or person) redeemed first, or the link was replaced or withdrawn meanwhile.
  if (!viaLink || invitationStateNow === 'redeemed') return 'already-redeemed';
  return 'withdrawn-meanwhile';
}
