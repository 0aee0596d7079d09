/**
 * What a Graph resource is given to register its routes (`GraphDeps`), and its shape (`GraphFeature`).
 * Here, not in index.ts, so the route files and the plugin that mounts them do not import each other.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ProviderRegistry } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import type { Caller } from './auth.js';

export interface GraphDeps {
  app: FastifyInstance;
  ctx: AppContext;
  registry: ProviderRegistry;
  /** The authenticated caller of this request (verified once per request). */
  caller(request: FastifyRequest): Promise<Caller>;
  /** `{FOYER_PUBLIC_URL}/graph/v1.0` */
  base: string;
  /** Tell caches that a tenant's settings changed (publishes the directory's `tenant.changed`). */
  tenantChanged(tenantId: string): Promise<void>;
}

export type GraphFeature = (deps: GraphDeps) => void;
