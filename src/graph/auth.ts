/**
 * Who is calling the Graph-compatible API, and may they do this? The tenant always comes from the
 * token's `tid`, never from the URL. An app acting as itself holds application permissions (`roles`);
 * an app acting for a person holds delegated permissions (`scp`), and then the person's directory roles
 * apply too, as in Entra: an app with `User.ReadWrite.All` still cannot create users for a person who
 * is not a User or Global Administrator.
 */
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { type Application, findApplicationByAppId } from '../directory/applications.js';
import type { Actor } from '../directory/audit-log.js';
import { findUser, listRoleIdsOf } from '../directory/users.js';
import type { ProviderRegistry } from '../oidc/index.js';
import { verifyAccessToken } from '../oidc/index.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';

export interface Caller {
  tenantId: string;
  appId: string;
  kind: 'app' | 'user';
  /** Application permissions (app) or delegated permissions (user). */
  permissions: ReadonlySet<string>;
  user?: { id: string; userType: 'Member' | 'Guest'; displayName: string; mail: string | null; userPrincipalName: string; roleIds: ReadonlySet<string> };
}

export interface AccessRule {
  /** Application permissions, any of which allows the call. */
  app: readonly string[];
  /** Delegated permissions, any of which allows the call (with `roles`, when given). */
  delegated: readonly string[];
  /** For delegated calls: the person must hold one of these directory roles. */
  roles?: readonly string[];
  /** For delegated calls: guests are refused (Entra's default guest access restriction). */
  membersOnly?: boolean;
}

/** Finds an app registration by client id (cached by the caller for a few seconds). */
export type AppLookup = (appId: string) => Promise<Application | undefined>;

/**
 * How long each process keeps an app registration it read for this API: a deleted app, and a permission
 * taken from one, stop working with the tokens it already holds within this time (as the token endpoint's
 * client cache, CLIENT_CACHE_MS; docs/api.md says 2 seconds).
 */
export const GRAPH_APP_CACHE_MS = 2000;

export function cachedAppLookup(ctx: AppContext, ttlMs = GRAPH_APP_CACHE_MS): AppLookup {
  // Timed by the app's clock, so a test can move past it without sleeping.
  const cache = new LRUCache<string, { app: Application | undefined }>({ max: 10_000, ttl: ttlMs, perf: ctx.clock, ttlResolution: 0 });
  return async (appId) => {
    const hit = cache.get(appId);
    if (hit) return hit.app;
    const app = await findApplicationByAppId(ctx.db.kysely, appId);
    cache.set(appId, { app });
    return app;
  };
}

export async function authenticate(ctx: AppContext, registry: ProviderRegistry, request: FastifyRequest, apps: AppLookup): Promise<Caller> {
  const header = request.headers.authorization;
  if (!header) throw new FoyerError('auth.missing_token', 'Access token is empty.');
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (!match) throw new FoyerError('auth.invalid_token', 'The Authorization header must be "Bearer <access token>".');
  const claims = await verifyAccessToken(ctx, registry, match[1]!);
  const app = await apps(claims.client_id);
  if (!app || app.tenantId !== claims.tid) throw new FoyerError('auth.invalid_token', 'The application that obtained this token no longer exists.');

  // A token carries the permissions the app held when it was issued; it holds only those the app still
  // holds now, so a permission taken away stops working within the cache time, not at the token's expiry.
  if (claims.idtyp === 'app' || (!claims.scp && Array.isArray(claims.roles))) {
    return { tenantId: claims.tid, appId: claims.client_id, kind: 'app', permissions: stillGranted(claims.roles ?? [], app.applicationPermissions) };
  }
  const userId = claims.oid ?? claims.sub;
  const user = userId ? await findUser(ctx.db.kysely, claims.tid, userId) : undefined;
  if (!user?.accountEnabled) {
    throw new FoyerError('auth.invalid_token', 'The user this token was issued to is disabled or no longer exists.');
  }
  const roleIds = new Set(await listRoleIdsOf(ctx.db.kysely, claims.tid, user.id));
  return {
    tenantId: claims.tid,
    appId: claims.client_id,
    kind: 'user',
    permissions: stillGranted(String(claims.scp ?? '').split(' '), app.delegatedPermissions),
    user: {
      id: user.id,
      userType: user.userType,
      displayName: user.displayName,
      mail: user.mail,
      userPrincipalName: user.userPrincipalName,
      roleIds,
    },
  };
}

/** The permissions of a token that its app is still granted (names compared as Graph does, ignoring case). */
function stillGranted(inToken: readonly unknown[], granted: readonly string[]): ReadonlySet<string> {
  const now = new Set(granted.map((p) => p.toLowerCase()));
  return new Set(inToken.filter((p): p is string => typeof p === 'string' && p !== '' && now.has(p.toLowerCase())));
}

export function authorize(caller: Caller, rule: AccessRule): void {
  const held = (names: readonly string[]) => names.some((n) => caller.permissions.has(n));
  if (caller.kind === 'app') {
    if (held(rule.app)) return;
    throw new FoyerError(
      'auth.insufficient_privileges',
      'Insufficient privileges to complete the operation.',
      `app ${caller.appId} lacks one of: ${rule.app.join(', ')}`,
    );
  }
  if (!held(rule.delegated)) {
    throw new FoyerError(
      'auth.insufficient_privileges',
      'Insufficient privileges to complete the operation.',
      `delegated token lacks one of: ${rule.delegated.join(', ')}`,
    );
  }
  if (rule.membersOnly && caller.user?.userType === 'Guest') {
    throw new FoyerError('auth.insufficient_privileges', 'Insufficient privileges to complete the operation.', 'guests cannot enumerate the directory');
  }
  if (rule.roles && !rule.roles.some((r) => caller.user?.roleIds.has(r))) {
    throw new FoyerError(
      'auth.insufficient_privileges',
      'Insufficient privileges to complete the operation.',
      `user ${caller.user?.id} holds none of the directory roles ${rule.roles.join(', ')}`,
    );
  }
}

/** The caller as the audit log names it. */
export function actorOf(who: Caller, ipAddress: string | null): Actor {
  if (who.kind === 'user') {
    const u = who.user!;
    return { kind: 'user', id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName, mail: u.mail, ipAddress };
  }
  return { kind: 'app', appId: who.appId, displayName: who.appId, ipAddress };
}
