/**
 * Access review definitions, their instances and the decisions in them (tables `access_review_*`):
 * storage, and the audit of every change in the change's transaction, under Entra's activity names and
 * its service "Access Reviews". Starting, ending and applying instances is in access-review-run.ts.
 */
import { type Actor, type AuditEvent, activities, recordAudit } from '../directory/audit-log.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { AccessReviewDecisionsTable, AccessReviewDefinitionsTable, AccessReviewInstancesTable } from '../platform/storage/schema.js';
import type { ReviewDefinitionInput, ReviewerSpec, ReviewScope, ReviewSettings } from './access-review-body.js';
import { firstStart } from './access-review-schedule.js';

/** A person or app as Graph's `userIdentity` names it (createdBy, reviewedBy). */
export interface ReviewIdentity {
  id: string | null;
  displayName: string;
  userPrincipalName: string | null;
}

export interface ReviewDefinition extends ReviewDefinitionInput {
  id: string;
  tenantId: string;
  createdBy: ReviewIdentity;
  createdAt: number;
  nextStartAt: number | null;
  instancesStarted: number;
}

/** Graph's instance statuses Foyer uses: Applying while an ended instance's decisions are being applied. */
export type InstanceStatus = 'InProgress' | 'Completed' | 'Applying' | 'Applied';

export interface ReviewInstance {
  id: string;
  tenantId: string;
  definitionId: string;
  startAt: number;
  endAt: number;
  status: InstanceStatus;
}

export type Decision = 'Approve' | 'Deny' | 'NotReviewed';

export interface ReviewDecision {
  id: string;
  tenantId: string;
  instanceId: string;
  principal: { id: string; displayName: string; userPrincipalName: string; mail: string | null };
  lastSignInAt: number | null;
  reviewerIds: string[];
  decision: Decision;
  justification: string | null;
  reviewedBy: ReviewIdentity | null;
  reviewedAt: number | null;
  appliedAt: number | null;
  applyResult: string;
  deleteDueAt: number | null;
  principalDeletedAt: number | null;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

function definitionFromRow(r: AccessReviewDefinitionsTable): ReviewDefinition {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    displayName: r.display_name,
    descriptionForReviewers: r.description_for_reviewers,
    scope: JSON.parse(r.scope) as ReviewScope,
    reviewers: JSON.parse(r.reviewers) as ReviewerSpec[],
    fallbackReviewers: JSON.parse(r.fallback_reviewers) as ReviewerSpec[],
    settings: JSON.parse(r.settings) as ReviewSettings,
    createdBy: JSON.parse(r.created_by) as ReviewIdentity,
    createdAt: Number(r.created_at),
    nextStartAt: num(r.next_start_at),
    instancesStarted: Number(r.instances_started),
  };
}

export function instanceFromRow(r: AccessReviewInstancesTable): ReviewInstance {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    definitionId: r.definition_id,
    startAt: Number(r.start_at),
    endAt: Number(r.end_at),
    status: r.status as InstanceStatus,
  };
}

export function decisionFromRow(r: AccessReviewDecisionsTable): ReviewDecision {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    instanceId: r.instance_id,
    principal: { id: r.principal_id, displayName: r.principal_display_name, userPrincipalName: r.principal_upn, mail: r.principal_mail },
    lastSignInAt: num(r.last_sign_in_at),
    reviewerIds: JSON.parse(r.reviewer_ids) as string[],
    decision: r.decision as Decision,
    justification: r.justification,
    reviewedBy: r.reviewed_by === null ? null : (JSON.parse(r.reviewed_by) as ReviewIdentity),
    reviewedAt: num(r.reviewed_at),
    appliedAt: num(r.applied_at),
    applyResult: r.apply_result,
    deleteDueAt: num(r.delete_due_at),
    principalDeletedAt: num(r.principal_deleted_at),
  };
}

/** The identity an audit actor stands for. */
export function identityOf(actor: Actor): ReviewIdentity {
  if (actor.kind === 'user') return { id: actor.id, displayName: actor.displayName, userPrincipalName: actor.userPrincipalName };
  if (actor.kind === 'app') return { id: actor.appId, displayName: actor.displayName, userPrincipalName: null };
  if (actor.kind === 'recipient') return { id: null, displayName: actor.address, userPrincipalName: null };
  return { id: null, displayName: actor.displayName, userPrincipalName: null };
}

/** An access review audit event (Entra's service "Access Reviews"). */
export function reviewAudit(
  tenantId: string,
  activity: AuditEvent['activity'],
  actor: Actor,
  target: AuditEvent['targets'][number],
  at: number,
  details: Record<string, string> = {},
): AuditEvent {
  const operationType =
    activity === activities.createAccessReview
      ? 'Add'
      : activity === activities.deleteAccessReview
        ? 'Delete'
        : activity === activities.accessReviewEnded
          ? 'Other'
          : 'Update';
  return {
    tenantId,
    activity,
    category: target.type === 'User' ? 'UserManagement' : 'Policy',
    operationType,
    result: 'success',
    actor,
    targets: [target],
    details,
    correlationId: newId(),
    service: 'Access Reviews',
    at,
  };
}

export const definitionTarget = (d: Pick<ReviewDefinition, 'id' | 'displayName'>) => ({ id: d.id, type: 'Policy' as const, displayName: d.displayName });

export async function createDefinition(ctx: AppContext, tenantId: string, input: ReviewDefinitionInput, actor: Actor): Promise<ReviewDefinition> {
  const now = ctx.clock.now();
  const row: AccessReviewDefinitionsTable = {
    id: newId(),
    tenant_id: tenantId,
    display_name: input.displayName,
    description_for_reviewers: input.descriptionForReviewers,
    scope: JSON.stringify(input.scope),
    reviewers: JSON.stringify(input.reviewers),
    fallback_reviewers: JSON.stringify(input.fallbackReviewers),
    settings: JSON.stringify(input.settings),
    created_by: JSON.stringify(identityOf(actor)),
    created_at: now,
    next_start_at: firstStart(input.settings, now),
    instances_started: 0,
  };
  const created = definitionFromRow(row);
  await ctx.db.transaction(async (trx) => {
    await trx.insertInto('access_review_definitions').values(row).execute();
    await recordAudit(
      trx,
      reviewAudit(tenantId, activities.createAccessReview, actor, definitionTarget(created), now, { scope: row.scope, settings: row.settings }),
    );
  });
  return created;
}

export async function listDefinitions(db: Executor, tenantId: string): Promise<ReviewDefinition[]> {
  const rows = await db.selectFrom('access_review_definitions').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.map(definitionFromRow);
}

export async function findDefinition(db: Executor, tenantId: string, id: string): Promise<ReviewDefinition | undefined> {
  const row = await db.selectFrom('access_review_definitions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? definitionFromRow(row) : undefined;
}

/** Definitions whose next instance is due (any tenant). */
export async function listDueDefinitions(db: Executor, now: number, onlyId?: string): Promise<ReviewDefinition[]> {
  let q = db.selectFrom('access_review_definitions').selectAll().where('next_start_at', '<=', now);
  if (onlyId) q = q.where('id', '=', onlyId);
  const rows = await q.orderBy('next_start_at').limit(100).execute();
  return rows.map(definitionFromRow);
}

/**
 * Deletes a definition with its instances and decisions; false when there is none. Guests already
 * disabled by it stay disabled; deletions it had scheduled are called off.
 */
export async function deleteDefinition(ctx: AppContext, tenantId: string, id: string, actor: Actor): Promise<boolean> {
  return ctx.db.transaction(async (trx) => {
    const found = await findDefinition(trx, tenantId, id);
    if (!found) return false;
    const gone = await trx.deleteFrom('access_review_definitions').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) return false;
    await recordAudit(trx, reviewAudit(tenantId, activities.deleteAccessReview, actor, definitionTarget(found), ctx.clock.now()));
    return true;
  });
}

export async function listInstances(db: Executor, tenantId: string, definitionId: string): Promise<ReviewInstance[]> {
  const rows = await db
    .selectFrom('access_review_instances')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('definition_id', '=', definitionId)
    .orderBy('start_at')
    .orderBy('id')
    .execute();
  return rows.map(instanceFromRow);
}

/** An instance of the tenant, by id (and of the definition, when given). */
export async function findInstance(db: Executor, tenantId: string, id: string, definitionId?: string): Promise<ReviewInstance | undefined> {
  let q = db.selectFrom('access_review_instances').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (definitionId) q = q.where('definition_id', '=', definitionId);
  const row = await q.executeTakeFirst();
  return row ? instanceFromRow(row) : undefined;
}

/** The tenant's instances still in progress, by definition id (a definition's status). */
export async function definitionsInProgress(db: Executor, tenantId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('access_review_instances')
    .select('definition_id')
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'InProgress')
    .execute();
  return new Set(rows.map((r) => r.definition_id));
}

/** Graph's definition status: NotStarted before its first instance, Completed when none is running or to come. */
export function definitionStatus(d: ReviewDefinition, running: boolean): 'NotStarted' | 'InProgress' | 'Completed' {
  if (d.instancesStarted === 0) return 'NotStarted';
  return running || d.nextStartAt !== null ? 'InProgress' : 'Completed';
}

export async function listDecisions(db: Executor, tenantId: string, instanceId: string): Promise<ReviewDecision[]> {
  const rows = await db
    .selectFrom('access_review_decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('instance_id', '=', instanceId)
    .orderBy('principal_display_name')
    .orderBy('id')
    .execute();
  return rows.map(decisionFromRow);
}

export async function findDecision(db: Executor, tenantId: string, instanceId: string, id: string): Promise<ReviewDecision | undefined> {
  const row = await db
    .selectFrom('access_review_decisions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? decisionFromRow(row) : undefined;
}

/**
 * The instances, and their definitions, in which `userId` reviews at least one item (Graph's
 * `filterByCurrentUser(on='reviewer')`). A user id is a GUID, so the LIKE narrows safely; the JSON decides.
 */
export async function reviewedBy(db: Executor, tenantId: string, userId: string): Promise<{ instanceIds: Set<string>; definitionIds: Set<string> }> {
  const rows = await db
    .selectFrom('access_review_decisions as d')
    .innerJoin('access_review_instances as i', 'i.id', 'd.instance_id')
    .select(['d.instance_id', 'd.reviewer_ids', 'i.definition_id'])
    .where('d.tenant_id', '=', tenantId)
    .where('i.tenant_id', '=', tenantId)
    .where('d.reviewer_ids', 'like', `%"${userId}"%`)
    .execute();
  const mine = rows.filter((r) => (JSON.parse(r.reviewer_ids) as string[]).includes(userId));
  return { instanceIds: new Set(mine.map((r) => r.instance_id)), definitionIds: new Set(mine.map((r) => r.definition_id)) };
}

/**
 * Records a reviewer's decision on one guest while the instance is in progress, audited as Entra's
 * "Approve decision" or "Deny decision" (taking a decision back, NotReviewed, is not a decision and is
 * not logged). Refused once the instance has ended: its decisions are what was applied.
 */
export async function recordDecision(
  ctx: AppContext,
  tenantId: string,
  instanceId: string,
  decisionId: string,
  choice: { decision: Decision; justification: string | null },
  actor: Actor,
): Promise<ReviewDecision> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    // The instance first, locked while still in progress: ending it (endInstance) updates the same row, so
    // on PostgreSQL a decision either commits before the instance ends, and its apply reads it, or waits and
    // finds it ended. Writing the decision before this check let an Approve commit while a Deny was applied.
    const open = await trx
      .updateTable('access_review_instances')
      .set((eb) => ({ status: eb.ref('status') }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', instanceId)
      .where('status', '=', 'InProgress')
      .executeTakeFirst();
    if (Number(open.numUpdatedRows) === 0) {
      if (await findInstance(trx, tenantId, instanceId)) {
        throw new FoyerError('request.invalid_body', 'This access review instance has ended: its decisions can no longer be changed.');
      }
      throw new FoyerError(
        'directory.not_found',
        `Resource '${decisionId.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    const reviewed = choice.decision !== 'NotReviewed';
    const updated = await trx
      .updateTable('access_review_decisions')
      .set({
        decision: choice.decision,
        justification: reviewed ? choice.justification : null,
        reviewed_by: reviewed ? JSON.stringify(identityOf(actor)) : null,
        reviewed_at: reviewed ? now : null,
      })
      .where('tenant_id', '=', tenantId)
      .where('instance_id', '=', instanceId)
      .where('id', '=', decisionId)
      .where('applied_at', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      throw new FoyerError(
        'directory.not_found',
        `Resource '${decisionId.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    const decision = (await findDecision(trx, tenantId, instanceId, decisionId))!;
    if (reviewed) {
      const activity = choice.decision === 'Approve' ? activities.approveAccessReviewDecision : activities.denyAccessReviewDecision;
      const target = {
        id: decision.principal.id,
        type: 'User' as const,
        displayName: decision.principal.displayName,
        userPrincipalName: decision.principal.userPrincipalName,
      };
      await recordAudit(
        trx,
        reviewAudit(tenantId, activity, actor, target, now, { accessReviewInstanceId: instanceId, justification: choice.justification ?? '' }),
      );
    }
    return decision;
  });
}
