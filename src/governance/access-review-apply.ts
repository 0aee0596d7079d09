/**
 * Applying an access review's decisions, one at a time, and the deletion of denied guests once their days
 * have passed (access-review-run.ts calls these from the housekeeping run and Graph's applyDecisions).
 */
import { deleteDeniedGuest, reviewedGuestState } from '../directory/access-review-population.js';
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import { updateUser } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { decisionFromRow, findDecision, type ReviewDecision, type ReviewInstance, reviewAudit } from './access-review-store.js';

/** Who applies decisions and deletes denied guests in the audit log, as Entra's "Access reviews". */
export const REVIEW_SYSTEM: Actor = { kind: 'system', displayName: 'Access reviews' };

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 100;

/**
 * Applies one decision. A Deny disables the person only while they are still a guest (one made a member
 * since is not this review's to judge: AppliedSuccessfullyButObjectNotFound), and keeps their change
 * marker for the deletion's check. The decision is marked applied only as it was read: should it have
 * changed meanwhile (a reviewer's decision locks the instance first, so none can once it ended), it is
 * read again and applied as it now is (a guest this run disabled for the earlier Deny is enabled again).
 */
export async function applyDecision(ctx: AppContext, instance: ReviewInstance, deleteAfterDays: number, first: ReviewDecision): Promise<void> {
  let decision: ReviewDecision | undefined = first;
  let disabledHere = false;
  for (let attempt = 0; decision && decision.appliedAt === null && attempt < 3; attempt++) {
    const now = ctx.clock.now();
    let result = 'AppliedSuccessfully';
    let changeSeq: number | null = null;
    if (decision.decision === 'Deny') {
      const state = await reviewedGuestState(ctx.db.kysely, instance.tenantId, decision.principal.id);
      if (state?.userType !== 'Guest') result = 'AppliedSuccessfullyButObjectNotFound';
      else {
        // Disabled first, then marked: a crash between leaves it to be applied again, which changes nothing.
        try {
          await updateUser(ctx, instance.tenantId, decision.principal.id, { accountEnabled: false });
          disabledHere = state.accountEnabled;
          changeSeq = (await reviewedGuestState(ctx.db.kysely, instance.tenantId, decision.principal.id))?.changeSeq ?? null;
        } catch (err) {
          if (!(err instanceof FoyerError)) throw err;
          result = err.code === 'directory.not_found' ? 'AppliedSuccessfullyButObjectNotFound' : 'AppliedWithUnknownFailure';
          if (result === 'AppliedWithUnknownFailure') ctx.log.warn({ err, decisionId: decision.id }, 'access review: could not disable a denied guest');
        }
      }
    } else if (disabledHere) {
      await updateUser(ctx, instance.tenantId, decision.principal.id, { accountEnabled: true }).catch((err: unknown) => {
        if (!(err instanceof FoyerError)) throw err;
      });
      disabledHere = false;
    }
    const deleteDue = decision.decision === 'Deny' && result === 'AppliedSuccessfully' && changeSeq !== null ? now + deleteAfterDays * DAY_MS : null;
    const read = decision;
    const marked = await ctx.db.transaction(async (trx) => {
      const done = await trx
        .updateTable('access_review_decisions')
        .set({ applied_at: now, apply_result: result, delete_due_at: deleteDue, principal_change_seq: deleteDue === null ? null : changeSeq })
        .where('id', '=', read.id)
        .where('applied_at', 'is', null)
        .where('decision', '=', read.decision)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return false;
      if (read.decision !== 'Deny') return true;
      const target = {
        id: read.principal.id,
        type: 'User' as const,
        displayName: read.principal.displayName,
        userPrincipalName: read.principal.userPrincipalName,
      };
      await recordAudit(
        trx,
        reviewAudit(instance.tenantId, activities.applyAccessReviewDecision, REVIEW_SYSTEM, target, now, {
          accessReviewInstanceId: instance.id,
          decision: read.decision,
          applyResult: result,
          ...(deleteDue === null ? {} : { deleteAfter: new Date(deleteDue).toISOString() }),
        }),
      );
      return true;
    });
    if (marked) return;
    decision = await findDecision(ctx.db.kysely, instance.tenantId, instance.id, read.id);
  }
}

/**
 * Deletes the denied guests whose time has come, each only while still a guest, disabled and unchanged
 * since the apply disabled them (deleteDeniedGuest checks that in the deletion's own directory write). A
 * guest an administrator enabled again since, even if disabled once more, or made a member, or changed
 * otherwise, is kept: their deletion is called off (someone decided about them after the review).
 */
export async function deleteDueGuests(ctx: AppContext): Promise<void> {
  const now = ctx.clock.now();
  const due = await ctx.db.kysely
    .selectFrom('access_review_decisions')
    .selectAll()
    .where('delete_due_at', '<=', now)
    .where('principal_deleted_at', 'is', null)
    .orderBy('delete_due_at')
    .limit(BATCH)
    .execute();
  for (const row of due) {
    const decision = decisionFromRow(row);
    const outcome =
      row.principal_change_seq === null
        ? 'kept'
        : await deleteDeniedGuest(ctx, decision.tenantId, decision.principal.id, Number(row.principal_change_seq), REVIEW_SYSTEM).catch((err: unknown) => {
            if (!(err instanceof FoyerError)) throw err;
            ctx.log.warn({ err, decisionId: decision.id }, 'access review: could not delete a denied guest');
            return 'kept' as const;
          });
    if (outcome === 'kept') {
      await ctx.db.kysely.updateTable('access_review_decisions').set({ delete_due_at: null }).where('id', '=', decision.id).execute();
      continue;
    }
    await ctx.db.kysely
      .updateTable('access_review_decisions')
      .set({ principal_deleted_at: now })
      .where('id', '=', decision.id)
      .where('principal_deleted_at', 'is', null)
      .execute();
  }
}
