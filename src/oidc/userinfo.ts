/**
 * The userinfo endpoint (`/{tenant}/openid/userinfo`). Access tokens are Graph JWTs that the provider
 * does not store, so Foyer answers here itself, as Entra answers userinfo with a Graph token. The claims
 * returned depend on the scopes the token carries (OpenID Connect Core §5.4). A token of an app that has
 * been deleted is refused, as the Graph API refuses it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findApplicationByAppId } from '../directory/applications.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { verifyAccessToken } from './access-tokens.js';
import { accountClaims } from './accounts.js';
import type { ProviderRegistry } from './registry.js';

export function registerUserinfo(app: FastifyInstance, ctx: AppContext, registry: ProviderRegistry): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const fail = (status: number, error: string, description: string) =>
      reply
        .code(status)
        .header('www-authenticate', `Bearer error="${error}", error_description="${description}"`)
        .header('cache-control', 'no-store')
        .send({ error, error_description: description });
    const { tenant: segment } = request.params as { tenant: string };
    const tenant = await registry.tenant(segment);
    if (!tenant) return fail(404, 'invalid_request', 'unknown tenant');
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) return fail(401, 'invalid_token', 'no access token provided');
    let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
    try {
      claims = await verifyAccessToken(ctx, registry, match[1]!);
    } catch (err) {
      if (err instanceof FoyerError) return fail(401, 'invalid_token', err.message.replace(/"/g, "'"));
      throw err;
    }
    if (claims.tid !== tenant.id || claims.idtyp === 'app' || !claims.sub) {
      return fail(401, 'invalid_token', 'the token does not belong to a person of this tenant');
    }
    const client = claims.client_id ? await findApplicationByAppId(ctx.db.kysely, claims.client_id) : undefined;
    if (client?.tenantId !== tenant.id) return fail(401, 'invalid_token', 'the application that obtained this token no longer exists');
    const scopes = new Set(String(claims.scp ?? '').split(' '));
    if (!scopes.has('openid')) return fail(403, 'insufficient_scope', 'the openid scope is required');
    const account = await accountClaims(ctx.db.kysely, ctx.config.publicUrl, tenant.id, claims.sub);
    if (!account) return fail(401, 'invalid_token', 'the account is disabled or no longer exists');
    const out: Record<string, unknown> = { sub: account.sub, tid: account.tid, oid: account.oid };
    if (scopes.has('profile')) {
      Object.assign(out, {
        name: account.name,
        preferred_username: account.preferred_username,
        given_name: account.given_name,
        family_name: account.family_name,
      });
    }
    if (scopes.has('email') && account.email) out.email = account.email;
    return reply.header('cache-control', 'no-store').send(out);
  };
  app.get('/:tenant/openid/userinfo', handler);
  app.post('/:tenant/openid/userinfo', handler);
}
