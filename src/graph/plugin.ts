/**
 * The Graph-compatible API at `/graph/v1.0/`: a Fastify plugin with its own error and not-found
 * handlers, so every failure under this prefix answers in Graph's error shape.
 */
import type { FastifyInstance } from 'fastify';
import { publishDirectoryEvent } from '../directory/events.js';
import type { ProviderRegistry } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { depthBoundedJsonParser } from '../platform/json-body.js';
import type { ResourceSet } from '../platform/odata/resource.js';
import { registerApplicationRoutes } from './applications.js';
import { authenticate, type Caller, cachedAppLookup } from './auth.js';
import { registerBatchRoute } from './batch.js';
import { registerDeltaRoutes } from './delta.js';
import { registerDirectoryRoleRoutes } from './directory-roles.js';
import { clientRequestId, sendGraphError } from './errors.js';
import { registerExpansions } from './expansions.js';
import { registerGroupRelationshipRoutes } from './group-relationships.js';
import { registerGroupRoutes } from './groups.js';
import type { GraphDeps, GraphFeature } from './kit.js';
import { registerManagerRoutes } from './manager.js';
import { registerMemberOfRoutes } from './member-of.js';
import { registerMetadataRoute } from './metadata.js';
import { registerOrganizationRoutes } from './organization.js';
import { registerUserRoutes } from './users.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Graph caller of this request, authenticated on first use (see GraphDeps.caller). */
    graphCaller: Promise<Caller> | null;
  }
}

export function graphPlugin(ctx: AppContext, registry: ProviderRegistry, features: GraphFeature[] = [], resources: readonly ResourceSet[] = []) {
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
    // Every route of this plugin, to tell a method the resource does not take (405) from a path it does not
    // have (400 naming the first segment no route knows).
    const routes: RouteShape[] = [];
    app.addHook('onRoute', (route) => {
      const path = route.routePath ?? route.url.slice(route.prefix.length);
      for (const method of [route.method].flat()) routes.push({ method, segments: path.split('/').slice(1) });
    });
    app.setNotFoundHandler((request, reply) => {
      sendGraphError(request, reply, unmatched(routes, request.method, request.url.replace(/^\/graph\/v1\.0/, '')), new Date(ctx.clock.now()));
    });
    // Graph answers every request with a client-request-id: the client's own, or a generated one (the request-id).
    app.addHook('onRequest', async (request, reply) => {
      if (!reply.hasHeader('client-request-id')) reply.header('client-request-id', clientRequestId(request) ?? request.id);
    });
    // Graph takes an empty body sent as application/json as no body: the Graph SDKs' `.post()` on an action
    // (restore, revokeSignInSessions, stop, applyDecisions), Graph Explorer and `curl -H 'Content-Type:
    // application/json'` send one. Fastify's JSON parser refuses it; routes that need a body answer their own 400.
    const parseJson = depthBoundedJsonParser(app.getDefaultJsonParser('error', 'error'));
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
      String(body).trim() === '' ? done(null, undefined) : parseJson(request, body as string, done),
    );
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

    registerMetadataRoute(deps, resources);
    registerUserRoutes(deps);
    registerDeltaRoutes(deps);
    registerMemberOfRoutes(deps);
    registerGroupRoutes(deps);
    registerGroupRelationshipRoutes(deps);
    registerManagerRoutes(deps);
    registerExpansions(deps);
    registerOrganizationRoutes(deps);
    registerDirectoryRoleRoutes(deps);
    registerApplicationRoutes(deps);
    registerBatchRoute(deps);
    for (const feature of features) feature(deps);
  };
}

interface RouteShape {
  method: string;
  /** The route's path split at '/': literal segments, `:param`s, or a trailing `*`. */
  segments: string[];
}

const segmentMatches = (pattern: string, segment: string) => pattern === '*' || (pattern.startsWith(':') ? segment.length > 0 : pattern === segment);

/**
 * Why no route took `url` (below the prefix): the path is a resource with other methods
 * (405, with Allow), or a segment names nothing (400 naming the first segment no route has at its place).
 */
function unmatched(routes: RouteShape[], method: string, url: string): FoyerError {
  const raw = (url.split('?')[0] ?? '').replace(/^\//, '');
  const segments = raw.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  /** How many leading segments `route` matches, and whether it matches the whole path. */
  const match = (route: RouteShape) => {
    let n = 0;
    while (n < segments.length && n < route.segments.length && segmentMatches(route.segments[n]!, segments[n]!)) {
      if (route.segments[n] === '*') return { n: segments.length, whole: true };
      n++;
    }
    return { n, whole: n === segments.length && n === route.segments.length };
  };
  const allowed = new Set<string>();
  let known = 0;
  for (const route of routes) {
    const { n, whole } = match(route);
    if (whole) allowed.add(route.method);
    known = Math.max(known, n);
  }
  if (allowed.size > 0 && !allowed.has(method)) {
    const allow = [...allowed].sort().join(', ');
    return new FoyerError(
      'request.method_not_allowed',
      `Specified HTTP method '${method}' is not allowed for the segment '${segments.at(-1)}'; it takes ${allow}.`,
    ).withHeader('allow', allow);
  }
  return new FoyerError('request.unknown_segment', `Resource not found for the segment '${segments[Math.min(known, segments.length - 1)]}'.`);
}
