/**
 * The Graph-compatible API at `/graph/v1.0/`: a Fastify plugin with its own error and not-found
 * handlers, so every failure under this prefix answers in Graph's error shape.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ProviderRegistry } from '../oidc/registry.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { authenticate, type Caller, cachedAppLookup } from './auth.js';
import { registerDirectoryRoleRoutes } from './directory-roles.js';
import { sendGraphError } from './errors.js';
import { registerGroupRoutes } from './groups.js';
import { registerOrganizationRoutes } from './organization.js';
import { registerUserRoutes } from './users.js';

export interface GraphDeps {
  app: FastifyInstance;
  ctx: AppContext;
  registry: ProviderRegistry;
  /** The authenticated caller of this request (verified once per request). */
  caller(request: FastifyRequest): Promise<Caller>;
  /** `{FOYER_PUBLIC_URL}/graph/v1.0` */
  base: string;
  /** Tell caches that a tenant's settings changed. */
  tenantChanged(tenantId: string): void;
  /** Be told when a tenant's settings change (features with caches of their own). */
  onTenantChanged(listener: (tenantId: string) => void): void;
}

export type GraphFeature = (deps: GraphDeps) => void;

const callers = new WeakMap<FastifyRequest, Promise<Caller>>();

export function graphPlugin(ctx: AppContext, registry: ProviderRegistry, features: GraphFeature[] = []) {
  return async function graph(app: FastifyInstance): Promise<void> {
    const apps = cachedAppLookup(ctx);
    const tenantListeners: Array<(tenantId: string) => void> = [];
    const deps: GraphDeps = {
      app,
      ctx,
      registry,
      base: `${ctx.config.publicUrl}/graph/v1.0`,
      caller(request) {
        let pending = callers.get(request);
        if (!pending) {
          pending = authenticate(ctx, registry, request, apps);
          callers.set(request, pending);
        }
        return pending;
      },
      tenantChanged: (tenantId) => {
        registry.invalidate(tenantId);
        for (const listener of tenantListeners) listener(tenantId);
      },
      onTenantChanged: (listener) => void tenantListeners.push(listener),
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
    for (const feature of features) feature(deps);
  };
}
