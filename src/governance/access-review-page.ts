/**
 * What the review page (web/reviews/) needs from an instance: the review as one reviewer sees it (only the
 * guests they review: a sponsor sees their own sponsored guests), and recording their decision. The page
 * has found the signed-in person; these functions make sure that person reviews the item.
 */
import type { Actor } from '../directory/audit-log.js';
import type { User } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { Executor } from '../platform/storage/database.js';
import { type Decision, findDecision, findDefinition, findInstance, type InstanceStatus, listDecisions, recordDecision } from './access-review-store.js';

export interface ReviewPageItem {
  id: string;
  displayName: string;
  mail: string | null;
  userPrincipalName: string;
  /** Epoch ms; null: never signed in. */
  lastSignInAt: number | null;
  decision: Decision;
  justification: string | null;
}

export interface ReviewForReviewer {
  reviewName: string;
  description: string | null;
  endAt: number;
  status: InstanceStatus;
  justificationRequiredOnApproval: boolean;
  items: ReviewPageItem[];
}

/** The instance as `reviewer` sees it; undefined when there is no such instance in the tenant. */
export async function reviewForReviewer(db: Executor, tenantId: string, instanceId: string, reviewerId: string): Promise<ReviewForReviewer | undefined> {
  const instance = await findInstance(db, tenantId, instanceId);
  const definition = instance ? await findDefinition(db, tenantId, instance.definitionId) : undefined;
  if (!instance || !definition) return undefined;
  const items = (await listDecisions(db, tenantId, instance.id))
    .filter((d) => d.reviewerIds.includes(reviewerId))
    .map((d) => ({
      id: d.id,
      displayName: d.principal.displayName,
      mail: d.principal.mail,
      userPrincipalName: d.principal.userPrincipalName,
      lastSignInAt: d.lastSignInAt,
      decision: d.decision,
      justification: d.justification,
    }));
  return {
    reviewName: definition.displayName,
    description: definition.descriptionForReviewers,
    endAt: instance.endAt,
    status: instance.status,
    justificationRequiredOnApproval: definition.settings.justificationRequiredOnApproval,
    items,
  };
}

export type ReviewerDecisionOutcome = 'recorded' | 'ended' | 'not-found' | 'justification-required';

/** Records `reviewer`'s decision on one of the guests they review, audited with them as the actor. */
export async function recordReviewerDecision(
  ctx: AppContext,
  tenantId: string,
  instanceId: string,
  decisionId: string,
  reviewer: User,
  choice: { decision: 'Approve' | 'Deny'; justification: string | null },
  ipAddress: string | null,
): Promise<ReviewerDecisionOutcome> {
  const instance = await findInstance(ctx.db.kysely, tenantId, instanceId);
  const definition = instance ? await findDefinition(ctx.db.kysely, tenantId, instance.definitionId) : undefined;
  const item = instance ? await findDecision(ctx.db.kysely, tenantId, instance.id, decisionId) : undefined;
  if (!instance || !definition || !item?.reviewerIds.includes(reviewer.id)) return 'not-found';
  if (instance.status !== 'InProgress') return 'ended';
  if (choice.decision === 'Approve' && definition.settings.justificationRequiredOnApproval && !choice.justification) return 'justification-required';
  const actor: Actor = {
    kind: 'user',
    id: reviewer.id,
    displayName: reviewer.displayName,
    userPrincipalName: reviewer.userPrincipalName,
    mail: reviewer.mail,
    ipAddress,
  };
  try {
    await recordDecision(ctx, tenantId, instance.id, item.id, choice, actor);
  } catch (err) {
    // Ended between the check and the write.
    if (err instanceof FoyerError && err.code === 'request.invalid_body') return 'ended';
    throw err;
  }
  return 'recorded';
}
