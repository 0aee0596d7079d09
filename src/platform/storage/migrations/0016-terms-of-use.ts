import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Terms of use (Graph's `agreement` and `agreementAcceptance`):
 * - `agreements`: a tenant's terms, their per-language files (JSON, each with its text or PDF, base64) and
 *   the re-acceptance settings. `version` counts changes of the files: a new version must be accepted again.
 * - `agreement_acceptances`: each answer a person gave (accepted or declined), with the version and the
 *   language file shown, when, and until when an acceptance counts. The person's name and sign-in name
 *   are kept as they were at the time, as Graph reports them.
 * - `terms_gates`: the web kit's cookie-backed store of a sign-in waiting for the terms to be accepted.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('agreements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('is_viewing_before_acceptance_required', 'integer', (c) => c.notNull())
    /** ISO 8601 duration ("P90D"), or null: an acceptance counts until the terms change. */
    .addColumn('user_reaccept_required_frequency', 'text')
    /** JSON: Graph's termsExpiration ({ startDateTime, frequency }), or null. */
    .addColumn('terms_expiration', 'text')
    /** JSON: the per-language files (see src/governance/terms-store.ts). */
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint')
    .execute();
  await db.schema.createIndex('agreements_tenant').on('agreements').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('agreement_acceptances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('agreement_id', 'text', (c) => c.notNull().references('agreements.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('user_display_name', 'text')
    .addColumn('user_principal_name', 'text')
    .addColumn('user_email', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('agreement_file_id', 'text', (c) => c.notNull())
    /** 'accepted' | 'declined' */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    /** When an acceptance stops counting; null: until the terms change. */
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('agreement_acceptances_agreement').on('agreement_acceptances').columns(['agreement_id', 'id']).execute();
  await db.schema.createIndex('agreement_acceptances_user').on('agreement_acceptances').columns(['tenant_id', 'user_id', 'agreement_id']).execute();

  await db.schema
    .createTable('terms_gates')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}
