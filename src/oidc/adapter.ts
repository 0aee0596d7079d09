/**
 * oidc-provider's storage adapter on Foyer's database, so any process on the same PostgreSQL can
 * continue a sign-in another process started. One table holds every model (sessions, interactions,
 * codes, grants, refresh tokens); rows are scoped to the tenant whose provider wrote them. The `Client`
 * model is read from app registrations instead.
 *
 * Semantics follow the library's adapter contract: `upsert` replaces, `find` returns consumed rows with
 * a truthy `consumed` (that is how a replayed code or refresh token is caught and its grant revoked),
 * expired rows are never returned, `expiresIn` is in seconds.
 */
import { LRUCache } from 'lru-cache';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { type ClientSecret, findApplicationByAppId, listClientSecrets } from '../directory/applications.js';
import type { Clock } from '../platform/clock.js';
import { sha256 } from '../platform/ids.js';
import type { Database, Executor } from '../platform/storage/database.js';

/** What a Client row carries beyond OIDC metadata, for Foyer's own decisions during token issuance. */
export interface FoyerClientExtras {
  /** The app's unexpired secrets (hashes and validity windows), checked by compareClientSecret in provider.ts. */
  foyer_secrets?: ClientSecret[];
  foyer_application_permissions: string[];
  foyer_delegated_permissions: string[];
  foyer_display_name: string;
  /** Graph's groupMembershipClaims: whether tokens carry a `groups` claim (provider.ts). */
  foyer_group_membership_claims?: string;
}

export const clientExtraProperties = [
  'foyer_secrets',
  'foyer_application_permissions',
  'foyer_delegated_permissions',
  'foyer_display_name',
  'foyer_group_membership_claims',
] as const;

/**
 * Ends everything the provider holds for each of `accounts` (a user id in a tenant): sessions, grants,
 * codes, refresh tokens. Called when the directory revokes their sign-ins: a new password, a disabled or
 * deleted account, a reset redemption. (JWT access tokens are not stored; Graph refuses those of
 * disabled or deleted users.)
 */
export async function revokeAccountArtefacts(db: Executor, accounts: ReadonlyArray<{ tenantId: string; userId: string }>): Promise<void> {
  for (const a of accounts) await db.deleteFrom('oidc_payloads').where('tenant_id', '=', a.tenantId).where('account_id', '=', a.userId).execute();
}

/**
 * How long each process keeps an app registration it read for the token endpoint: a removed secret, a
 * changed or deleted app takes effect everywhere within this time (docs/api.md says so). A secret's
 * expiry needs no wait: it is checked against its end date at every use.
 */
export const CLIENT_CACHE_MS = 2000;

export function createAdapterFactory(db: Database, clock: Clock, tenantId: string, options: { clientCacheMs?: number } = {}): (model: string) => Adapter {
  // The token endpoint looks the client up on every call; a few seconds of caching keeps that off the
  // database while a changed or deleted app still takes effect almost at once. Timed by the app's clock,
  // so a test can move past it without sleeping.
  const clients = new LRUCache<string, { value: AdapterPayload | undefined }>({
    max: 5000,
    ttl: options.clientCacheMs ?? CLIENT_CACHE_MS,
    perf: clock,
    ttlResolution: 0,
  });
  return (model: string) => (model === 'Client' ? new ClientAdapter(db, clock, tenantId, clients) : new PayloadAdapter(db, clock, tenantId, model));
}

/**
 * Ids arrive from clients (a refresh token, a code, a cookie). One with a NUL or an absurd length is
 * no id Foyer issued: answer "not found" rather than hand PostgreSQL a string it rejects.
 */
function plausibleId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 512 && !id.includes('\u0000');
}

class PayloadAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly tenantId: string,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const expiresAt = expiresIn ? this.clock.now() + expiresIn * 1000 : null;
    // The id (jti) is the bearer secret of codes, refresh tokens and sessions: keep only its hash, and
    // take it out of the stored payload; find() puts it back from the id it is asked for.
    const { jti: _jti, ...stored } = payload;
    const row = {
      tenant_id: this.tenantId,
      model: this.model,
      id: sha256(id),
      payload: JSON.stringify(stored),
      account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
      grant_id: (payload.grantId as string | undefined) ?? null,
      uid: (payload.uid as string | undefined) ?? null,
      user_code: (payload.userCode as string | undefined) ?? null,
      expires_at: expiresAt,
      consumed_at: null,
    };
    await this.db.kysely
      .insertInto('oidc_payloads')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'model', 'id']).doUpdateSet({
          payload: row.payload,
          account_id: row.account_id,
          grant_id: row.grant_id,
          uid: row.uid,
          user_code: row.user_code,
          expires_at: row.expires_at,
        }),
      )
      .execute();
  }

  private async findBy(column: 'id' | 'uid' | 'user_code', value: string, jti?: string): Promise<AdapterPayload | undefined> {
    if (!plausibleId(value)) return undefined;
    const row = await this.db.kysely
      .selectFrom('oidc_payloads')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('tenant_id', '=', this.tenantId)
      .where('model', '=', this.model)
      .where(column, '=', column === 'id' ? sha256(value) : value)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.expires_at !== null && row.expires_at <= this.clock.now()) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (jti) payload.jti = jti;
    if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
    return payload;
  }

  find(id: string) {
    return this.findBy('id', id, id);
  }
  /** Sessions only; the payload comes back without its id (the library compares account ids). */
  findByUid(uid: string) {
    return this.findBy('uid', uid);
  }
  findByUserCode(userCode: string) {
    return this.findBy('user_code', userCode);
  }

  /**
   * Marks a code or refresh token used, once. Compare-and-set: of two requests racing with the same
   * code, exactly one consumes it; the other is a replay, which revokes the whole grant (RFC 6749
   * §4.1.2, RFC 9700 §4.14) and is refused.
   */
  async consume(id: string): Promise<void> {
    // Loaded here, not at the top: the admin commands import this file (revokeAccountArtefacts) and must
    // not load the provider library, which prints a runtime warning as it loads. Already loaded here.
    const { errors } = await import('oidc-provider');
    if (!plausibleId(id)) throw new errors.InvalidGrant('grant request is invalid');
    const result = await this.db.kysely
      .updateTable('oidc_payloads')
      .set({ consumed_at: this.clock.now() })
      .where('tenant_id', '=', this.tenantId)
      .where('model', '=', this.model)
      .where('id', '=', sha256(id))
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return;
    const row = await this.db.kysely
      .selectFrom('oidc_payloads')
      .select('grant_id')
      .where('tenant_id', '=', this.tenantId)
      .where('model', '=', this.model)
      .where('id', '=', sha256(id))
      .executeTakeFirst();
    if (row?.grant_id) await this.revokeByGrantId(row.grant_id);
    throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
  }

  async destroy(id: string): Promise<void> {
    if (!plausibleId(id)) return;
    await this.db.kysely
      .deleteFrom('oidc_payloads')
      .where('tenant_id', '=', this.tenantId)
      .where('model', '=', this.model)
      .where('id', '=', sha256(id))
      .execute();
  }

  /** Removes every artefact issued under a grant, and the grant itself. */
  async revokeByGrantId(grantId: string): Promise<void> {
    if (!plausibleId(grantId)) return;
    await this.db.kysely
      .deleteFrom('oidc_payloads')
      .where('tenant_id', '=', this.tenantId)
      .where((eb) => eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', sha256(grantId))])]))
      .execute();
  }
}

/** Serves the `Client` model from the tenant's app registrations. Read-only. */
class ClientAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly tenantId: string,
    private readonly cache: LRUCache<string, { value: AdapterPayload | undefined }>,
  ) {}

  async find(clientId: string): Promise<AdapterPayload | undefined> {
    const cached = this.cache.get(clientId);
    if (cached) return cached.value;
    const value = await this.load(clientId);
    this.cache.set(clientId, { value });
    return value;
  }

  private async load(clientId: string): Promise<AdapterPayload | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(clientId)) return undefined;
    const app = await findApplicationByAppId(this.db.kysely, clientId);
    if (app?.tenantId !== this.tenantId) return undefined;
    const extras: FoyerClientExtras = {
      foyer_application_permissions: app.applicationPermissions,
      foyer_delegated_permissions: app.delegatedPermissions,
      foyer_display_name: app.displayName,
      ...(app.groupMembershipClaims ? { foyer_group_membership_claims: app.groupMembershipClaims } : {}),
    };
    const interactive = app.redirectUris.length > 0;
    const base = {
      client_id: app.appId,
      client_name: app.displayName,
      application_type: 'web' as const,
      redirect_uris: app.redirectUris,
      post_logout_redirect_uris: app.redirectUris,
      // An app without redirect URIs can only act as itself (client credentials).
      response_types: interactive ? (['code'] as const) : ([] as const),
    };
    if (app.publicClient) {
      return { ...base, ...extras, grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' };
    }
    const secrets = await listClientSecrets(this.db.kysely, app.id, this.clock.now());
    return {
      ...base,
      ...extras,
      foyer_secrets: secrets,
      // oidc-provider requires a secret on confidential clients; this is a hash, and Foyer's
      // compareClientSecret (see provider.ts) checks presented secrets against foyer_secrets.
      client_secret: secrets[0]?.hash ?? 'no-secret-configured',
      grant_types: interactive ? ['authorization_code', 'refresh_token', 'client_credentials'] : ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
    };
  }

  async upsert(): Promise<void> {
    throw new Error('clients are managed through app registrations');
  }
  async findByUid() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}
