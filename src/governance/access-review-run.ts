/**
 * Running access reviews (the governance feature's housekeeping, every process at once): instances start
 * when due, with one decision item per guest in scope and an e-mail to each reviewer; they end when their
 * time is up (the default decision given to guests nobody reviewed); their decisions are applied (a
 * denied guest is disabled, which ends their sessions) and, N days later, denied guests still disabled
 * are deleted. Every step is a compare-and-set, so two processes running it at once do each thing once.
 */
import { groupExists, listAppAssignedGuests, listGroupGuests, listTenantGuests, servicePrincipalExists } from '../directory/access-review-population.js';
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import { listSponsors } from '../directory/sponsors.js';
import { findTenant } from '../directory/tenants.js';
import { findUser, type User } from '../directory/users.js';
import { enqueueMail, outboxSignal } from '../mail/index.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import { matchLocale } from '../platform/locale.js';
import type { Executor } from '../platform/storage/database.js';
import type { AccessReviewDecisionsTable } from '../platform/storage/schema.js';
import { applyDecision, deleteDueGuests, REVIEW_SYSTEM } from './access-review-apply.js';
import type { ReviewScope } from './access-review-body.js';
import type { ReviewMailPayload } from './access-review-mail.js';
import { instanceEnd, nextStart } from './access-review-schedule.js';
import {
  decisionFromRow,
  definitionTarget,
  findDefinition,
  instanceFromRow,
  listDueDefinitions,
  type ReviewDefinition,
  type ReviewIdentity,
  type ReviewInstance,
  reviewAudit,
} from './access-review-store.js';

const BATCH = 100;

/** Who acts when Foyer itself applies a review (the audit log's initiator). */
const DEFAULT_REVIEWER: ReviewIdentity = { id: null, displayName: 'Access reviews (default decision)', userPrincipalName: null };

/** The review page of an instance, as the reviewers' e-mail links to it. */
export function reviewPageUrl(ctx: AppContext, tenantId: string, instanceId: string): string {
  return `${ctx.config.publicUrl}/${tenantId}/access-reviews/${instanceId}`;
}

/** Everything due now, in order: starts, ends, applying, deletions. */
export async function runAccessReviews(ctx: AppContext): Promise<void> {
  await startDueInstances(ctx);
  await endDueInstances(ctx);
  await applyPendingInstances(ctx);
  await deleteDueGuests(ctx);
}

/** Whether the scope's group or app still exists (checked when a definition is created). */
export async function scopeTargetExists(db: Executor, tenantId: string, scope: ReviewScope): Promise<boolean> {
  if (scope.kind === 'groupGuests') return groupExists(db, tenantId, scope.groupId);
  if (scope.kind === 'appGuests') return servicePrincipalExists(db, tenantId, scope.servicePrincipalId);
  return true;
}

async function guestsInScope(db: Executor, tenantId: string, scope: ReviewScope): Promise<User[]> {
  if (scope.kind === 'tenantGuests') return listTenantGuests(db, tenantId);
  if (scope.kind === 'groupGuests') return listGroupGuests(db, tenantId, scope.groupId);
  return listAppAssignedGuests(db, tenantId, scope.servicePrincipalId);
}

/**
 * The people who review `guest`: its sponsors and the named reviewers, each only while enabled (a disabled
 * account cannot sign in to review); the fallback reviewers when that is nobody. `enabled` remembers who is.
 */
async function reviewersOf(db: Executor, def: ReviewDefinition, guest: User, enabled: Map<string, boolean>): Promise<string[]> {
  const canReview = async (id: string) => {
    if (!enabled.has(id)) enabled.set(id, (await findUser(db, def.tenantId, id))?.accountEnabled === true);
    return enabled.get(id)!;
  };
  const ids = new Set<string>();
  for (const r of def.reviewers) {
    if (r.kind === 'user' && (await canReview(r.userId))) ids.add(r.userId);
    if (r.kind === 'sponsors') for (const s of await listSponsors(db, guest.id)) if (await canReview(s.id)) ids.add(s.id);
  }
  if (ids.size === 0) for (const r of def.fallbackReviewers) if (r.kind === 'user' && (await canReview(r.userId))) ids.add(r.userId);
  ids.delete(guest.id);
  return [...ids].sort();
}

/** Starts the instances that are due: each definition's next one, claimed by moving its `next_start_at`. */
export async function startDueInstances(ctx: AppContext, onlyDefinitionId?: string): Promise<void> {
  const now = ctx.clock.now();
  let queued = false;
  for (const def of await listDueDefinitions(ctx.db.kysely, now, onlyDefinitionId)) {
    const started = await startInstance(ctx, def, now).catch((err: unknown) => {
      // One definition that cannot start (its group deleted meanwhile…) must not hold up the others; it is tried again next run.
      ctx.log.warn({ err, definitionId: def.id }, 'access review: an instance could not start');
      return false;
    });
    queued ||= started && def.settings.mailNotificationsEnabled;
  }
  if (queued) outboxSignal(ctx).emit('queued');
}

/** Starts `def`'s due instance, unless another process did: true when this one did. */
async function startInstance(ctx: AppContext, def: ReviewDefinition, now: number): Promise<boolean> {
  return ctx.db.transaction(async (trx) => {
    const claimed = await trx
      .updateTable('access_review_definitions')
      .set({ next_start_at: nextStart(def.settings, def.instancesStarted + 1, now), instances_started: def.instancesStarted + 1 })
      .where('id', '=', def.id)
      .where('next_start_at', '=', def.nextStartAt)
      .where('instances_started', '=', def.instancesStarted)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return false;
    const instance: ReviewInstance = {
      id: newId(),
      tenantId: def.tenantId,
      definitionId: def.id,
      startAt: now,
      endAt: instanceEnd(def.settings, now),
      status: 'InProgress',
    };
    await trx
      .insertInto('access_review_instances')
      .values({
        id: instance.id,
        tenant_id: instance.tenantId,
        definition_id: def.id,
        start_at: instance.startAt,
        end_at: instance.endAt,
        status: instance.status,
      })
      .execute();
    const enabled = new Map<string, boolean>();
    const rows: AccessReviewDecisionsTable[] = [];
    for (const guest of await guestsInScope(trx, def.tenantId, def.scope)) {
      rows.push({
        id: newId(),
        tenant_id: def.tenantId,
        instance_id: instance.id,
        principal_id: guest.id,
        principal_display_name: guest.displayName,
        principal_upn: guest.userPrincipalName,
        principal_mail: guest.mail,
        last_sign_in_at: guest.lastSignInDateTime ?? null,
        reviewer_ids: JSON.stringify(await reviewersOf(trx, def, guest, enabled)),
        decision: 'NotReviewed',
        justification: null,
        reviewed_by: null,
        reviewed_at: null,
        applied_at: null,
        apply_result: 'New',
        delete_due_at: null,
        principal_deleted_at: null,
        principal_change_seq: null,
      });
    }
    for (let i = 0; i < rows.length; i += BATCH)
      await trx
        .insertInto('access_review_decisions')
        .values(rows.slice(i, i + BATCH))
        .execute();
    if (def.settings.mailNotificationsEnabled) await notifyReviewers(ctx, trx, def, instance, rows);
    return true;
  });
}

/** One e-mail per reviewer with guests to review, in the instance's transaction (the outbox). */
async function notifyReviewers(ctx: AppContext, trx: Executor, def: ReviewDefinition, instance: ReviewInstance, rows: AccessReviewDecisionsTable[]) {
  const counts = new Map<string, number>();
  for (const r of rows) for (const id of JSON.parse(r.reviewer_ids) as string[]) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size === 0) return;
  const tenant = await findTenant(trx, def.tenantId);
  for (const [reviewerId, guests] of counts) {
    const reviewer = await findUser(trx, def.tenantId, reviewerId);
    const address = reviewer?.mail ?? reviewer?.userPrincipalName;
    if (!reviewer?.accountEnabled || !address) continue;
    const payload: ReviewMailPayload = {
      kind: 'access-review',
      to: { address, name: reviewer.displayName },
      email: {
        locale: matchLocale(reviewer.preferredLanguage) ?? 'en-US',
        organizationName: tenant?.displayName ?? '',
        reviewName: def.displayName,
        description: def.descriptionForReviewers,
        guests,
        endAt: instance.endAt,
        link: reviewPageUrl(ctx, def.tenantId, instance.id),
      },
    };
    await enqueueMail(trx, ctx, { tenantId: def.tenantId, invitationId: null, recipient: address, payload, secret: null, now: instance.startAt });
  }
}

/** Ends the instances whose time is up: Applying when the definition applies its decisions itself, else Completed. */
export async function endDueInstances(ctx: AppContext): Promise<void> {
  const now = ctx.clock.now();
  const due = await ctx.db.kysely
    .selectFrom('access_review_instances')
    .selectAll()
    .where('status', '=', 'InProgress')
    .where('end_at', '<=', now)
    .orderBy('end_at')
    .limit(BATCH)
    .execute();
  for (const instance of due.map(instanceFromRow)) await endInstance(ctx, instance, REVIEW_SYSTEM);
}

/**
 * Ends one instance now (its time is up, or Graph's `stop`): guests nobody reviewed get the default
 * decision, when the definition has one; false when it had ended already.
 */
export async function endInstance(ctx: AppContext, instance: ReviewInstance, actor: Actor): Promise<boolean> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (trx) => {
    const def = await findDefinition(trx, instance.tenantId, instance.definitionId);
    if (!def) return false;
    const status = def.settings.autoApplyDecisionsEnabled ? 'Applying' : 'Completed';
    const ended = await trx
      .updateTable('access_review_instances')
      .set({ status, end_at: Math.min(instance.endAt, now) })
      .where('id', '=', instance.id)
      .where('status', '=', 'InProgress')
      .executeTakeFirst();
    if (Number(ended.numUpdatedRows) === 0) return false;
    const { defaultDecisionEnabled, defaultDecision } = def.settings;
    if (defaultDecisionEnabled && defaultDecision !== 'None') {
      await trx
        .updateTable('access_review_decisions')
        .set({
          decision: defaultDecision,
          justification: 'Default decision: not reviewed before the review ended.',
          reviewed_by: JSON.stringify(DEFAULT_REVIEWER),
          reviewed_at: now,
        })
        .where('instance_id', '=', instance.id)
        .where('decision', '=', 'NotReviewed')
        .execute();
    }
    await recordAudit(
      trx,
      reviewAudit(instance.tenantId, activities.accessReviewEnded, actor, definitionTarget(def), now, { accessReviewInstanceId: instance.id }),
    );
    return true;
  });
}

/** Graph's `applyDecisions` on an ended instance whose definition does not apply them itself: false when there is nothing to apply. */
export async function requestApply(ctx: AppContext, instance: ReviewInstance): Promise<boolean> {
  const moved = await ctx.db.kysely
    .updateTable('access_review_instances')
    .set({ status: 'Applying' })
    .where('id', '=', instance.id)
    .where('status', '=', 'Completed')
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 0) return false;
  await applyInstance(ctx, { ...instance, status: 'Applying' });
  return true;
}

async function applyPendingInstances(ctx: AppContext): Promise<void> {
  const rows = await ctx.db.kysely.selectFrom('access_review_instances').selectAll().where('status', '=', 'Applying').orderBy('end_at').limit(BATCH).execute();
  for (const instance of rows.map(instanceFromRow)) await applyInstance(ctx, instance);
}

/**
 * Applies an instance's decisions, each once: a denied guest is disabled (their sessions end) and due for
 * deletion after the definition's days; an approved one keeps access. Then the instance is Applied.
 */
async function applyInstance(ctx: AppContext, instance: ReviewInstance): Promise<void> {
  const def = await findDefinition(ctx.db.kysely, instance.tenantId, instance.definitionId);
  if (!def) return;
  const pending = await ctx.db.kysely
    .selectFrom('access_review_decisions')
    .selectAll()
    .where('instance_id', '=', instance.id)
    .where('applied_at', 'is', null)
    .where('decision', 'in', ['Approve', 'Deny'])
    .execute();
  for (const decision of pending.map(decisionFromRow)) await applyDecision(ctx, instance, def.settings.deleteAfterDays, decision);
  await ctx.db.kysely
    .updateTable('access_review_instances')
    .set({ status: 'Applied' })
    .where('id', '=', instance.id)
    .where('status', '=', 'Applying')
    .execute();
}
