/**
 * Service principals: an app registration's instance in its tenant (Graph's `servicePrincipal`), with an
 * object id of its own. Users and groups are assigned to it (app-assignments.ts), and it may require
 * assignment (`appRoleAssignmentRequired`) before anyone signs in to the app. Foyer makes one with every
 * app registration (`createApplication`) and deletes it with the app; its name is always its
 * application's, so it is read from there.
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { collectionModel } from '../platform/odata/resource.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import { type Actor, activities, recordAudit } from './audit-log.js';
import { servicePrincipalResource } from './resources/application.js';

export interface ServicePrincipal {
  id: string;
  tenantId: string;
  /** The application's object id. */
  applicationId: string;
  /** The application's client id. */
  appId: string;
  /** The application's name. */
  displayName: string;
  appRoleAssignmentRequired: boolean;
  createdAt: number;
}

/** What `$filter`, `$select` and `$orderby` take on service principals. */
export const servicePrincipalsCollection: CollectionModel = collectionModel(servicePrincipalResource);

const columns: Record<string, ColumnRef> = {
  id: { column: 'service_principals.id', kind: 'id' },
  appId: { column: 'service_principals.app_id', kind: 'id' },
  displayName: { column: 'applications.display_name_lower', kind: 'lowered' },
  appRoleAssignmentRequired: { column: 'service_principals.app_role_assignment_required', kind: 'boolean' },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function notFound(id: string): FoyerError {
  return new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

function joined(db: Executor) {
  return db
    .selectFrom('service_principals')
    .innerJoin('applications', 'applications.id', 'service_principals.application_id')
    .select([
      'service_principals.id as id',
      'service_principals.tenant_id as tenant_id',
      'service_principals.application_id as application_id',
      'service_principals.app_id as app_id',
      'service_principals.app_role_assignment_required as app_role_assignment_required',
      'service_principals.created_at as created_at',
      'applications.display_name as display_name',
      'applications.display_name_lower as display_name_lower',
    ]);
}

type Row = {
  id: string;
  tenant_id: string;
  application_id: string;
  app_id: string;
  app_role_assignment_required: number;
  created_at: number | string;
  display_name: string;
};

function fromRow(r: Row): ServicePrincipal {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    applicationId: r.application_id,
    appId: r.app_id,
    displayName: r.display_name,
    appRoleAssignmentRequired: r.app_role_assignment_required === 1,
    createdAt: Number(r.created_at),
  };
}

/**
 * Makes the service principal of a newly registered app, in the registration's transaction, and audits it
 * as Entra does ("Add service principal").
 */
export async function addServicePrincipal(
  trx: Executor,
  app: { id: string; tenantId: string; appId: string; displayName: string },
  actor: Actor,
  now: number,
): Promise<string> {
  const id = newId();
  await trx
    .insertInto('service_principals')
    .values({ id, tenant_id: app.tenantId, application_id: app.id, app_id: app.appId, app_role_assignment_required: 0, created_at: now })
    .execute();
  await recordAudit(trx, {
    tenantId: app.tenantId,
    activity: activities.addServicePrincipal,
    category: 'ApplicationManagement',
    operationType: 'Add',
    result: 'success',
    actor,
    targets: [{ id, type: 'ServicePrincipal', displayName: app.displayName }],
    details: { AppId: app.appId },
    correlationId: newId(),
    at: now,
  });
  return id;
}

/** The service principal of the app with this client id, in any tenant. */
export async function findServicePrincipalByAppId(db: Executor, appId: string): Promise<ServicePrincipal | undefined> {
  if (!GUID.test(appId)) return undefined;
  const row = await joined(db).where('service_principals.app_id', '=', appId.toLowerCase()).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The tenant's service principal with this object id, or a 404. */
export async function requireServicePrincipal(db: Executor, tenantId: string, id: string): Promise<ServicePrincipal> {
  const row = GUID.test(id)
    ? await joined(db).where('service_principals.tenant_id', '=', tenantId).where('service_principals.id', '=', id.toLowerCase()).executeTakeFirst()
    : undefined;
  if (!row) throw notFound(id);
  return fromRow(row);
}

/** The tenant's service principal of the app with this client id (Graph's `servicePrincipals(appId='…')`), or a 404. */
export async function requireServicePrincipalByAppId(db: Executor, tenantId: string, appId: string): Promise<ServicePrincipal> {
  const sp = await findServicePrincipalByAppId(db, appId);
  if (sp?.tenantId !== tenantId) throw notFound(appId);
  return sp;
}

/** The service principal of the app with this object id (Graph's application `id`), if any. */
export async function findServicePrincipalOfApplication(db: Executor, applicationId: string): Promise<ServicePrincipal | undefined> {
  const row = await joined(db).where('service_principals.application_id', '=', applicationId).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export interface ServicePrincipalPage {
  servicePrincipals: ServicePrincipal[];
  next?: { value: string; id: string };
  count?: number;
}

/** One page of the tenant's service principals (`$filter` on appId, displayName, id, appRoleAssignmentRequired; `$orderby` displayName). */
export async function listServicePrincipals(db: Executor, dialect: DialectName, tenantId: string, query: CollectionQuery): Promise<ServicePrincipalPage> {
  let base = joined(db).where('service_principals.tenant_id', '=', tenantId);
  if (query.filter) {
    base = base.where(
      compileFilter(query.filter, {
        dialect,
        column: (p) => columns[p]!,
        any: () => {
          throw new Error('service principals have no filterable collections');
        },
      }),
    );
  }
  const byName = query.orderBy.property === 'displayName';
  const desc = query.orderBy.direction === 'desc';
  const cmp = desc ? '<' : '>';
  let page = base;
  if (query.after) {
    const { value, id } = query.after;
    page = byName
      ? page.where((eb) =>
          eb.or([
            eb('applications.display_name_lower', cmp, String(value)),
            eb.and([eb('applications.display_name_lower', '=', String(value)), eb('service_principals.id', cmp, id)]),
          ]),
        )
      : page.where('service_principals.id', cmp, id);
  }
  if (byName) page = page.orderBy('applications.display_name_lower', desc ? 'desc' : 'asc');
  page = page.orderBy('service_principals.id', desc ? 'desc' : 'asc');
  const rows = await page.limit(query.top + 1).execute();
  const more = rows.length > query.top;
  const visible = more ? rows.slice(0, query.top) : rows;
  const out: ServicePrincipalPage = { servicePrincipals: visible.map(fromRow) };
  if (more) {
    const last = visible[visible.length - 1]!;
    out.next = { value: byName ? (last.display_name_lower ?? '') : last.id, id: last.id };
  }
  if (query.count) {
    const row = await base
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out.count = Number(row.n);
  }
  return out;
}

export interface ServicePrincipalPatch {
  appRoleAssignmentRequired?: boolean;
}

/** Changes whether the app requires assignment; audited as Entra's "Update service principal". */
export async function updateServicePrincipal(
  ctx: AppContext,
  tenantId: string,
  id: string,
  patch: ServicePrincipalPatch,
  actor: Actor,
): Promise<ServicePrincipal> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    const current = await requireServicePrincipal(trx, tenantId, id);
    const next = { ...current, ...(patch.appRoleAssignmentRequired !== undefined ? { appRoleAssignmentRequired: patch.appRoleAssignmentRequired } : {}) };
    await trx
      .updateTable('service_principals')
      .set({ app_role_assignment_required: next.appRoleAssignmentRequired ? 1 : 0 })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', current.id)
      .execute();
    const changed = Object.keys(patch).filter((k) => patch[k as keyof ServicePrincipalPatch] !== undefined);
    await recordAudit(trx, {
      tenantId,
      activity: activities.updateServicePrincipal,
      category: 'ApplicationManagement',
      operationType: 'Update',
      result: 'success',
      actor,
      targets: [{ id: current.id, type: 'ServicePrincipal', displayName: current.displayName }],
      details: { AppId: current.appId, 'Modified properties': changed.join(', ') },
      correlationId: newId(),
      at: now,
    });
    return next;
  });
}
