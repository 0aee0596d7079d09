/**
 * `GET /auditLogs/signIns` and `GET /auditLogs/signIns/{id}`: the tenant's sign-in log in Graph's `signIn`
 * shape, newest first, filterable by time (`createdDateTime ge …`), user, app, `status/errorCode`, user type
 * and sign-in name; keyset-paged (`$top`, `@odata.nextLink`). Users' `signInActivity` is readable by the same
 * callers only (`requireSignInLogAccess`), as in Graph, where it needs AuditLog.Read.All.
 */

import { signInResource } from '../directory/resources/index.js';
import { directoryRoles } from '../directory/roles.js';
import { findSignIn, listSignIns, type SignInEntry, signInsCollection } from '../directory/sign-in-list.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { FilterNode } from '../platform/odata/filter.js';
import { type CollectionQuery, encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { type AccessRule, authorize, type Caller } from './auth.js';
import type { GraphDeps } from './kit.js';
import { entitySelect } from './query-options.js';
import { withFoyerLimits } from './resources.js';

/**
 * Who reads the sign-in log: AuditLog.Read.All, and for delegated calls the roles Entra lets read it:
 * Global Administrator, Global Reader, Security Administrator, Security Reader, Reports Reader (not User
 * Administrator).
 */
export const signInLogRule: AccessRule = {
  app: ['AuditLog.Read.All'],
  delegated: ['AuditLog.Read.All'],
  roles: [
    directoryRoles.globalAdministrator.id,
    directoryRoles.globalReader.id,
    directoryRoles.securityAdministrator.id,
    directoryRoles.securityReader.id,
    directoryRoles.reportsReader.id,
  ],
};

const names = (node: FilterNode): string[] => {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...names(node.left), ...names(node.right)];
    case 'not':
      return names(node.operand);
    case 'any':
      return [];
    default:
      return [node.property];
  }
};

/** A users query that selects, filters or sorts by `signInActivity` needs the sign-in log's permission. */
export function requireSignInLogAccess(who: Caller, query: Pick<CollectionQuery, 'select' | 'filter' | 'orderBy'>): void {
  const touches =
    query.select.includes('signInActivity') ||
    query.orderBy.property.startsWith('signInActivity/') ||
    (query.filter ? names(query.filter).some((p) => p.startsWith('signInActivity/')) : false);
  if (touches) authorize(who, signInLogRule);
}

export function toGraphSignIn(e: SignInEntry): Record<string, unknown> {
  return {
    id: e.id,
    createdDateTime: new Date(e.createdAt).toISOString(),
    userDisplayName: e.userDisplayName,
    userPrincipalName: e.userPrincipalName,
    userId: e.userId ?? '',
    userType: e.userType ? (e.userType === 'Guest' ? 'guest' : 'member') : null,
    appId: e.appId,
    appDisplayName: e.appDisplayName,
    ipAddress: e.ipAddress,
    clientAppUsed: e.clientAppUsed,
    isInteractive: e.isInteractive,
    status: { errorCode: e.errorCode, failureReason: e.failureReason ?? (e.errorCode === 0 ? null : 'Other.'), additionalDetails: null },
    homeTenantId: e.homeTenantId,
    resourceTenantId: e.resourceTenantId,
    crossTenantAccessType: e.crossTenantAccessType,
    appliedConditionalAccessPolicies: e.appliedConditionalAccessPolicies,
    conditionalAccessStatus: conditionalAccessStatus(e.appliedConditionalAccessPolicies),
  };
}

/**
 * Graph's `conditionalAccessStatus` of a sign-in, from its enforced policies' results (report-only ones do
 * not count): `failure` if any failed, else `success` if any succeeded, else `notApplied`.
 */
export function conditionalAccessStatus(policies: readonly { result: string }[]): 'success' | 'failure' | 'notApplied' {
  if (policies.some((p) => p.result === 'failure')) return 'failure';
  if (policies.some((p) => p.result === 'success')) return 'success';
  return 'notApplied';
}

const pick = (full: Record<string, unknown>, select: readonly string[]) => Object.fromEntries(select.map((k) => [k, full[k]]));

export function registerSignInLogRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get('/auditLogs/signIns', async (request) => {
    const who = await caller(request);
    authorize(who, signInLogRule);
    const params = request.query as Record<string, unknown>;
    // Newest first unless $orderby says otherwise, as Graph returns the log.
    const explicitOrder = Object.keys(params).some((k) => k.toLowerCase() === '$orderby');
    const query = withFoyerLimits(signInResource, () =>
      parseCollectionQuery(explicitOrder ? params : { ...params, $orderby: 'createdDateTime desc' }, signInsCollection),
    );
    // Graph's signIns list takes no $count; refused like the other options it does not take (not ignored).
    if (Object.keys(params).some((k) => k.toLowerCase() === '$count'))
      throw new FoyerError('request.invalid_query', "Query option '$count' is not supported on auditLogs/signIns.");
    const page = await listSignIns(ctx.db.kysely, ctx.db.dialect, who.tenantId, query);
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#auditLogs/signIns`,
      value: page.entries.map((e) => pick(toGraphSignIn(e), query.select)),
    };
    if (page.next) {
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (k.toLowerCase() !== '$skiptoken' && typeof v === 'string') next.set(k, v);
      next.set('$skiptoken', encodeSkipToken('createdDateTime', page.next.value, page.next.id));
      body['@odata.nextLink'] = `${base}/auditLogs/signIns?${next.toString()}`;
    }
    return body;
  });

  app.get('/auditLogs/signIns/:id', async (request) => {
    const who = await caller(request);
    authorize(who, signInLogRule);
    const { id } = request.params as { id: string };
    const select = withFoyerLimits(signInResource, () => entitySelect(request.query as Record<string, unknown>, signInsCollection));
    const entry = /^[0-9a-fA-F-]{36}$/.test(id) ? await findSignIn(ctx.db.kysely, who.tenantId, id) : undefined;
    if (!entry)
      throw new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    return { '@odata.context': `${base}/$metadata#auditLogs/signIns/$entity`, ...pick(toGraphSignIn(entry), select) };
  });
}
