/**
 * App registrations: OIDC clients of a tenant, with their redirect URIs, the Graph permissions an
 * administrator granted them, and (in application-secrets.ts) their client secrets. Every change is
 * audited under Entra's activity names, in the transaction that makes it.
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { ApplicationsTable } from '../platform/storage/schema.js';
import { addClientSecret, type NewClientSecret } from './application-secrets.js';
import { type Activity, type Actor, activities, recordAudit } from './audit-log.js';
import { canonicalPermission, delegatedOnly } from './permissions.js';
import { addServicePrincipal } from './service-principals.js';

export { type ClientSecret, listClientSecrets, secretMatches } from './application-secrets.js';

export interface Application {
  id: string;
  tenantId: string;
  appId: string;
  displayName: string;
  redirectUris: string[];
  publicClient: boolean;
  applicationPermissions: string[];
  delegatedPermissions: string[];
  /** The app that created this one through Graph with Application.ReadWrite.OwnedBy, and may manage it. */
  ownerAppId: string | null;
  /** Graph's groupMembershipClaims: whether its tokens carry a `groups` claim (null or "None": no). */
  groupMembershipClaims: string | null;
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
    ownerAppId: r.owner_app_id,
    groupMembershipClaims: r.group_membership_claims ?? null,
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

function checkDisplayName(name: string | undefined): string {
  const displayName = name?.trim();
  if (!displayName || displayName.length > 256) {
    throw new FoyerError('request.invalid_body', 'The application name must be 1 to 256 characters.');
  }
  return displayName;
}

/** The rules every registration obeys, at creation and after any update. */
function checkShape(app: Pick<Application, 'publicClient' | 'redirectUris' | 'applicationPermissions'>): void {
  if (app.publicClient && app.redirectUris.length === 0) {
    throw new FoyerError('request.invalid_body', 'A public client signs people in, so it needs at least one redirect URI.');
  }
  if (app.publicClient && app.applicationPermissions.length) {
    throw new FoyerError('request.invalid_body', 'A public client has no secret, so it cannot hold application permissions.');
  }
}

export interface NewApplication {
  displayName: string;
  redirectUris?: string[];
  publicClient?: boolean;
  applicationPermissions?: string[];
  delegatedPermissions?: string[];
}

export interface CreateOptions {
  /** Who registers it (audited); the operator's command line when absent. */
  actor?: Actor;
  /** The app that registers it with Application.ReadWrite.OwnedBy becomes its owner. */
  ownerAppId?: string;
  /**
   * Give a confidential client its first secret now (the command line does, so an app works at once).
   * Graph's `POST /applications` does not: the caller adds one with `addPassword`, as in Entra.
   */
  withSecret?: boolean;
}

export interface CreatedApplication {
  application: Application;
  /** Only for confidential clients created with a secret, and only now: it is stored as a hash. */
  clientSecret?: string;
}

const CLI_ACTOR: Actor = { kind: 'cli', displayName: 'foyer command line' };

export async function createApplication(ctx: AppContext, tenantId: string, input: NewApplication, options: CreateOptions = {}): Promise<CreatedApplication> {
  const displayName = checkDisplayName(input.displayName);
  const redirectUris = [...new Set((input.redirectUris ?? []).map(checkRedirectUri))];
  const publicClient = input.publicClient === true;
  const applicationPermissions = checkPermissions(input.applicationPermissions ?? [], 'application');
  checkShape({ publicClient, redirectUris, applicationPermissions });
  const delegatedPermissions = checkPermissions(input.delegatedPermissions ?? ['User.Read'], 'delegated');
  const actor = options.actor ?? CLI_ACTOR;
  const id = newId();
  const appId = newId();
  const now = ctx.clock.now();
  const clientSecret = await ctx.db.transaction(async (trx) => {
    await trx
      .insertInto('applications')
      .values({
        id,
        tenant_id: tenantId,
        app_id: appId,
        display_name: displayName,
        display_name_lower: displayName.toLowerCase(),
        redirect_uris: JSON.stringify(redirectUris),
        public_client: publicClient ? 1 : 0,
        application_permissions: JSON.stringify(applicationPermissions),
        delegated_permissions: JSON.stringify(delegatedPermissions),
        owner_app_id: options.ownerAppId ?? null,
        created_at: now,
      })
      .execute();
    const target = { id, displayName };
    await recordAudit(trx, applicationAudit(tenantId, activities.addApplication, target, actor, now, { AppId: appId }));
    // Its instance in the tenant, which users and groups are assigned to (service-principals.ts).
    await addServicePrincipal(trx, { id, tenantId, appId, displayName }, actor, now);
    if (publicClient || options.withSecret === false) return undefined;
    const secret = await addClientSecret(trx, id, { displayName: null }, now);
    await recordAudit(trx, applicationAudit(tenantId, activities.updateApplicationSecrets, target, actor, now, { KeyId: secret.credential.keyId }));
    return secret.secretText;
  });
  const application = (await findApplicationByAppId(ctx.db.kysely, appId))!;
  return clientSecret ? { application, clientSecret } : { application };
}

export async function findApplicationByAppId(db: Executor, appId: string): Promise<Application | undefined> {
  const row = await db.selectFrom('applications').selectAll().where('app_id', '=', appId.toLowerCase()).executeTakeFirst();
  return row ? applicationFromRow(row) : undefined;
}

/**
 * The app that registered this one through Graph with Application.ReadWrite.OwnedBy, and so may manage
 * it (Graph's `owners`); none for an app registered by a person or the command line, or whose owner has
 * been deleted.
 */
export async function findOwnerApplication(db: Executor, app: Application): Promise<Application | undefined> {
  if (!app.ownerAppId) return undefined;
  const owner = await findApplicationByAppId(db, app.ownerAppId);
  return owner?.tenantId === app.tenantId ? owner : undefined;
}

/** The tenant's app with this object id (Graph's `id`), or a 404. */
export async function requireApplication(db: Executor, tenantId: string, id: string): Promise<Application> {
  const row = /^[0-9a-f-]{36}$/i.test(id)
    ? await db.selectFrom('applications').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id.toLowerCase()).executeTakeFirst()
    : undefined;
  if (!row) throw new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  return applicationFromRow(row);
}

/** The tenant's app by object id or by appId (client id): what the command line accepts. */
export async function requireApplicationByAnyId(db: Executor, tenantId: string, key: string): Promise<Application> {
  const byAppId = /^[0-9a-f-]{36}$/i.test(key) ? await findApplicationByAppId(db, key) : undefined;
  if (byAppId?.tenantId === tenantId) return byAppId;
  return requireApplication(db, tenantId, key);
}

export interface ApplicationPatch {
  displayName?: string;
  redirectUris?: string[];
  applicationPermissions?: string[];
  delegatedPermissions?: string[];
  /** Graph's groupMembershipClaims; null clears it. */
  groupMembershipClaims?: string | null;
}

/** Graph's values of groupMembershipClaims (a comma-separated list is also Graph's), in Graph's spelling. */
const GROUP_MEMBERSHIP_CLAIMS = ['None', 'SecurityGroup', 'All', 'ApplicationGroup', 'DirectoryRole'] as const;

function checkGroupMembershipClaims(value: string | null): string | null {
  if (value === null) return null;
  const parts = value.split(',').map((p) => GROUP_MEMBERSHIP_CLAIMS.find((v) => v.toLowerCase() === p.trim().toLowerCase()));
  if (parts.length === 0 || parts.some((p) => p === undefined)) {
    throw new FoyerError('request.invalid_body', `groupMembershipClaims must be one of ${GROUP_MEMBERSHIP_CLAIMS.join(', ')} (or null).`);
  }
  return [...new Set(parts)].join(',');
}

/**
 * Changes an app's name, redirect URIs or granted permissions. Whether it is a public or a confidential
 * client is fixed at registration: turning one into the other would give a secret to a native app, or
 * take PKCE-only sign-in from a server.
 */
export async function updateApplication(
  ctx: AppContext,
  tenantId: string,
  id: string,
  patch: ApplicationPatch,
  actor: Actor = CLI_ACTOR,
): Promise<Application> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    const current = await requireApplication(trx, tenantId, id);
    const next: Application = {
      ...current,
      ...(patch.displayName !== undefined ? { displayName: checkDisplayName(patch.displayName) } : {}),
      ...(patch.redirectUris !== undefined ? { redirectUris: [...new Set(patch.redirectUris.map(checkRedirectUri))] } : {}),
      ...(patch.applicationPermissions !== undefined ? { applicationPermissions: checkPermissions(patch.applicationPermissions, 'application') } : {}),
      ...(patch.delegatedPermissions !== undefined ? { delegatedPermissions: checkPermissions(patch.delegatedPermissions, 'delegated') } : {}),
      ...(patch.groupMembershipClaims !== undefined ? { groupMembershipClaims: checkGroupMembershipClaims(patch.groupMembershipClaims) } : {}),
    };
    checkShape(next);
    await trx
      .updateTable('applications')
      .set({
        display_name: next.displayName,
        display_name_lower: next.displayName.toLowerCase(),
        redirect_uris: JSON.stringify(next.redirectUris),
        application_permissions: JSON.stringify(next.applicationPermissions),
        delegated_permissions: JSON.stringify(next.delegatedPermissions),
        group_membership_claims: next.groupMembershipClaims,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', current.id)
      .execute();
    const changed = Object.keys(patch).filter((k) => patch[k as keyof ApplicationPatch] !== undefined);
    await recordAudit(
      trx,
      applicationAudit(tenantId, activities.updateApplication, next, actor, now, { AppId: next.appId, 'Modified properties': changed.join(', ') }),
    );
    return next;
  });
}

/**
 * Deletes the registration and its secrets at once (Foyer keeps no recycle bin for apps): its client id
 * stops working at the token endpoint within the client cache time, and tokens it already holds are
 * refused by the Graph API.
 */
export async function deleteApplication(ctx: AppContext, tenantId: string, id: string, actor: Actor = CLI_ACTOR): Promise<Application> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    const app = await requireApplication(trx, tenantId, id);
    await trx.deleteFrom('application_secrets').where('application_id', '=', app.id).execute();
    await trx.deleteFrom('applications').where('tenant_id', '=', tenantId).where('id', '=', app.id).execute();
    await recordAudit(trx, applicationAudit(tenantId, activities.deleteApplication, app, actor, now, { AppId: app.appId }));
    return app;
  });
}

/** Adds a client secret (Graph's addPassword); its text is returned once and stored as a hash. */
export async function addApplicationPassword(ctx: AppContext, tenantId: string, id: string, input: NewClientSecret, actor: Actor = CLI_ACTOR) {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    const app = await requireApplication(trx, tenantId, id);
    if (app.publicClient) {
      throw new FoyerError('request.invalid_body', 'A public client signs in with PKCE and no secret; register a confidential app for a client secret.');
    }
    const added = await addClientSecret(trx, app.id, input, now);
    await recordAudit(trx, applicationAudit(tenantId, activities.updateApplicationSecrets, app, actor, now, { KeyId: added.credential.keyId }));
    return added;
  });
}

/** Removes a client secret by its keyId (Graph's removePassword); it stops working within the client cache time. */
export async function removeApplicationPassword(ctx: AppContext, tenantId: string, id: string, keyId: string, actor: Actor = CLI_ACTOR): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
    const app = await requireApplication(trx, tenantId, id);
    const removed = /^[0-9a-f-]{36}$/i.test(keyId)
      ? await trx.deleteFrom('application_secrets').where('application_id', '=', app.id).where('id', '=', keyId.toLowerCase()).executeTakeFirst()
      : undefined;
    if (!removed || Number(removed.numDeletedRows) === 0) {
      throw new FoyerError('directory.not_found', `No password credential with keyId '${keyId}' exists on application '${app.id}'.`);
    }
    await recordAudit(trx, applicationAudit(tenantId, activities.updateApplicationSecrets, app, actor, now, { KeyId: keyId.toLowerCase() }));
  });
}

function applicationAudit(
  tenantId: string,
  activity: Activity,
  app: { id: string; displayName: string },
  actor: Actor,
  at: number,
  details: Record<string, string>,
) {
  return {
    tenantId,
    activity,
    category: 'ApplicationManagement' as const,
    operationType:
      activity === activities.addApplication ? ('Add' as const) : activity === activities.deleteApplication ? ('Delete' as const) : ('Update' as const),
    result: 'success' as const,
    actor,
    targets: [{ id: app.id, type: 'Application' as const, displayName: app.displayName }],
    details,
    correlationId: newId(),
    at,
  };
}
