/**
 * Hands OpenID requests (`/{tenant}/oauth2/v2.0/…`, discovery, JWKS) to the tenant's provider before
 * Fastify parses anything, so the provider reads its own bodies. Userinfo is served by Foyer (see
 * userinfo.ts) because access tokens are JWTs the provider does not store.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { clientEndpointMethods, isOAuthClientEndpoint, sendMethodNotAllowed, sendOAuthError } from './oauth-errors.js';
import type { ProviderRegistry } from './registry.js';

/**
 * The provider's paths below `/{tenant}`, in any letter case (its router folds case, as Entra does). Only
 * authorize (`/{uid}`, a sign-in resumed) and logout (`/confirm`, `/success`) have paths below them.
 */
const PROVIDER_PATHS =
  /^\/(?:v2\.0\/\.well-known\/(?:openid-configuration|oauth-authorization-server)|oauth2\/v2\.0\/(?:(?:authorize|logout)(?:\/[A-Za-z0-9_-]+)*|token|revoke)|discovery\/v2\.0\/keys)$/i;

export function mountProviders(app: FastifyInstance, registry: ProviderRegistry, publicUrl: string): void {
  const pinned = new URL(publicUrl);
  app.addHook('onRequest', async (request, reply) => {
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const slash = pathname.indexOf('/', 1);
    if (slash === -1) return;
    const rest = pathname.slice(slash);
    const client = isOAuthClientEndpoint(pathname);
    // A client endpoint asked with a method it does not take (GET at token, POST at discovery, DELETE at
    // userinfo): 405 in OAuth's shape, whether or not the tenant exists.
    const allowed = clientEndpointMethods(rest);
    if (allowed && !allowed.includes(request.method)) return sendMethodNotAllowed(reply, request.method, allowed);
    if (!PROVIDER_PATHS.test(rest)) {
      // An OAuth path Foyer does not serve (introspection, device code, anything below token or revoke):
      // a client gets JSON, not a page. Userinfo itself is Foyer's own route (userinfo.ts).
      if (client && rest !== '/openid/userinfo') {
        return sendOAuthError(reply, 404, 'invalid_request', `This server has no endpoint ${rest.slice(0, 200)}.`);
      }
      return;
    }
    // A tenant id or domain is made of unreserved characters only: nothing to percent-decode.
    const segment = pathname.slice(1, slash);
    const wellFormed = /^[A-Za-z0-9.-]{1,253}$/.test(segment);
    const entry = wellFormed ? await registry.resolve(segment) : undefined;
    if (!entry) {
      // A person at authorize or logout gets the not-found page; a client gets an OAuth error.
      if (!client) return;
      const which = wellFormed ? `'${segment}'` : 'named in the URL';
      return sendOAuthError(reply, 400, 'invalid_request', `Tenant ${which} not found: use the tenant's id or one of its domains.`);
    }
    const search = q === -1 ? '' : url.slice(q);
    // The provider builds every URL it publishes from Host and X-Forwarded-Proto: pin both to
    // FOYER_PUBLIC_URL so a forged Host header cannot change the issuer's endpoints.
    raw.headers.host = pinned.host;
    raw.headers['x-forwarded-proto'] = pinned.protocol.slice(0, -1);
    delete raw.headers['x-forwarded-host'];
    // The client's address as Fastify determined it (FOYER_TRUST_PROXY), for the sign-in log: never one a client forged.
    raw.headers['x-forwarded-for'] = request.ip;
    // Discovery lives at /{tenant}/v2.0/.well-known/…; every other endpoint directly below /{tenant}.
    raw.url = (rest.toLowerCase().startsWith('/v2.0/.well-known/') ? rest.slice('/v2.0'.length) : rest) + search;
    raw.originalUrl = `/${segment}${raw.url}`;
    reply.hijack();
    entry.callback(raw, reply.raw);
  });
}
