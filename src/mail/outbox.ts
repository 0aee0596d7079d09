/**
 * The transactional outbox. A message is written in the same transaction as the change that causes it
 * (an invitation), so a crash can neither lose an acknowledged invitation's e-mail nor send one for an
 * invitation that was rolled back. The worker (outbox-worker.ts) in every process delivers it; the
 * feature that queued it declares its kind (kinds.ts), which renders it and hears how delivery ended.
 */
import { sql } from 'kysely';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { OutboxTable } from '../platform/storage/schema.js';

// The outbox's public face: what features queue with, and what the worker and its tests use.
export type { DeliveryOutcome, MailKind, MailSlots, QueuedMail } from './kinds.js';
export { type ComposedEmail, DeliveryError, type Envelope, type MailTransport, type RenderedMail } from './message.js';
export { type OutboxWorker, outboxSignal, retryDelay, startOutboxWorker, type WorkerSettings } from './outbox-worker.js';

/** What a feature queues: its mail kind's name and whatever that kind needs to render the message. */
export interface MailPayload {
  kind: string;
}

/** `cancelled`: a newer invitation (or a reset, or deleting the guest) made the link in it useless. */
export type DeliveryState = 'queued' | 'sent' | 'failed' | 'cancelled';

/**
 * Queues a message in the caller's transaction. `secret` is already sealed (instance-keys.ts); the
 * payload is what the kind's renderer gets back. Call `outboxSignal(ctx).emit('queued')` after commit.
 */
export async function enqueueMail<Payload extends MailPayload>(
  trx: Executor,
  ctx: AppContext,
  m: { tenantId: string; invitationId: string | null; recipient: string; payload: Payload; secret: string | null; now: number },
): Promise<string> {
  const id = newId();
  const host = new URL(ctx.config.publicUrl).hostname;
  await trx
    .insertInto('outbox')
    .values({
      id,
      tenant_id: m.tenantId,
      invitation_id: m.invitationId,
      kind: m.payload.kind,
      recipient: m.recipient,
      payload: JSON.stringify(m.payload),
      secret: m.secret,
      state: 'queued',
      attempts: 0,
      next_attempt_at: m.now,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      last_attempt_at: null,
      sent_at: null,
      message_id: `<${id}@${host}>`,
      created_at: m.now,
    })
    .execute();
  return id;
}

/**
 * Marks e-mail still queued for these invitations as cancelled (their links were replaced or revoked)
 * and forgets its sealed ticket. A message a worker is handing to the SMTP server at this moment is let
 * finish; should that attempt fail, the retry is cancelled instead (see deliverOne).
 */
export async function cancelQueuedMail(trx: Executor, invitationIds: string[], now: number): Promise<void> {
  if (invitationIds.length === 0) return;
  await trx
    .updateTable('outbox')
    .set({ state: 'cancelled', secret: null })
    .where('invitation_id', 'in', invitationIds)
    .where('state', '=', 'queued')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute();
}

export interface DeliveryReport {
  state: DeliveryState;
  attempts: number;
  lastAttemptDateTime: string | null;
  sentDateTime: string | null;
  nextAttemptDateTime: string | null;
  error: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function deliveryReport(
  row: Pick<OutboxTable, 'state' | 'attempts' | 'last_attempt_at' | 'sent_at' | 'next_attempt_at' | 'last_error'>,
): DeliveryReport {
  return {
    state: row.state as DeliveryState,
    attempts: row.attempts,
    lastAttemptDateTime: iso(row.last_attempt_at),
    sentDateTime: iso(row.sent_at),
    nextAttemptDateTime: row.state === 'queued' ? iso(row.next_attempt_at) : null,
    error: row.last_error,
  };
}

/** Delivery state of each invitation's e-mail, by invitation id. */
export async function deliveryOf(db: Executor, invitationIds: string[]): Promise<Map<string, DeliveryReport>> {
  if (invitationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('outbox')
    .select(['invitation_id', 'state', 'attempts', 'last_attempt_at', 'sent_at', 'next_attempt_at', 'last_error'])
    .where('invitation_id', 'in', invitationIds)
    .execute();
  return new Map(rows.map((r) => [r.invitation_id!, deliveryReport(r)]));
}

/** Messages whose delivery is due, for `foyer` status output and tests. */
export async function countQueued(db: Executor): Promise<number> {
  const row = await db.selectFrom('outbox').select(sql<number>`count(*)`.as('n')).where('state', '=', 'queued').executeTakeFirstOrThrow();
  return Number(row.n);
}
