/**
 * Verifies access tokens that a tenant of this instance issued for the Graph API: signature against the
 * tenant's published keys, issuer, audience, lifetime, and the `at+jwt` type (RFC 9068 §4) so that an ID
 * token can never be replayed as an access token.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { graphAudience, issuerFor } from './accounts.js';
import type { ProviderRegistry, TenantProvider } from './registry.js';

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
}

const keySets = new WeakMap<TenantProvider, JWTVerifyGetKey>();

/**
 * Tokens already verified, per tenant provider (so a key change starts afresh), until they expire. A
 * script calls Graph many times with one token; its RS256 signature need not be checked every time.
 */
const verified = new WeakMap<TenantProvider, LRUCache<string, AccessTokenClaims>>();

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
  let cache = verified.get(entry);
  if (!cache) {
    cache = new LRUCache({ max: 10_000 });
    verified.set(entry, cache);
  }
  const known = cache.get(token);
  if (known && typeof known.exp === 'number' && known.exp * 1000 > ctx.clock.now()) return known;

  let keys = keySets.get(entry);
  if (!keys) {
    keys = createLocalJWKSet(entry.jwks);
    keySets.set(entry, keys);
  }
  try {
    const { payload } = await jwtVerify(token, keys, {
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
