/**
 * Reading the sign-in log back (Graph's `auditLogs/signIns`): which properties filter and sort, the
 * keyset-paged query over a tenant's entries (OData compiled to SQL by platform/odata), and the purge
 * of entries older than the retention (`FOYER_SIGNIN_LOG_RETENTION_DAYS`).
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { AppContext } from '../platform/context.js';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { collectionModel } from '../platform/odata/resource.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import type { SignInRecordsTable } from '../platform/storage/schema.js';
import { complexTypes, signInResource } from './resources/index.js';
import type { AppliedConditionalAccessPolicy } from './sign-in-log.js';

/** What `$filter`, `$select` and `$orderby` take on the sign-in log, from `signIn`'s description. */
export const signInsCollection: CollectionModel = collectionModel(signInResource, complexTypes);

const columns: Record<string, ColumnRef> = {
  id: { column: 'sign_in_records.id', kind: 'id' },
  createdDateTime: { column: 'sign_in_records.created_at', kind: 'datetime' },
  userDisplayName: { column: 'sign_in_records.user_display_name', kind: 'text' },
  userPrincipalName: { column: 'sign_in_records.user_principal_name', kind: 'text' },
  userId: { column: 'sign_in_records.user_id', kind: 'id' },
  userType: { column: 'sign_in_records.user_type', kind: 'text' },
  appId: { column: 'sign_in_records.app_id', kind: 'id' },
  appDisplayName: { column: 'sign_in_records.app_display_name', kind: 'text' },
  ipAddress: { column: 'sign_in_records.ip_address', kind: 'exact' },
  clientAppUsed: { column: 'sign_in_records.client_app_used', kind: 'exact' },
  isInteractive: { column: 'sign_in_records.is_interactive', kind: 'boolean' },
  'status/errorCode': { column: 'sign_in_records.error_code', kind: 'exact' },
  homeTenantId: { column: 'sign_in_records.home_tenant_id', kind: 'id' },
  resourceTenantId: { column: 'sign_in_records.resource_tenant_id', kind: 'id' },
  crossTenantAccessType: { column: 'sign_in_records.cross_tenant_access_type', kind: 'exact' },
};

/** One entry of the sign-in log. */
export interface SignInEntry {
  id: string;
  createdAt: number;
  userId: string | null;
  userDisplayName: string | null;
  userPrincipalName: string | null;
  userType: 'Member' | 'Guest' | null;
  appId: string | null;
  appDisplayName: string | null;
  ipAddress: string | null;
  clientAppUsed: string | null;
  isInteractive: boolean;
  errorCode: number;
  failureReason: string | null;
  homeTenantId: string | null;
  resourceTenantId: string;
  crossTenantAccessType: string;
  amr: string[];
  appliedConditionalAccessPolicies: AppliedConditionalAccessPolicy[];
}

function entryOf(r: SignInRecordsTable): SignInEntry {
  return {
    id: r.id,
    createdAt: Number(r.created_at),
    userId: r.user_id,
    userDisplayName: r.user_display_name,
    userPrincipalName: r.user_principal_name,
    userType: r.user_type as SignInEntry['userType'],
    appId: r.app_id,
    appDisplayName: r.app_display_name,
    ipAddress: r.ip_address,
    clientAppUsed: r.client_app_used,
    isInteractive: Number(r.is_interactive) === 1,
    errorCode: Number(r.error_code),
    failureReason: r.failure_reason,
    homeTenantId: r.home_tenant_id,
    resourceTenantId: r.resource_tenant_id ?? r.tenant_id,
    crossTenantAccessType: r.cross_tenant_access_type ?? (r.user_type === 'Guest' ? 'b2bCollaboration' : 'none'),
    amr: JSON.parse(r.amr) as string[],
    appliedConditionalAccessPolicies: JSON.parse(r.applied_policies) as AppliedConditionalAccessPolicy[],
  };
}

export interface SignInPage {
  entries: SignInEntry[];
  /** Time and id of the last entry, when there may be more. */
  next?: { value: number; id: string };
}

/** A page of the tenant's sign-in log in `query`'s order (by time, then id). */
export async function listSignIns(db: Executor, dialect: DialectName, tenantId: string, query: CollectionQuery): Promise<SignInPage> {
  const direction = query.orderBy.direction;
  const target = {
    dialect,
    column: (p: string) => columns[p]!,
    any: (): RawBuilder<SqlBool> => {
      throw new Error('no collections');
    },
  };
  let q = db.selectFrom('sign_in_records').selectAll().where('tenant_id', '=', tenantId);
  if (query.filter) {
    const condition = compileFilter(emptyUserIdIsNone(query.filter), target);
    q = q.where(() => condition);
  }
  if (query.after) {
    const at = Number(query.after.value);
    const id = query.after.id;
    q = q.where(() =>
      direction === 'desc'
        ? sql<SqlBool>`(created_at < ${at} or (created_at = ${at} and id < ${id}))`
        : sql<SqlBool>`(created_at > ${at} or (created_at = ${at} and id > ${id}))`,
    );
  }
  const rows = await q
    .orderBy('created_at', direction)
    .orderBy('id', direction)
    .limit(query.top + 1)
    .execute();
  const entries = rows.slice(0, query.top).map(entryOf);
  const last = entries.at(-1);
  return rows.length > query.top && last ? { entries, next: { value: last.createdAt, id: last.id } } : { entries };
}

/**
 * An entry without a user (a name that matched no one, an app's own sign-in) shows `userId` as `''`, as
 * Graph does; so `userId eq ''` (and `in ('')`, `ne ''`) means exactly those entries, whose column is null.
 */
function emptyUserIdIsNone(node: FilterNode): FilterNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { ...node, left: emptyUserIdIsNone(node.left), right: emptyUserIdIsNone(node.right) };
    case 'not':
      return { ...node, operand: emptyUserIdIsNone(node.operand) };
    case 'compare':
      return node.property === 'userId' && node.value === '' ? { ...node, value: null } : node;
    case 'in':
      return node.property === 'userId' ? { ...node, values: node.values.map((v) => (v === '' ? null : v)) } : node;
    default:
      return node;
  }
}

/** One entry of the tenant's log, or undefined. */
export async function findSignIn(db: Executor, tenantId: string, id: string): Promise<SignInEntry | undefined> {
  const row = await db.selectFrom('sign_in_records').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id.toLowerCase()).executeTakeFirst();
  return row ? entryOf(row) : undefined;
}

/** The tenant's entries (or one user's), newest first, unpaged: for tests. */
export async function listSignInRecords(db: Executor, tenantId: string, userId?: string): Promise<SignInEntry[]> {
  let query = db.selectFrom('sign_in_records').selectAll().where('tenant_id', '=', tenantId);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(entryOf);
}

/** Housekeeping: entries older than the retention. */
export async function purgeOldSignIns(ctx: AppContext): Promise<void> {
  await ctx.db.kysely
    .deleteFrom('sign_in_records')
    .where('created_at', '<', ctx.clock.now() - ctx.config.signInLogRetentionDays * 86_400_000)
    .execute();
}
