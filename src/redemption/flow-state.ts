/**
 * A guest flow's state: one person, in one browser, on the way from an invitation link (or a tenant's
 * sign-in page) through their home identity and the consent page to the organization's app. The web
 * kit stores it (guest_flows, behind a cookie); next-step.ts decides from it what comes next.
 */
import type { PendingAuthorization } from './external-providers.js';
import type { BoundIdentity, HomeRoute } from './home-realm.js';

/** What a person proved, in the words of a guest's `identities`. */
export interface ProvenIdentity {
  issuer: string;
  subject: string;
  /** The address the identity vouches for (lower-cased). */
  email: string;
  displayName: string | null;
  amr: string[];
  /** Epoch seconds. */
  authTime: number;
}

export type FlowPurpose = 'redeem' | 'return' | 'signin' | 'myaccount';

export interface GuestFlow {
  /**
   * redeem: an invitation link not yet redeemed; return: the link of a guest who already redeemed;
   * signin: a person who typed their address on a tenant's sign-in page (an app's authorize request);
   * myaccount: a person proving the home identity of one of their guest accounts for the "My organizations"
   * page (web/myaccount/), which the flow goes back to once proven, and which grants nothing else.
   */
  purpose: FlowPurpose;
  tenantId: string;
  /** The invited or typed address, as given (its lower-case form is what is compared). */
  address: string;
  invitationId?: string;
  ticketHash?: string;
  /** The OpenID provider interaction to resume (signin). */
  interactionUid?: string;
  /** The invitation's messageLanguage, ahead of Accept-Language. */
  language?: string | null;
  route: HomeRoute;
  /** The accepted guest's identity, which only may sign in (return, or signin of a redeemed guest). */
  bound?: BoundIdentity;
  /** Set once the person proved an identity. */
  proven?: ProvenIdentity;
  /** Ignore what this browser proved before (the person chose "use another account"). */
  freshSignIn?: boolean;
  passcodeSent?: boolean;
  /** Personal-account sign-up: the address was proven with a code; the account is not created yet. */
  signUpVerified?: boolean;
  external?: PendingAuthorization & { providerId: string };
  /** signin: the pending guest this person may redeem (shown the consent page). */
  guestId?: string;
  /** The person accepted Review permissions; terms of use the guest owes are shown next (next-step.ts). */
  consented?: boolean;
  /** signin: how the flow ended, for the hand-back to the tenant's OpenID provider. */
  outcome?: { guestId: string } | 'cancelled';
}
