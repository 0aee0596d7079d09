/**
 * External OpenID Connect providers a tenant trusts as the home of some domains (a partner's own IdP, a
 * social provider): Foyer is their relying party, through openid-client (certified, by the author of
 * oidc-provider), with the authorization code flow, PKCE, state and nonce. The client secret is stored
 * sealed under an instance key, since it must be presented to the provider.
 *
 * Graph exposes them as `identity/identityProviders` (External ID's `oidcIdentityProvider` shape, with
 * Foyer's `domains`).
 */
import { LRUCache } from 'lru-cache';
import * as oidc from 'openid-client';
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import { normalizeDomain } from '../directory/domains.js';
import { listTenantDomains } from '../directory/tenants.js';
import { type AppContext, service } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { seal, unseal } from '../platform/instance-keys.js';
import type { Executor } from '../platform/storage/database.js';
import type { IdentityProvidersTable } from '../platform/storage/schema.js';
import { assertProviderCallable, issuerProblem, PROVIDER_TIMEOUT_SECONDS, providerFetch, recordProviderFailure } from './provider-fetch.js';

export interface ExternalProvider {
  id: string;
  tenantId: string;
  displayName: string;
  issuer: string;
  clientId: string;
  scope: string;
  domains: string[];
  createdAt: number;
}

function fromRow(r: IdentityProvidersTable): ExternalProvider {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    displayName: r.display_name,
    issuer: r.issuer,
    clientId: r.client_id,
    scope: r.scope,
    domains: JSON.parse(r.domains) as string[],
    createdAt: r.created_at,
  };
}

export async function listExternalProviders(db: Executor, tenantId: string): Promise<ExternalProvider[]> {
  const rows = await db.selectFrom('identity_providers').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
  return rows.map(fromRow);
}

export async function findExternalProvider(db: Executor, tenantId: string, id: string): Promise<ExternalProvider | undefined> {
  const row = await db.selectFrom('identity_providers').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export interface NewExternalProvider {
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scope?: string;
  domains: string[];
}

/** Stores the provider and its audit event in one transaction. */
export async function createExternalProvider(ctx: AppContext, tenantId: string, input: NewExternalProvider, actor: Actor): Promise<ExternalProvider> {
  const issuer = input.issuer.trim().replace(/\/+$/, '');
  const problem = issuerProblem(issuer, ctx.config);
  if (problem) throw new FoyerError('request.invalid_body', `issuer '${input.issuer.slice(0, 200)}' ${problem}`);
  const domains = [
    ...new Set(
      input.domains.map((d, i) => {
        const wildcard = d.trim().startsWith('*.');
        const domain = normalizeDomain(wildcard ? d.trim().slice(2) : d);
        if (!domain) throw new FoyerError('request.invalid_body', `domains[${i}] '${d.slice(0, 100)}' is not a domain name or a *.domain wildcard.`);
        return wildcard ? `*.${domain}` : domain;
      }),
    ),
  ];
  const own = (await listTenantDomains(ctx.db.kysely, tenantId)).find((d) => domains.includes(d.domain));
  if (own) throw new FoyerError('request.invalid_body', `'${own.domain}' is a verified domain of this tenant: its people are members, not guests.`);
  const scope = (input.scope ?? 'openid profile email').trim();
  if (!scope.split(/\s+/).includes('openid')) throw new FoyerError('request.invalid_body', "scope must include 'openid'.");
  const now = ctx.clock.now();
  const row: IdentityProvidersTable = {
    id: newId(),
    tenant_id: tenantId,
    display_name: input.displayName.trim(),
    issuer,
    client_id: input.clientId,
    client_secret: input.clientSecret ? await seal(ctx, input.clientSecret) : null,
    scope,
    domains: JSON.stringify(domains),
    created_at: now,
  };
  const created = fromRow(row);
  await ctx.db.transaction(async (trx) => {
    await trx.insertInto('identity_providers').values(row).execute();
    await recordAudit(trx, auditEvent(tenantId, activities.addIdentityProvider, created, actor, now));
  });
  return created;
}

function auditEvent(
  tenantId: string,
  activity: typeof activities.addIdentityProvider | typeof activities.deleteIdentityProvider,
  p: ExternalProvider,
  actor: Actor,
  at: number,
) {
  return {
    tenantId,
    activity,
    category: 'Policy' as const,
    operationType: activity === activities.addIdentityProvider ? ('Add' as const) : ('Delete' as const),
    result: 'success' as const,
    actor,
    targets: [{ id: p.id, type: 'Policy' as const, displayName: p.displayName }],
    details: { issuer: p.issuer, domains: p.domains.join(' ') },
    correlationId: newId(),
    at,
  };
}

/** Deletes the provider (guests bound to it can no longer sign in until reset) and audits it; false if absent. */
export async function deleteExternalProvider(ctx: AppContext, tenantId: string, id: string, actor: Actor): Promise<ExternalProvider | undefined> {
  return ctx.db.transaction(async (trx) => {
    const found = await findExternalProvider(trx, tenantId, id);
    if (!found) return undefined;
    await trx.deleteFrom('identity_providers').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await recordAudit(trx, auditEvent(tenantId, activities.deleteIdentityProvider, found, actor, ctx.clock.now()));
    return found;
  });
}

/** Each provider's discovered configuration, per app (a provider's keys and endpoints change rarely). */
const CONFIGURATIONS = Symbol('external provider configurations');

async function configurationFor(ctx: AppContext, provider: ExternalProvider): Promise<oidc.Configuration> {
  // Not an http issuer in production; not a provider that failed a moment ago (a guest flow must not be a
  // way to hammer a host).
  assertProviderCallable(ctx, provider.issuer);
  const configurations = service(ctx, CONFIGURATIONS, () => new LRUCache<string, Promise<oidc.Configuration>>({ max: 500, ttl: 10 * 60_000 }));
  const key = `${provider.id}:${provider.issuer}:${provider.clientId}`;
  let config = configurations.get(key);
  if (!config) {
    config = (async () => {
      const row = await ctx.db.kysely.selectFrom('identity_providers').select('client_secret').where('id', '=', provider.id).executeTakeFirstOrThrow();
      const secret = row.client_secret ? await unseal(ctx, row.client_secret) : undefined;
      // Every request openid-client makes for this provider (discovery, keys, token, userinfo) goes
      // through providerFetch: address policy, https in production, timeout, size limit.
      const insecure = provider.issuer.startsWith('http:') && ctx.config.mode !== 'production';
      return oidc.discovery(new URL(provider.issuer), provider.clientId, undefined, secret ? oidc.ClientSecretBasic(secret) : oidc.None(), {
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        [oidc.customFetch]: providerFetch(ctx, provider.issuer),
        timeout: PROVIDER_TIMEOUT_SECONDS,
      });
    })();
    config.catch((err) => {
      configurations.delete(key);
      recordProviderFailure(ctx, provider.issuer, err);
    });
    configurations.set(key, config);
  }
  return config.catch((err) => {
    throw new Error(`OpenID discovery of ${provider.issuer} failed`, { cause: err });
  });
}

export interface PendingAuthorization {
  state: string;
  nonce: string;
  verifier: string;
}

export async function beginExternalSignIn(
  ctx: AppContext,
  provider: ExternalProvider,
  redirectUri: string,
  loginHint: string,
  forceLogin: boolean,
): Promise<{ url: string; pending: PendingAuthorization }> {
  const config = await configurationFor(ctx, provider);
  const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: provider.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    login_hint: loginHint,
    ...(forceLogin ? { prompt: 'login' } : {}),
  });
  return { url: url.toString(), pending };
}

export interface ExternalIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  amr: string[];
}

/** Redeems the code the provider sent back and validates its ID token (signature, issuer, audience, nonce). */
export async function finishExternalSignIn(
  ctx: AppContext,
  provider: ExternalProvider,
  callbackUrl: URL,
  pending: PendingAuthorization,
): Promise<ExternalIdentity> {
  const config = await configurationFor(ctx, provider);
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: pending.verifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  let email = typeof claims.email === 'string' ? claims.email : null;
  let verified = claims.email_verified;
  if (!email && tokens.access_token) {
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => undefined);
    if (info && typeof info.email === 'string') {
      email = info.email;
      verified = info.email_verified;
    }
  }
  return {
    issuer: String(claims.iss),
    subject: claims.sub,
    email,
    // A provider that does not say is believed (the tenant chose to trust it, and the address must
    // still equal the invited one); one that says `false` is not.
    emailVerified: verified !== false,
    name: typeof claims.name === 'string' ? claims.name : null,
    // Passed on as the provider stated it; nothing is claimed when it states nothing.
    amr: Array.isArray(claims.amr) ? (claims.amr as unknown[]).filter((a): a is string => typeof a === 'string').slice(0, 5) : [],
  };
}
