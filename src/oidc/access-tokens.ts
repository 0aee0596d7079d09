/**
 * Verifies access tokens that a tenant of this instance issued for the Graph API: signature against the
 * tenant's published keys, issuer, audience, lifetime, and the `at+jwt` type (RFC 9068 §4) so that an ID
 * token can never be replayed as an access token; and, for a person's token, that it was issued after the
 * person's sign-ins last ended (`signInSessionsValidFromDateTime`), so a revoke, a new password, a disable
 * or a reset redemption stops it at once rather than when it expires.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { issuerFor } from '../directory/issuers.js';
import { findUser } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type AccessTokenClaims, graphAudience, issuedAtMs } from './accounts.js';
import type { ProviderRegistry } from './registry.js';

export type { AccessTokenClaims } from './accounts.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function verifyAccessToken(ctx: AppContext, registry: ProviderRegistry, token: string): Promise<AccessTokenClaims> {
  const invalid = (message: string, detail?: string) => new FoyerError('auth.invalid_token', message, detail);
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw invalid('Access token is not a valid JWT.');
  }
  const tid = typeof unverified.tid === 'string' ? unverified.tid : '';
  if (!UUID.test(tid)) throw invalid('Access token has no valid tid claim.');
  let entry = await registry.resolve(tid);
  if (!entry) throw invalid('Access token was issued by an unknown tenant.');
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw invalid('Access token is not a valid JWT.');
  }
  if (kid && !entry.jwks.keys.some((k) => k.kid === kid)) {
    // Another process may have rotated the tenant's keys a moment ago: look again before refusing.
    entry = (await registry.recheck(tid)) ?? entry;
  }
  // Tokens already verified, per tenant provider (so a key change starts afresh), until they expire.
  const cache = entry.verifiedTokens;
  const known = cache.get(token);
  if (known && typeof known.exp === 'number' && known.exp * 1000 > ctx.clock.now()) return assertNotRevoked(ctx, known);

  let claims: AccessTokenClaims;
  try {
    const { payload } = await jwtVerify(token, entry.keySet, {
      issuer: issuerFor(ctx.config.publicUrl, tid),
      audience: graphAudience(ctx.config.publicUrl),
      algorithms: ['RS256'],
      typ: 'at+jwt',
      currentDate: new Date(ctx.clock.now()),
      clockTolerance: 30,
    });
    claims = payload as AccessTokenClaims;
    if (typeof claims.exp === 'number') cache.set(token, claims, { ttl: Math.max(1, claims.exp * 1000 - ctx.clock.now()) });
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw invalid('Lifetime validation failed, the token is expired.');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw invalid(`Access token validation failed: ${err.claim} is not valid for this API.`);
    if (err instanceof joseErrors.JOSEError) throw invalid('Access token signature validation failed.', err.code);
    throw err;
  }
  return assertNotRevoked(ctx, claims);
}

/**
 * A person's token issued before their sign-ins ended is refused, on every call (the revocation may come
 * after the token was first verified and cached). Whether the person still exists and is enabled is each
 * caller's question (they answer it in their own words); an app's own token has no person to revoke.
 */
async function assertNotRevoked(ctx: AppContext, claims: AccessTokenClaims): Promise<AccessTokenClaims> {
  const userId = claims.oid ?? claims.sub;
  if (claims.idtyp === 'app' || !userId) return claims;
  const user = await findUser(ctx.db.kysely, claims.tid, userId);
  if (!user?.accountEnabled) return claims;
  const validFrom = user.signInSessionsValidFrom;
  if (validFrom !== null && issuedAtMs(claims) < validFrom) {
    throw new FoyerError(
      'auth.invalid_token',
      "The token was issued before the user's sign-in sessions were revoked (signInSessionsValidFromDateTime); sign in again.",
      `token issued at ${issuedAtMs(claims)}, sign-ins valid from ${validFrom}`,
    );
  }
  return claims;
}
