/**
 * `GET /auditLogs/directoryAudits`: the tenant's audit events in Graph's `directoryAudit` shape, newest
 * first, filterable by time (`activityDateTime ge …`), activity name, category, result and correlation id.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Actor, AuditTarget } from '../directory/audit-log.js';
import { directoryRoles } from '../directory/roles.js';
import { type CollectionModel, encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { AuditEventsTable } from '../platform/storage/schema.js';
import { type AccessRule, authorize } from './auth.js';
import type { GraphDeps } from './index.js';

const rule: AccessRule = {
  app: ['AuditLog.Read.All'],
  delegated: ['AuditLog.Read.All'],
  // Entra: Reports Reader, Security Reader… Foyer has the administrators.
  roles: [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id],
};

const fields = [
  'id',
  'category',
  'correlationId',
  'result',
  'resultReason',
  'activityDisplayName',
  'activityDateTime',
  'loggedByService',
  'operationType',
  'initiatedBy',
  'targetResources',
  'additionalDetails',
] as const;

export const directoryAuditsCollection: CollectionModel = {
  typeName: 'microsoft.graph.directoryAudit',
  properties: {
    id: { type: 'string', ops: ['eq'] },
    activityDateTime: { type: 'datetime', ops: ['eq', 'gt', 'ge', 'lt', 'le'] },
    activityDisplayName: { type: 'string', ops: ['eq', 'ne', 'in', 'startswith'] },
    category: { type: 'string', ops: ['eq', 'ne', 'in'] },
    result: { type: 'enum', ops: ['eq', 'ne'], values: ['success', 'failure'] },
    loggedByService: { type: 'string', ops: ['eq', 'ne', 'in'] },
    correlationId: { type: 'string', ops: ['eq'] },
  },
  selectable: fields,
  defaultSelect: fields,
  sortable: ['activityDateTime'],
  integerSorts: ['activityDateTime'],
};

const columns: Record<string, ColumnRef> = {
  id: { column: 'audit_events.id', kind: 'id' },
  activityDateTime: { column: 'audit_events.activity_at', kind: 'datetime' },
  activityDisplayName: { column: 'audit_events.activity', kind: 'exact' },
  category: { column: 'audit_events.category', kind: 'exact' },
  result: { column: 'audit_events.result', kind: 'exact' },
  loggedByService: { column: 'audit_events.service', kind: 'exact' },
  correlationId: { column: 'audit_events.correlation_id', kind: 'exact' },
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

export function toDirectoryAudit(r: AuditEventsTable): Record<string, unknown> {
  const targets = JSON.parse(r.targets) as AuditTarget[];
  return {
    id: r.id,
    category: r.category,
    correlationId: r.correlation_id,
    result: r.result,
    resultReason: r.result_reason ?? '',
    activityDisplayName: r.activity,
    activityDateTime: new Date(r.activity_at).toISOString(),
    loggedByService: r.service,
    operationType: r.operation_type,
    initiatedBy: initiatedBy(JSON.parse(r.actor) as Actor),
    targetResources: targets.map((t) => ({
      id: t.id,
      displayName: t.displayName,
      type: t.type,
      userPrincipalName: t.userPrincipalName ?? null,
      groupType: null,
      modifiedProperties: [],
    })),
    additionalDetails: JSON.parse(r.details) as Array<{ key: string; value: string }>,
  };
}

export function registerAuditRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get('/auditLogs/directoryAudits', async (request) => {
    const who = await caller(request);
    authorize(who, rule);
    const params = request.query as Record<string, unknown>;
    // Newest first unless $orderby says otherwise (what people reading a log expect).
    const explicitOrder = Object.keys(params).some((k) => k.toLowerCase() === '$orderby');
    const query = parseCollectionQuery(explicitOrder ? params : { ...params, $orderby: 'activityDateTime desc' }, directoryAuditsCollection);
    const direction = query.orderBy.direction;
    const target = {
      dialect: ctx.db.dialect,
      column: (p: string) => columns[p]!,
      any: (): RawBuilder<SqlBool> => {
        throw new Error('no collections');
      },
    };
    let q = ctx.db.kysely.selectFrom('audit_events').selectAll().where('tenant_id', '=', who.tenantId);
    if (query.filter) {
      const condition = compileFilter(query.filter, target);
      q = q.where(() => condition);
    }
    if (query.after) {
      const at = Number(query.after.value);
      const id = query.after.id;
      q = q.where(() =>
        direction === 'desc'
          ? sql<SqlBool>`(activity_at < ${at} or (activity_at = ${at} and id < ${id}))`
          : sql<SqlBool>`(activity_at > ${at} or (activity_at = ${at} and id > ${id}))`,
      );
    }
    const rows = await q
      .orderBy('activity_at', direction)
      .orderBy('id', direction)
      .limit(query.top + 1)
      .execute();
    const page = rows.slice(0, query.top);
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#auditLogs/directoryAudits`,
      value: page.map((r) => {
        const full = toDirectoryAudit(r);
        return Object.fromEntries(query.select.map((k) => [k, full[k]]));
      }),
    };
    if (rows.length > query.top) {
      const last = page.at(-1)!;
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (k.toLowerCase() !== '$skiptoken' && typeof v === 'string') next.set(k, v);
      next.set('$skiptoken', encodeSkipToken('activityDateTime', last.activity_at, last.id));
      body['@odata.nextLink'] = `${base}/auditLogs/directoryAudits?${next.toString()}`;
    }
    return body;
  });
}
