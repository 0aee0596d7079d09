/**
 * How Foyer talks to external identity providers, whose URLs an administrator typed and whose discovery
 * document names further URLs (keys, token, userinfo), and which anonymous guest flows make it call:
 * without care, a way to make the server probe its own network (server-side request forgery) or hammer
 * a host.
 *
 * - The issuer must be `https` in production mode (checked when a provider is added, and again on every
 *   request: an `http` issuer stored earlier is not called).
 * - Every request goes through `guardedFetch`: loopback, private, link-local (cloud metadata) and other
 *   non-public addresses are refused on the address DNS answered, for every connection, unless
 *   FOYER_IDP_ALLOW_PRIVATE_NETWORKS (default: allowed in development mode only). openid-client asks for
 *   no redirect to be followed; were one followed, its connection would be checked the same way.
 * - Requests time out after PROVIDER_TIMEOUT_SECONDS, and answers are at most PROVIDER_RESPONSE_LIMIT.
 * - A provider that failed (unreachable, refused, timed out, bad discovery document) is not asked again
 *   for PROVIDER_FAILURE_HOLD_MS: further flows fail at once with the same reason.
 */
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Config } from '../platform/config/schema.js';
import { type AppContext, service } from '../platform/context.js';
import { guardedFetch, OutboundRequestRefused, publicOnly } from '../platform/guarded-fetch.js';
import { nonPublicRange } from '../platform/network-ranges.js';

/** Seconds a request to a provider may take, connect to last byte (a sign-in page waits on it). */
export const PROVIDER_TIMEOUT_SECONDS = 5;
/** How long a provider that failed is not asked again. */
export const PROVIDER_FAILURE_HOLD_MS = 30_000;
/** Largest answer read from a provider (discovery documents and key sets are a few kilobytes). */
export const PROVIDER_RESPONSE_LIMIT = 512 * 1024;
const MAX_REDIRECTS = 3;

/** FOYER_IDP_ALLOW_PRIVATE_NETWORKS, or its default: allowed in development (a provider on localhost), not in production. */
export function allowsPrivateProviderNetworks(config: Pick<Config, 'idpAllowPrivateNetworks' | 'mode'>): boolean {
  return config.idpAllowPrivateNetworks ?? config.mode === 'development';
}

/**
 * Why `issuer` cannot be a provider's issuer under this configuration, or undefined. What can be told
 * without DNS is told here, at once; a name that resolves to a refused address is caught when it is called.
 */
export function issuerProblem(issuer: string, config: Pick<Config, 'idpAllowPrivateNetworks' | 'mode'>): string | undefined {
  const production = config.mode === 'production';
  const shape = production
    ? 'must be an https URL (production mode), without query or fragment.'
    : 'must be an https URL (http only on localhost), without query or fragment.';
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return shape;
  }
  if (url.username || url.password || url.search || url.hash) return shape;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const httpAllowed = !production && (loopbackName || host === '127.0.0.1' || host === '::1');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpAllowed)) return shape;
  if (allowsPrivateProviderNetworks(config)) return undefined;
  // `localhost` names are loopback by definition (RFC 6761 section 6.3), whatever DNS says.
  const range = loopbackName ? 'loopback' : isIP(host) ? nonPublicRange(host) : undefined;
  return range ? `is on a ${range} address, which Foyer does not call unless FOYER_IDP_ALLOW_PRIVATE_NETWORKS is true.` : undefined;
}

/** Thrown instead of calling a provider that failed within the hold time. */
export class ProviderUnavailable extends Error {
  override name = 'ProviderUnavailable';
}

interface Failure {
  until: number;
  reason: string;
}

const FAILURES = Symbol('external provider failures');
const failures = (ctx: AppContext) => service(ctx, FAILURES, () => new LRUCache<string, Failure>({ max: 1000 }));

/** The message of an error and of its causes (openid-client wraps what fetch threw). */
function describeFailure(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (!parts.includes(e.message)) parts.push(e.message);
  return parts.join(': ') || String(err);
}

/** Remembers that the provider at `issuer` failed, so that the next flows do not call it again for a while. */
export function recordProviderFailure(ctx: AppContext, issuer: string, err: unknown): void {
  // A refusal because of the hold is not a new failure (it must not extend the hold).
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof ProviderUnavailable) return;
  failures(ctx).set(issuer, { until: ctx.clock.now() + PROVIDER_FAILURE_HOLD_MS, reason: describeFailure(err) });
}

/**
 * Throws when the provider at `issuer` may not be called now: a plain-http issuer in production mode (one
 * stored by a development process on the same database), or one held after a failure (ProviderUnavailable).
 */
export function assertProviderCallable(ctx: AppContext, issuer: string): void {
  if (ctx.config.mode === 'production' && !issuer.startsWith('https:')) {
    throw new OutboundRequestRefused(`${issuer}: only https issuers are called in production mode`);
  }
  const failure = failures(ctx).get(issuer);
  if (!failure) return;
  if (failure.until <= ctx.clock.now()) {
    failures(ctx).delete(issuer);
    return;
  }
  const seconds = Math.ceil((failure.until - ctx.clock.now()) / 1000);
  throw new ProviderUnavailable(`${issuer} failed recently (${failure.reason}); not called again for ${seconds} s`);
}

/**
 * The `fetch` openid-client uses for the provider at `issuer` (discovery, keys, token, userinfo): guarded
 * as above; a request that cannot complete (refused, unreachable, timed out) holds the provider.
 */
export function providerFetch(ctx: AppContext, issuer: string) {
  const fetch = guardedFetch({
    httpsOnly: ctx.config.mode === 'production',
    refuseAddress: publicOnly(allowsPrivateProviderNetworks(ctx.config)),
    timeoutMs: PROVIDER_TIMEOUT_SECONDS * 1000,
    maxResponseBytes: PROVIDER_RESPONSE_LIMIT,
    maxRedirects: MAX_REDIRECTS,
  });
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    assertProviderCallable(ctx, issuer);
    try {
      return await fetch(input, init);
    } catch (err) {
      recordProviderFailure(ctx, issuer, err);
      if (err instanceof OutboundRequestRefused) throw err;
      const url = input instanceof Request ? input.url : String(input);
      const timedOut = err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
      throw new Error(`${url}: ${timedOut ? `no answer within ${PROVIDER_TIMEOUT_SECONDS} s` : describeFailure(err)}`);
    }
  };
}
