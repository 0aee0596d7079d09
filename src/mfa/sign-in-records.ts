/**
 * The MFA feature's former entry to the sign-in log, kept for callers that have no app context at hand:
 * the log itself (`sign_in_records`) is the directory's (src/directory/sign-in-log.ts). New code calls
 * `logSignIn(ctx, …)` there, which queues the entry instead of making the sign-in wait for the write.
 */
import { writeSignInRecord } from '../directory/sign-in-log.js';
import type { Executor } from '../platform/storage/database.js';
import type { AppliedPolicy } from './conditional-access.js';

/** Writes one interactive sign-in's outcome now, through `db`. */
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
  await writeSignInRecord(db, {
    tenantId: r.tenantId,
    userId: r.userId,
    appId: r.appId,
    errorCode: r.errorCode,
    failureReason: r.failureReason,
    amr: r.amr,
    appliedConditionalAccessPolicies: r.applied,
    at: r.now,
  });
}
