/**
 * Reading the audit log back: which properties filter and sort (by Graph's `directoryAudit` names), and
 * the keyset-paged query over a tenant's events (OData compiled to SQL by platform/odata).
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { collectionModel } from '../platform/odata/resource.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import type { Actor, AuditTarget } from './audit-log.js';
import { directoryAuditResource } from './resources/audit.js';

/** What `$filter`, `$select` and `$orderby` take on the audit log, from `directoryAudit`'s description. */
export const auditEventsCollection: CollectionModel = collectionModel(directoryAuditResource);

const columns: Record<string, ColumnRef> = {
  id: { column: 'audit_events.id', kind: 'id' },
  activityDateTime: { column: 'audit_events.activity_at', kind: 'datetime' },
  activityDisplayName: { column: 'audit_events.activity', kind: 'exact' },
  category: { column: 'audit_events.category', kind: 'exact' },
  result: { column: 'audit_events.result', kind: 'exact' },
  loggedByService: { column: 'audit_events.service', kind: 'exact' },
  correlationId: { column: 'audit_events.correlation_id', kind: 'exact' },
};

/** An audit event as recorded. */
export interface StoredAuditEvent {
  id: string;
  activity: string;
  category: string;
  service: string;
  operationType: string;
  result: string;
  resultReason: string | null;
  actor: Actor;
  targets: AuditTarget[];
  details: Array<{ key: string; value: string }>;
  correlationId: string;
  at: number;
}

export interface AuditPage {
  events: StoredAuditEvent[];
  /** Time and id of the last event, when there may be more. */
  next?: { value: number; id: string };
}

/** A page of the tenant's events in `query`'s order (by time, then id). */
export async function listAuditEvents(db: Executor, dialect: DialectName, tenantId: string, query: CollectionQuery): Promise<AuditPage> {
  const direction = query.orderBy.direction;
  const target = {
    dialect,
    column: (p: string) => columns[p]!,
    any: (): RawBuilder<SqlBool> => {
      throw new Error('no collections');
    },
  };
  let q = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
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
  const events = rows.slice(0, query.top).map(
    (r): StoredAuditEvent => ({
      id: r.id,
      activity: r.activity,
      category: r.category,
      service: r.service,
      operationType: r.operation_type,
      result: r.result,
      resultReason: r.result_reason,
      actor: JSON.parse(r.actor) as Actor,
      targets: JSON.parse(r.targets) as AuditTarget[],
      details: JSON.parse(r.details) as Array<{ key: string; value: string }>,
      correlationId: r.correlation_id,
      at: r.activity_at,
    }),
  );
  const last = events.at(-1);
  return rows.length > query.top && last ? { events, next: { value: last.at, id: last.id } } : { events };
}
