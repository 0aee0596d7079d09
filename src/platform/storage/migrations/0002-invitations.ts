import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Invitations and what hangs off them: redemption tickets (stored as hashes), the transactional mail
 * outbox, the directory audit log, guests' sponsors, and addresses that asked for no more invitations.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    // No foreign key: the invitation outlives a deleted guest in the audit trail and delivery report.
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('invited_email', 'text', (c) => c.notNull())
    .addColumn('invited_email_lower', 'text', (c) => c.notNull())
    .addColumn('invited_display_name', 'text')
    .addColumn('invited_user_type', 'text', (c) => c.notNull())
    .addColumn('redirect_url', 'text', (c) => c.notNull())
    .addColumn('send_message', 'integer', (c) => c.notNull())
    .addColumn('message_body', 'text')
    .addColumn('message_language', 'text')
    .addColumn('cc_address', 'text')
    .addColumn('cc_name', 'text')
    .addColumn('reset_redemption', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // SHA-256 of the ticket in inviteRedeemUrl; the ticket itself is never stored.
    .addColumn('ticket_hash', 'text', (c) => c.notNull().unique())
    .addColumn('ticket_state', 'text', (c) => c.notNull())
    .addColumn('ticket_expires_at', 'bigint')
    .addColumn('inviter', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('redeemed_at', 'bigint')
    .execute();
  await db.schema.createIndex('invitations_user').on('invitations').columns(['user_id', 'ticket_state']).execute();
  // At most one working redemption link per guest, whatever races between re-invitations.
  await db.schema
    .createIndex('invitations_one_active_ticket')
    .on('invitations')
    .column('user_id')
    .unique()
    .where(sql.ref('ticket_state'), '=', sql.lit('active'))
    .execute();
  await db.schema.createIndex('invitations_tenant').on('invitations').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('invitation_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    // The redemption ticket, encrypted; erased once the message is delivered or given up on.
    .addColumn('secret', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('outbox_invitation').on('outbox').column('invitation_id').execute();

  await db.schema
    .createTable('development_mailbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('outbox_id', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('activity', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('operation_type', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('result_reason', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('targets', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('activity_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').columns(['tenant_id', 'activity_at', 'id']).execute();
  await db.schema.createIndex('audit_events_activity').on('audit_events').columns(['tenant_id', 'activity', 'activity_at']).execute();

  await db.schema
    .createTable('user_sponsors')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('sponsor_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_sponsors_pk', ['user_id', 'sponsor_id'])
    .execute();

  await db.schema
    .createTable('invitation_blocks')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('address_lower', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('invitation_blocks_pk', ['tenant_id', 'address_lower'])
    .execute();
}
