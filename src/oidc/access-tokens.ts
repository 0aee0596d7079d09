/**
 * Verifies access tokens that a tenant of this instance issued for the Graph API: signature against the
 * tenant's published keys, issuer, audience, lifetime, and the `at+jwt` type (RFC 9068 §4) so that an ID
 * token can never be replayed as an access token.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { issuerFor } from '../directory/issuers.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type AccessTokenClaims, graphAudience } from './accounts.js';
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
  if (known && typeof known.exp === 'number' && known.exp * 1000 > ctx.clock.now()) return known;

  try {
    const { payload } = await jwtVerify(token, entry.keySet, {
      issuer: issuerFor(ctx.config.publicUrl, tid),
      audience: graphAudience(ctx.config.publicUrl),
      algorithms: ['RS256'],
      typ: 'at+jwt',
      currentDate: new Date(ctx.clock.now()),
      clockTolerance: 30,
    });
    const claims = payload as AccessTokenClaims;
    if (typeof claims.exp === 'number') cache.set(token, claims, { ttl: Math.max(1, claims.exp * 1000 - ctx.clock.now()) });
    return claims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw invalid('Lifetime validation failed, the token is expired.');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw invalid(`Access token validation failed: ${err.claim} is not valid for this API.`);
    if (err instanceof joseErrors.JOSEError) throw invalid('Access token signature validation failed.', err.code);
    throw err;
  }
}
