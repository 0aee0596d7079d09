/** Listing a tenant's app registrations with OData (`$filter` on `displayName` and `appId`, `$top`, paging). */
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { collectionModel } from '../platform/odata/resource.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import { type Application, applicationFromRow } from './applications.js';
import { applicationResource } from './resources/application.js';

/** What `$filter`, `$select` and `$orderby` take on apps, from the `application` description. */
export const applicationsCollection: CollectionModel = collectionModel(applicationResource);

const columns: Record<string, ColumnRef> = {
  id: { column: 'applications.id', kind: 'id' },
  appId: { column: 'applications.app_id', kind: 'id' },
  displayName: { column: 'applications.display_name_lower', kind: 'lowered' },
  createdDateTime: { column: 'applications.created_at', kind: 'datetime' },
};

export interface ApplicationPage {
  applications: Application[];
  next?: { value: string; id: string };
  count?: number;
}

/** One page of the tenant's apps; `ownerAppId` limits it to the apps that app owns. */
export async function listApplications(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  query: CollectionQuery,
  ownerAppId?: string,
): Promise<ApplicationPage> {
  let base = db.selectFrom('applications').where('applications.tenant_id', '=', tenantId);
  if (ownerAppId !== undefined) base = base.where('applications.owner_app_id', '=', ownerAppId);
  if (query.filter) {
    base = base.where(
      compileFilter(query.filter, {
        dialect,
        column: (p) => columns[p]!,
        any: () => {
          throw new Error('applications have no filterable collections');
        },
      }),
    );
  }
  const byName = query.orderBy.property === 'displayName';
  const desc = query.orderBy.direction === 'desc';
  const cmp = desc ? '<' : '>';
  let page = base.selectAll('applications');
  if (query.after) {
    const { value, id } = query.after;
    page = byName
      ? page.where((eb) =>
          eb.or([
            eb('applications.display_name_lower', cmp, String(value)),
            eb.and([eb('applications.display_name_lower', '=', String(value)), eb('applications.id', cmp, id)]),
          ]),
        )
      : page.where('applications.id', cmp, id);
  }
  if (byName) page = page.orderBy('applications.display_name_lower', desc ? 'desc' : 'asc');
  page = page.orderBy('applications.id', desc ? 'desc' : 'asc');
  const rows = await page.limit(query.top + 1).execute();
  const more = rows.length > query.top;
  const visible = more ? rows.slice(0, query.top) : rows;
  const out: ApplicationPage = { applications: visible.map(applicationFromRow) };
  if (more) {
    const last = visible[visible.length - 1]!;
    out.next = { value: byName ? (last.display_name_lower ?? '') : last.id, id: last.id };
  }
  if (query.count) {
    const row = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out.count = Number(row.n);
  }
  return out;
}
