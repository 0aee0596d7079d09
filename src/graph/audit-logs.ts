/**
 * `GET /auditLogs/directoryAudits`: the tenant's audit events in Graph's `directoryAudit` shape, newest
 * first, filterable by time (`activityDateTime ge …`), activity name, category, result and correlation id.
 * `GET /auditLogs/signIns` (and `/{id}`): the sign-in log in Graph's `signIn` shape (sign-in-logs.ts).
 */
import { auditEventsCollection, listAuditEvents, type StoredAuditEvent } from '../directory/audit-list.js';
import type { Actor } from '../directory/audit-log.js';
import { directoryRoles } from '../directory/roles.js';
import { encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { type AccessRule, authorize } from './auth.js';
import type { GraphDeps } from './kit.js';
import { registerSignInLogRoutes } from './sign-in-logs.js';

const rule: AccessRule = {
  app: ['AuditLog.Read.All'],
  delegated: ['AuditLog.Read.All'],
  // Entra: Reports Reader, Security Reader… Foyer has the administrators.
  roles: [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id],
};

function initiatedBy(actor: Actor) {
  switch (actor.kind) {
    case 'user':
      return {
        user: { id: actor.id, displayName: actor.displayName, userPrincipalName: actor.userPrincipalName, ipAddress: actor.ipAddress ?? null },
        app: null,
      };
    case 'app':
      return { user: null, app: { appId: actor.appId, displayName: actor.displayName, servicePrincipalId: null, servicePrincipalName: null } };
    case 'recipient':
      return { user: { id: null, displayName: actor.address, userPrincipalName: actor.address, ipAddress: actor.ipAddress ?? null }, app: null };
    default:
      return { user: null, app: { appId: null, displayName: actor.displayName, servicePrincipalId: null, servicePrincipalName: null } };
  }
}

export function toDirectoryAudit(e: StoredAuditEvent): Record<string, unknown> {
  return {
    id: e.id,
    category: e.category,
    correlationId: e.correlationId,
    result: e.result,
    resultReason: e.resultReason ?? '',
    activityDisplayName: e.activity,
    activityDateTime: new Date(e.at).toISOString(),
    loggedByService: e.service,
    operationType: e.operationType,
    initiatedBy: initiatedBy(e.actor),
    targetResources: e.targets.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      type: t.type,
      userPrincipalName: t.userPrincipalName ?? null,
      groupType: null,
      modifiedProperties: [],
    })),
    additionalDetails: e.details,
  };
}

export function registerAuditRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  registerSignInLogRoutes(deps);

  app.get('/auditLogs/directoryAudits', async (request) => {
    const who = await caller(request);
    authorize(who, rule);
    const params = request.query as Record<string, unknown>;
    // Newest first unless $orderby says otherwise (what people reading a log expect).
    const explicitOrder = Object.keys(params).some((k) => k.toLowerCase() === '$orderby');
    const query = parseCollectionQuery(explicitOrder ? params : { ...params, $orderby: 'activityDateTime desc' }, auditEventsCollection);
    const page = await listAuditEvents(ctx.db.kysely, ctx.db.dialect, who.tenantId, query);
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#auditLogs/directoryAudits`,
      value: page.events.map((e) => {
        const full = toDirectoryAudit(e);
        return Object.fromEntries(query.select.map((k) => [k, full[k]]));
      }),
    };
    if (page.next) {
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (k.toLowerCase() !== '$skiptoken' && typeof v === 'string') next.set(k, v);
      next.set('$skiptoken', encodeSkipToken('activityDateTime', page.next.value, page.next.id));
      body['@odata.nextLink'] = `${base}/auditLogs/directoryAudits?${next.toString()}`;
    }
    return body;
  });
}
