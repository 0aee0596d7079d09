import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Access reviews of guests (src/governance/access-review*.ts):
 * - `access_review_definitions`: Graph's `accessReviewScheduleDefinition`: whom it reviews (`scope`), who
 *   reviews (`reviewers`, `fallback_reviewers`), its `settings` (duration, recurrence, default decision,
 *   what happens to denied guests), all JSON; `next_start_at` is when the next instance is due (null: none).
 * - `access_review_instances`: one run of a definition, from `start_at` to `end_at`; `status` InProgress,
 *   Completed (ended, decisions not yet applied) or Applied.
 * - `access_review_decisions`: one guest in one instance (Graph's `accessReviewInstanceDecisionItem`): who
 *   the guest was at the start, who may decide (`reviewer_ids`, JSON), the decision, and what applying it
 *   did: disabled at `applied_at`, deleted at `principal_deleted_at` once `delete_due_at` passed.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('access_review_definitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('description_for_reviewers', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('reviewers', 'text', (c) => c.notNull())
    .addColumn('fallback_reviewers', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    /** JSON: who created it ({ id, displayName, userPrincipalName }). */
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('next_start_at', 'bigint')
    /** How many instances have started (for a numbered recurrence range). */
    .addColumn('instances_started', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('access_review_definitions_tenant').on('access_review_definitions').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('access_review_definitions_due').on('access_review_definitions').column('next_start_at').execute();

  await db.schema
    .createTable('access_review_instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('definition_id', 'text', (c) => c.notNull().references('access_review_definitions.id').onDelete('cascade'))
    .addColumn('start_at', 'bigint', (c) => c.notNull())
    .addColumn('end_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('access_review_instances_definition').on('access_review_instances').columns(['definition_id', 'start_at']).execute();
  await db.schema.createIndex('access_review_instances_due').on('access_review_instances').columns(['status', 'end_at']).execute();

  await db.schema
    .createTable('access_review_decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('instance_id', 'text', (c) => c.notNull().references('access_review_instances.id').onDelete('cascade'))
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('principal_display_name', 'text', (c) => c.notNull())
    .addColumn('principal_upn', 'text', (c) => c.notNull())
    .addColumn('principal_mail', 'text')
    .addColumn('last_sign_in_at', 'bigint')
    /** JSON string[]: the user ids who may decide on this guest. */
    .addColumn('reviewer_ids', 'text', (c) => c.notNull())
    /** 'Approve' | 'Deny' | 'NotReviewed' */
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('justification', 'text')
    /** JSON: Graph's reviewedBy ({ id, displayName, userPrincipalName }), null while not reviewed. */
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_at', 'bigint')
    .addColumn('applied_at', 'bigint')
    /** Graph's applyResult: 'New', 'AppliedSuccessfully', 'AppliedSuccessfullyButObjectNotFound', … */
    .addColumn('apply_result', 'text', (c) => c.notNull())
    .addColumn('delete_due_at', 'bigint')
    .addColumn('principal_deleted_at', 'bigint')
    /** The denied guest's change marker (users.change_seq) right after the disable: any later change calls the deletion off. */
    .addColumn('principal_change_seq', 'bigint')
    .execute();
  await db.schema
    .createIndex('access_review_decisions_instance')
    .on('access_review_decisions')
    .columns(['instance_id', 'principal_display_name', 'id'])
    .execute();
  await db.schema.createIndex('access_review_decisions_delete_due').on('access_review_decisions').column('delete_due_at').execute();
}
