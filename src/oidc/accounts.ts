/**
 * What a tenant's OpenID provider says about a person: the claims members and guests get (docs/api.md lists them).
 */
import type { JWTPayload } from 'jose';
import { groupsClaimOf } from '../directory/app-assignments.js';
import { listIdentities } from '../directory/identities.js';
import { issuerFor } from '../directory/issuers.js';
import { findUser } from '../directory/users.js';
import type { Executor } from '../platform/storage/database.js';

export function graphAudience(publicUrl: string): string {
  return `${publicUrl}/graph`;
}

/** The claims of an access token a tenant issued for the Graph API. */
export interface AccessTokenClaims extends JWTPayload {
  tid: string;
  client_id: string;
  /** Application permissions (client credentials). */
  roles?: string[];
  /** Delegated permissions, space-separated (a person signed in). */
  scp?: string;
  scope?: string;
  oid?: string;
  idtyp?: 'app' | 'user';
  /**
   * When a person's token was issued, in epoch milliseconds. `iat` counts whole seconds, too coarse to
   * tell a token issued just before a revocation from one issued just after it within the same second.
   */
  foyer_iat_ms?: number;
}

/**
 * The moment a token counts from, in milliseconds, compared with the person's signInSessionsValidFrom:
 * `foyer_iat_ms` (the sign-in the token comes from, never later than it, so a revocation that commits
 * while a refresh is under way outranks it), or for a token without it the start of its `iat` second, so
 * that it counts as before anything else in that second (the safe side).
 */
export function issuedAtMs(claims: Pick<AccessTokenClaims, 'iat' | 'foyer_iat_ms'>): number {
  return typeof claims.foyer_iat_ms === 'number' ? claims.foyer_iat_ms : (claims.iat ?? 0) * 1000;
}

export interface AccountClaims {
  sub: string;
  tid: string;
  oid: string;
  /** The home identity's issuer: this tenant's issuer for members. */
  idp: string;
  /** 0 for members, 1 for guests. */
  acct: 0 | 1;
  name: string;
  preferred_username: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  /** The user's group ids, when the app's groupMembershipClaims asks for them. */
  groups?: string[];
}

/** The app a token is for, as far as its claims depend on it. */
export interface ClaimsClient {
  clientId: string;
  /** Graph's groupMembershipClaims of the app. */
  groupMembershipClaims?: string | null;
}

/**
 * Claims for a user of `tenantId`, or undefined when the user does not exist or is disabled, which stops
 * the provider from issuing or refreshing tokens for them.
 */
export async function accountClaims(
  db: Executor,
  publicUrl: string,
  tenantId: string,
  userId: string,
  client?: ClaimsClient,
): Promise<AccountClaims | undefined> {
  const user = await findUser(db, tenantId, userId);
  if (!user?.accountEnabled) return undefined;
  const guest = user.userType === 'Guest';
  let idp = issuerFor(publicUrl, tenantId);
  if (guest) {
    const identities = (await listIdentities(db, [user.id])).get(user.id) ?? [];
    const home = identities.find((i) => i.signInType === 'federated' || i.signInType === 'emailAddress');
    if (home) idp = home.issuer;
  }
  const claims: AccountClaims = {
    sub: user.id,
    tid: tenantId,
    oid: user.id,
    idp,
    acct: guest ? 1 : 0,
    name: user.displayName,
    preferred_username: guest ? (user.mail ?? user.userPrincipalName) : user.userPrincipalName,
  };
  if (user.givenName) claims.given_name = user.givenName;
  if (user.surname) claims.family_name = user.surname;
  if (user.mail) claims.email = user.mail;
  if (client?.groupMembershipClaims) {
    const groups = await groupsClaimOf(db, tenantId, client.groupMembershipClaims, client.clientId, user.id);
    if (groups) claims.groups = groups;
  }
  return claims;
}
