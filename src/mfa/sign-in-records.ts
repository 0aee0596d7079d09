/**
 * The sign-in log (`sign_in_records`): each interactive sign-in's outcome in the resource tenant, the
 * methods used (`amr`, RFC 8176) and Graph's `appliedConditionalAccessPolicies`, report-only ones
 * included, so an administrator can see what a policy would have done before enforcing it.
 */
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { AppliedPolicy } from './conditional-access.js';

export interface SignInRecord {
  id: string;
  createdAt: number;
  userId: string;
  appId: string | null;
  /** 0 on success, else Entra's AADSTS number (50074: strong authentication required …). */
  errorCode: number;
  failureReason: string | null;
  amr: string[];
  appliedConditionalAccessPolicies: AppliedPolicy[];
}

export async function recordSignIn(
  db: Executor,
  r: {
    tenantId: string;
    userId: string;
    appId: string | null;
    errorCode: number;
    failureReason: string | null;
    amr: string[];
    applied: AppliedPolicy[];
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('sign_in_records')
    .values({
      id: newId(),
      tenant_id: r.tenantId,
      user_id: r.userId,
      app_id: r.appId,
      created_at: r.now,
      error_code: r.errorCode,
      failure_reason: r.failureReason,
      amr: JSON.stringify(r.amr),
      applied_policies: JSON.stringify(r.applied),
    })
    .execute();
}

/** The tenant's sign-ins (or one user's), newest first. */
export async function listSignInRecords(db: Executor, tenantId: string, userId?: string): Promise<SignInRecord[]> {
  let query = db.selectFrom('sign_in_records').selectAll().where('tenant_id', '=', tenantId);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map((r) => ({
    id: r.id,
    createdAt: Number(r.created_at),
    userId: r.user_id,
    appId: r.app_id,
    errorCode: Number(r.error_code),
    failureReason: r.failure_reason,
    amr: JSON.parse(r.amr) as string[],
    appliedConditionalAccessPolicies: JSON.parse(r.applied_policies) as AppliedPolicy[],
  }));
}

/** How long sign-in records are kept (Entra keeps its sign-in logs 30 days). */
export const SIGN_IN_RECORDS_KEPT_MS = 30 * 86_400_000;

/** Housekeeping: records older than SIGN_IN_RECORDS_KEPT_MS. */
export async function purgeOldSignInRecords(ctx: AppContext): Promise<void> {
  await ctx.db.kysely
    .deleteFrom('sign_in_records')
    .where('created_at', '<', ctx.clock.now() - SIGN_IN_RECORDS_KEPT_MS)
    .execute();
}
