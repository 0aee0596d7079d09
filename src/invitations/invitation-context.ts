/**
 * What every invitation of a tenant reads first (the tenant, its domains, its policies), kept a moment
 * per app, and the tenant's invitation rate limit.
 */
import { LRUCache } from 'lru-cache';
import { type InvitationPolicies, readInvitationPolicies } from '../directory/policies.js';
import { listTenantDomains, requireTenant, type Tenant, type TenantDomain } from '../directory/tenants.js';
import { type AppContext, service } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { hit } from '../platform/rate-limit.js';

export interface InvitationContext {
  tenant: Tenant;
  domains: TenantDomain[];
  policies: InvitationPolicies;
}

/**
 * How long a process reuses a tenant's settings for invitations. Every invitation needs them; reading
 * them each time was a fifth of the cost of an invitation. A change made through this process applies
 * at once (see forgetInvitationContext); one made through another process within this many ms.
 */
export const INVITATION_CONTEXT_TTL_MS = 2000;
const CONTEXTS = Symbol('invitation contexts');

/** This app's copies of tenants' invitation settings (on the context: two apps in one process share none). */
function contextCache(ctx: Pick<AppContext, 'services'>): LRUCache<string, InvitationContext> {
  return service(ctx, CONTEXTS, () => new LRUCache<string, InvitationContext>({ max: 1000, ttl: INVITATION_CONTEXT_TTL_MS }));
}

/** Drops this app's copy of a tenant's invitation settings (after a policy or branding change). */
export function forgetInvitationContext(ctx: Pick<AppContext, 'services'>, tenantId: string): void {
  contextCache(ctx).delete(tenantId);
}

export async function loadInvitationContext(ctx: AppContext, tenantId: string): Promise<InvitationContext> {
  const cache = contextCache(ctx);
  const hit = cache.get(tenantId);
  if (hit) return hit;
  const [tenant, domains, policies] = await Promise.all([
    requireTenant(ctx.db.kysely, tenantId),
    listTenantDomains(ctx.db.kysely, tenantId),
    readInvitationPolicies(ctx.db.kysely, tenantId),
  ]);
  const loaded = { tenant, domains, policies };
  cache.set(tenantId, loaded);
  return loaded;
}

/**
 * Counts a request against the tenant's invitation limit (the API's; the command line has none) and
 * refuses it past the limit. Every request counts, before any other work, as Graph counts them. The
 * count is its own short transaction: inside the invitation's, its row would stay locked on PostgreSQL
 * until that commits, queueing the tenant's invitations one behind the other.
 */
export async function countInvitationRequest(ctx: AppContext, tenantId: string, limit: { limit: number; windowMs: number }): Promise<void> {
  const window = await ctx.db.transaction((trx) => hit(trx, `invitations:${tenantId}`, limit.windowMs, ctx.clock.now()));
  if (window.hits > limit.limit) {
    throw new FoyerError(
      'request.throttled',
      `Too many invitation requests for this organization: at most ${limit.limit} per ${limit.windowMs / 1000} seconds. Retry after the time in Retry-After.`,
    ).withHeader('retry-after', String(Math.max(1, Math.ceil(window.retryAfterMs / 1000))));
  }
}
