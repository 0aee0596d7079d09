/**
 * The Graph-compatible API at `/graph/v1.0/`: a Fastify plugin with its own error and not-found
 * handlers, so every failure under this prefix answers in Graph's error shape.
 */
import type { FastifyInstance } from 'fastify';
import { publishDirectoryEvent } from '../directory/events.js';
import type { ProviderRegistry } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { registerApplicationRoutes } from './applications.js';
import { authenticate, type Caller, cachedAppLookup } from './auth.js';
import { registerDirectoryRoleRoutes } from './directory-roles.js';
import { sendGraphError } from './errors.js';
import { registerGroupRoutes } from './groups.js';
import type { GraphDeps, GraphFeature } from './kit.js';
import { registerOrganizationRoutes } from './organization.js';
import { registerUserRoutes } from './users.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Graph caller of this request, authenticated on first use (see GraphDeps.caller). */
    graphCaller: Promise<Caller> | null;
  }
}

export function graphPlugin(ctx: AppContext, registry: ProviderRegistry, features: GraphFeature[] = []) {
  return async function graph(app: FastifyInstance): Promise<void> {
    const apps = cachedAppLookup(ctx);
    app.decorateRequest('graphCaller', null);
    const deps: GraphDeps = {
      app,
      ctx,
      registry,
      base: `${ctx.config.publicUrl}/graph/v1.0`,
      caller(request) {
        request.graphCaller ??= authenticate(ctx, registry, request, apps);
        return request.graphCaller;
      },
      tenantChanged: async (tenantId) => {
        registry.invalidate(tenantId);
        await publishDirectoryEvent(ctx, 'tenant.changed', { tenantId });
      },
    };

    app.setErrorHandler((err, request, reply) => sendGraphError(request, reply, err, new Date(ctx.clock.now())));
    app.setNotFoundHandler((request, reply) => {
      const segment = request.url.replace(/^\/graph\/v1\.0\/?/, '').split(/[/?]/)[0] ?? '';
      sendGraphError(
        request,
        reply,
        new FoyerError('request.unknown_segment', `Resource not found for the segment '${decodeURIComponent(segment)}'.`),
        new Date(ctx.clock.now()),
      );
    });
    // Graph takes JSON bodies only (the instance also parses forms, for the sign-in pages).
    app.addHook('preValidation', async (request) => {
      if (request.body === undefined || request.body === null) return;
      const type = String(request.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (type !== 'application/json') {
        throw new FoyerError('request.unsupported_media_type', 'The request body must be application/json.');
      }
    });
    // Graph answers in JSON with OData metadata level "minimal".
    app.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json') && !type.includes('odata')) {
        reply.header('content-type', 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8');
      }
      return payload;
    });

    registerUserRoutes(deps);
    registerGroupRoutes(deps);
    registerOrganizationRoutes(deps);
    registerDirectoryRoleRoutes(deps);
    registerApplicationRoutes(deps);
    for (const feature of features) feature(deps);
  };
}
