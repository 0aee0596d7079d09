/**
 * Each tenant's number of live users and of groups, as `directory_object_counts` holds it: the database
 * keeps it up to date by trigger on every insert, delete and soft deletion (migrations/0011-object-counts.ts),
 * so `GET /users/$count` without a filter reads one row instead of counting an index of the whole tenant.
 */
import type { Executor } from '../platform/storage/database.js';

/** How many users (not deleted) or groups the tenant has; a tenant without a row has none. */
export async function liveCount(db: Executor, tenantId: string, objectType: 'user' | 'group'): Promise<number> {
  const row = await db
    .selectFrom('directory_object_counts')
    .select('live_count')
    .where('tenant_id', '=', tenantId)
    .where('object_type', '=', objectType)
    .executeTakeFirst();
  return row ? Number(row.live_count) : 0;
}
