/**
 * Finds the OpenID provider for a tenant named in a URL (by id or any of its domains), building it on
 * first use and keeping the most recently used ones. A provider is rebuilt when the tenant's signing
 * keys change (`keys_version`), which every process notices within the tenant cache's few seconds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type Provider from 'oidc-provider';
import { logSignIn } from '../directory/sign-in-log.js';
import { listSigningKeys } from '../directory/signing-keys.js';
import { findTenant, type Tenant } from '../directory/tenants.js';
import type { AppContext } from '../platform/context.js';
import type { AccessTokenClaims } from './accounts.js';
import type { ProviderViews } from './provider.js';

/** What the provider's grant events carry that the sign-in log reads. */
interface AppGrantContext {
  ip?: string;
  oidc?: { params?: Record<string, unknown>; client?: { clientId: string } };
}

export interface TenantProvider {
  tenant: Tenant;
  provider: Provider;
  callback: (req: IncomingMessage, res: ServerResponse) => void;
  /** Public keys, for verifying tokens this tenant issued. */
  jwks: JSONWebKeySet;
  /** The same keys, imported once for verifying. */
  keySet: JWTVerifyGetKey;
  /**
   * Access tokens already verified against these keys, until they expire: a script calls Graph many
   * times with one token, and its RS256 signature need not be checked every time.
   */
  verifiedTokens: LRUCache<string, AccessTokenClaims>;
}

const TENANT_CACHE_MS = 5000;

/**
 * The provider library is loaded on first use, not when this module is: the admin commands import the
 * features (and so this folder) but never serve OpenID, and the library prints a runtime warning on
 * standard error as it loads, which every `foyer tenant …` call would otherwise show.
 */
const loadProviderModule = () => import('./provider.js');

export class ProviderRegistry {
  /**
   * Loads the OpenID provider library now, before the first request, and returns the warnings it
   * printed while loading (on Node.js 20: "Unsupported runtime"), so `foyer start` can put them in its
   * JSON log once instead of on standard error. Nothing is captured if the library is already loaded.
   */
  static async loadLibrary(): Promise<string[]> {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    };
    try {
      await loadProviderModule();
    } finally {
      console.warn = original;
    }
    return warnings;
  }

  /** Tenants by id or domain, for a few seconds; a miss is cached too. */
  private readonly tenants = new LRUCache<string, { tenant: Tenant | undefined }>({ max: 10_000, ttl: TENANT_CACHE_MS });
  private readonly providers = new Map<string, TenantProvider>();
  private readonly building = new Map<string, Promise<TenantProvider>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly cookieKeys: string[],
    private readonly views: ProviderViews,
  ) {}

  /** The tenant for an id or domain, cached for a few seconds (a miss is cached too). */
  async tenant(segment: string): Promise<Tenant | undefined> {
    const key = segment.toLowerCase();
    const hit = this.tenants.get(key);
    if (hit) return hit.tenant;
    const tenant = await findTenant(this.ctx.db.kysely, key);
    this.tenants.set(key, { tenant });
    return tenant;
  }

  async resolve(segment: string): Promise<TenantProvider | undefined> {
    const tenant = await this.tenant(segment);
    return tenant ? this.forTenant(tenant) : undefined;
  }

  async forTenant(tenant: Tenant): Promise<TenantProvider> {
    const existing = this.providers.get(tenant.id);
    if (existing && existing.tenant.keysVersion === tenant.keysVersion) {
      // Least recently used goes first: re-insert to move to the end. The entry keeps its identity
      // (access-tokens.ts caches imported keys per entry).
      existing.tenant = tenant;
      this.providers.delete(tenant.id);
      this.providers.set(tenant.id, existing);
      return existing;
    }
    const key = `${tenant.id}:${tenant.keysVersion}`;
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.build(tenant).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private readonly rechecked = new Map<string, number>();

  /**
   * Reads the tenant row again (at most once a second per tenant), so a key rotation made by another
   * process is seen at once when a token names a key this process does not know yet. The provider is
   * rebuilt only if the keys really changed.
   */
  async recheck(tenantId: string): Promise<TenantProvider | undefined> {
    const now = this.ctx.clock.now();
    if (now - (this.rechecked.get(tenantId) ?? 0) >= 1000) {
      this.rechecked.set(tenantId, now);
      this.tenants.delete(tenantId.toLowerCase());
    }
    return this.resolve(tenantId);
  }

  /** Forgets cached tenants and providers (after a change made in this process, e.g. key rotation). */
  invalidate(tenantId?: string): void {
    this.tenants.clear();
    if (tenantId) this.providers.delete(tenantId);
    else this.providers.clear();
  }

  private async build(tenant: Tenant): Promise<TenantProvider> {
    const keys = await listSigningKeys(this.ctx, tenant.id, this.ctx.clock.now());
    if (keys.length === 0) throw new Error(`tenant ${tenant.id} has no signing key`);
    const { createTenantProvider } = await loadProviderModule();
    const provider = createTenantProvider(this.ctx, { tenantId: tenant.id, keys, cookieKeys: this.cookieKeys, views: this.views });
    if (this.views.signedOut) {
      const signedOut = this.views.signedOut;
      provider.on('end_session.success', (koa: Parameters<typeof signedOut>[0]) => {
        signedOut(koa).catch((err: unknown) => this.ctx.log.error({ err }, 'ending the browser session failed'));
      });
    }
    provider.on('server_error', (_koa: unknown, err: unknown) => this.ctx.log.error({ err, tenant: tenant.id }, 'oidc provider error'));
    // An app's own token (client credentials) is a non-interactive sign-in of the app, in the sign-in log.
    // Only for a client of this tenant (oidc-provider sets `oidc.client` once it has found it, before
    // checking its secret): an unknown client_id is whatever an unauthenticated caller typed, and logging
    // it would let anyone fill a tenant's log. Entra logs 700016 there; without an app there is nothing
    // to attribute the entry to, so Foyer logs nothing.
    const appSignIn = (koa: AppGrantContext, errorCode: number) => {
      if (koa.oidc?.params?.grant_type !== 'client_credentials') return;
      const appId = koa.oidc.client?.clientId;
      if (!appId) return;
      logSignIn(this.ctx, { tenantId: tenant.id, userId: null, appId, ipAddress: koa.ip ?? null, isInteractive: false, errorCode });
    };
    provider.on('grant.success', (koa: AppGrantContext) => appSignIn(koa, 0));
    provider.on('grant.error', (koa: AppGrantContext, err: { error?: string }) => {
      if (err?.error === 'invalid_client') appSignIn(koa, 7000215);
    });
    const jwks = { keys: keys.map((k) => publicOnly(k.publicJwk)) };
    const entry: TenantProvider = {
      tenant,
      provider,
      callback: provider.callback() as TenantProvider['callback'],
      jwks,
      keySet: createLocalJWKSet(jwks),
      verifiedTokens: new LRUCache({ max: 10_000 }),
    };
    this.providers.set(tenant.id, entry);
    while (this.providers.size > this.ctx.config.providerCacheSize) {
      const oldest = this.providers.keys().next().value as string;
      this.providers.delete(oldest);
    }
    return entry;
  }
}

function publicOnly(jwk: JWK): JWK {
  const { kty, n, e, crv, x, y, kid, alg, use } = jwk;
  return Object.fromEntries(Object.entries({ kty, n, e, crv, x, y, kid, alg, use }).filter(([, v]) => v !== undefined)) as JWK;
}
