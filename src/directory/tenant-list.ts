/** Tenants in the order they were created, for the development home page's list. */
import type { Executor } from '../platform/storage/database.js';

export interface TenantSummary {
  id: string;
  displayName: string;
}

export async function listTenants(db: Executor, limit: number): Promise<TenantSummary[]> {
  const rows = await db.selectFrom('tenants').select(['id', 'display_name']).orderBy('created_at').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, displayName: r.display_name }));
}
