/**
 * App registrations: OIDC clients of a tenant, with their redirect URIs, client secrets (stored as SHA-256
 * hashes, shown once) and the Graph permissions an administrator granted them.
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { constantTimeEqual, newId, randomToken, sha256 } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { ApplicationsTable } from '../platform/storage/schema.js';
import { canonicalPermission, delegatedOnly } from './permissions.js';

export interface Application {
  id: string;
  tenantId: string;
  appId: string;
  displayName: string;
  redirectUris: string[];
  publicClient: boolean;
  applicationPermissions: string[];
  delegatedPermissions: string[];
  createdAt: number;
}

export function applicationFromRow(r: ApplicationsTable): Application {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    appId: r.app_id,
    displayName: r.display_name,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    publicClient: r.public_client === 1,
    applicationPermissions: JSON.parse(r.application_permissions) as string[],
    delegatedPermissions: JSON.parse(r.delegated_permissions) as string[],
    createdAt: r.created_at,
  };
}

/**
 * Redirect URIs must be absolute, without fragment, and `https` — except `http` on loopback, which
 * native and development apps need (RFC 8252 §7.3).
 */
export function checkRedirectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new FoyerError('request.invalid_body', `Redirect URI '${uri}' is not an absolute URL.`);
  }
  if (url.hash) throw new FoyerError('request.invalid_body', `Redirect URI '${uri}' must not contain a fragment.`);
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new FoyerError('request.invalid_body', `Redirect URI '${uri}' must use https (http is allowed only on localhost).`);
  }
  return uri;
}

function checkPermissions(names: string[], kind: 'application' | 'delegated'): string[] {
  const out: string[] = [];
  for (const name of names) {
    const canonical = canonicalPermission(name);
    if (!canonical) throw new FoyerError('request.invalid_body', `'${name}' is not a Graph permission Foyer knows.`);
    if (kind === 'application' && delegatedOnly.has(canonical)) {
      throw new FoyerError('request.invalid_body', `'${canonical}' is a delegated permission only; it cannot be granted to an app acting as itself.`);
    }
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}

export interface NewApplication {
  displayName: string;
  redirectUris?: string[];
  publicClient?: boolean;
  applicationPermissions?: string[];
  delegatedPermissions?: string[];
}

export interface CreatedApplication {
  application: Application;
  /** Only for confidential clients, and only now: it is stored as a hash. */
  clientSecret?: string;
}

export async function createApplication(ctx: AppContext, tenantId: string, input: NewApplication): Promise<CreatedApplication> {
  const displayName = input.displayName?.trim();
  if (!displayName || displayName.length > 256) {
    throw new FoyerError('request.invalid_body', 'The application name must be 1 to 256 characters.');
  }
  const redirectUris = [...new Set((input.redirectUris ?? []).map(checkRedirectUri))];
  const publicClient = input.publicClient === true;
  const applicationPermissions = checkPermissions(input.applicationPermissions ?? [], 'application');
  if (publicClient && redirectUris.length === 0) {
    throw new FoyerError('request.invalid_body', 'A public client signs people in, so it needs at least one redirect URI.');
  }
  if (publicClient && applicationPermissions.length) {
    throw new FoyerError('request.invalid_body', 'A public client has no secret, so it cannot hold application permissions.');
  }
  const delegatedPermissions = checkPermissions(input.delegatedPermissions ?? ['User.Read'], 'delegated');
  const id = newId();
  const appId = newId();
  const now = ctx.clock.now();
  const secret = publicClient ? undefined : randomToken(32);
  await ctx.db.transaction(async (trx) => {
    await trx
      .insertInto('applications')
      .values({
        id,
        tenant_id: tenantId,
        app_id: appId,
        display_name: displayName,
        redirect_uris: JSON.stringify(redirectUris),
        public_client: publicClient ? 1 : 0,
        application_permissions: JSON.stringify(applicationPermissions),
        delegated_permissions: JSON.stringify(delegatedPermissions),
        created_at: now,
      })
      .execute();
    if (secret) await insertSecret(trx, id, secret, now);
  });
  const application = (await findApplicationByAppId(ctx.db.kysely, appId))!;
  return secret ? { application, clientSecret: secret } : { application };
}

async function insertSecret(trx: Executor, applicationId: string, secret: string, now: number): Promise<void> {
  await trx
    .insertInto('application_secrets')
    .values({ id: newId(), application_id: applicationId, secret_hash: sha256(secret), hint: secret.slice(0, 3), created_at: now, expires_at: null })
    .execute();
}

export async function findApplicationByAppId(db: Executor, appId: string): Promise<Application | undefined> {
  const row = await db.selectFrom('applications').selectAll().where('app_id', '=', appId.toLowerCase()).executeTakeFirst();
  return row ? applicationFromRow(row) : undefined;
}

/** Hashes of the application's current (unexpired) secrets. */
export async function listSecretHashes(db: Executor, applicationId: string, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('application_secrets')
    .select('secret_hash')
    .where('application_id', '=', applicationId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
  return rows.map((r) => r.secret_hash);
}

/** Constant-time check of a presented secret against the stored hashes. */
export function secretMatches(presented: string, hashes: readonly string[]): boolean {
  const h = sha256(presented);
  let ok = false;
  for (const stored of hashes) ok = constantTimeEqual(h, stored) || ok;
  return ok;
}
