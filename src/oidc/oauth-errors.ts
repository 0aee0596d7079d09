/**
 * OAuth 2.0 error answers (RFC 6749 §5.2: `{"error", "error_description"}`, `no-store`) for requests to
 * the OpenID endpoints that no tenant's provider takes: an unknown tenant, an endpoint Foyer does not
 * have, or a request refused before it reaches the provider. An OAuth client parses JSON there; an HTML
 * page would leave it with a parse error instead of a reason. The two endpoints a browser visits
 * (authorize and logout) keep their pages, since a person reads those.
 */
import type { FastifyReply } from 'fastify';

/**
 * The OpenID endpoints below `/{tenant}`: token, revocation, any other `oauth2/v2.0` path, discovery, keys,
 * userinfo. In any letter case, as the provider matches them (and as Entra does).
 */
const OAUTH_ENDPOINT = /^\/[^/?]+\/(?:oauth2\/v2\.0\/|v2\.0\/\.well-known\/|discovery\/v2\.0\/|openid\/userinfo)/i;
/** Where a person's browser is sent: those answer with pages. */
const BROWSER_ENDPOINT = /^\/[^/?]+\/oauth2\/v2\.0\/(?:authorize|logout)(?:[/?]|$)/i;

/** Whether a request to `url` (path and query) is a client's request to an OpenID endpoint, answered in OAuth's shape. */
export function isOAuthClientEndpoint(url: string): boolean {
  return OAUTH_ENDPOINT.test(url) && !BROWSER_ENDPOINT.test(url);
}

/**
 * The methods each client endpoint takes (the path below `/{tenant}`, lower case); OPTIONS is the CORS
 * preflight the provider answers. Any other method is answered 405 with these in `Allow`.
 */
const CLIENT_ENDPOINT_METHODS: ReadonlyMap<string, readonly string[]> = new Map([
  ['/oauth2/v2.0/token', ['POST', 'OPTIONS']],
  ['/oauth2/v2.0/revoke', ['POST', 'OPTIONS']],
  ['/discovery/v2.0/keys', ['GET', 'HEAD', 'OPTIONS']],
  ['/v2.0/.well-known/openid-configuration', ['GET', 'HEAD', 'OPTIONS']],
  ['/v2.0/.well-known/oauth-authorization-server', ['GET', 'HEAD', 'OPTIONS']],
  ['/openid/userinfo', ['GET', 'HEAD', 'POST']],
]);

/** The methods the client endpoint at `path` (below `/{tenant}`) takes; undefined when it is not one. */
export function clientEndpointMethods(path: string): readonly string[] | undefined {
  return CLIENT_ENDPOINT_METHODS.get(path.toLowerCase());
}

/** A method the endpoint does not take: 405 with the ones it does in `Allow` (RFC 9110 §15.5.6). */
export function sendMethodNotAllowed(reply: FastifyReply, method: string, allowed: readonly string[]): FastifyReply {
  reply.header('allow', allowed.join(', '));
  return sendOAuthError(reply, 405, 'invalid_request', `This endpoint does not take ${method.slice(0, 20)}: use ${allowed.join(' or ')}.`);
}

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_token' | 'server_error';

export function sendOAuthError(reply: FastifyReply, status: number, error: OAuthErrorCode, description: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error, error_description: description });
}

/** An error raised before the provider saw the request (a NUL in the URL, a malformed body), in OAuth's shape. */
export function sendOAuthErrorFor(reply: FastifyReply, status: number, message: string): FastifyReply {
  return status >= 500
    ? sendOAuthError(reply, 500, 'server_error', 'The server could not answer this request.')
    : sendOAuthError(reply, status, 'invalid_request', message);
}
