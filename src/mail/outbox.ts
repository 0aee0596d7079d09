/**
 * The transactional outbox. A message is written in the same transaction as the change that causes it
 * (an invitation), so a crash can neither lose an acknowledged invitation's e-mail nor send one for an
 * invitation that was rolled back. A worker in every process then claims due messages under a lease
 * (compare-and-set on both databases, `FOR UPDATE SKIP LOCKED` on PostgreSQL), so several processes
 * share the queue and each message is handed to the SMTP server by one of them.
 */
import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import { composeInvitationEmail, type InvitationEmailInput } from '../invitations/invitation-email.js';
import { redeemUrl } from '../invitations/tickets.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import { unseal } from '../platform/instance-keys.js';
import type { Database, Executor } from '../platform/storage/database.js';
import type { OutboxTable } from '../platform/storage/schema.js';
import { composePasscodeEmail, type PasscodeEmailInput } from '../redemption/passcode-email.js';

export interface InvitationMailPayload {
  kind: 'invitation';
  to: { address: string; name: string | null };
  cc: { address: string; name: string | null } | null;
  /** The inviting person's address, when a person invited. */
  replyTo: string | null;
  /** Everything the e-mail shows except the redeem link, which needs the sealed ticket. */
  email: Omit<InvitationEmailInput, 'redeemUrl'>;
}

/** A one-time passcode; the code itself travels sealed in the outbox row's secret. */
export interface PasscodeMailPayload {
  kind: 'passcode';
  to: { address: string; name: string | null };
  email: Omit<PasscodeEmailInput, 'code'>;
}

export type MailPayload = InvitationMailPayload | PasscodeMailPayload;

/** `cancelled`: a newer invitation (or a reset, or deleting the guest) made the link in it useless. */
export type DeliveryState = 'queued' | 'sent' | 'failed' | 'cancelled';

/** A message ready for a transport. */
export interface RenderedMail {
  messageId: string;
  from: string;
  to: { address: string; name: string | null };
  cc: { address: string; name: string | null } | null;
  replyTo: string | null;
  subject: string;
  text: string;
  html: string;
}

/** What a transport reports when it could not hand a message over. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** true: retrying will not help (the server refused for good, e.g. SMTP 5xx). */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface MailTransport {
  /** Names the transport in logs and delivery reports ("smtp://mail.example:587", "development mailbox"). */
  readonly description: string;
  send(mail: RenderedMail): Promise<void>;
  close(): Promise<void>;
}

const signals = new WeakMap<Database, EventEmitter>();

/** In-process "there is new mail" signal, so a queued message goes out without waiting for a poll. */
export function outboxSignal(db: Database): EventEmitter {
  let emitter = signals.get(db);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    signals.set(db, emitter);
  }
  return emitter;
}

export async function enqueueMail(
  trx: Executor,
  ctx: AppContext,
  m: { tenantId: string; invitationId: string | null; recipient: string; payload: MailPayload; secret: string | null; now: number },
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

// --- the worker --------------------------------------------------------------------------------------

export interface WorkerSettings {
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** How long a claimed message stays with this process; longer than any one SMTP conversation. */
  leaseMs: number;
  batchSize: number;
}

/** Exponential back-off with jitter: base, 2×base, 4×base … capped, each ±20%. */
export function retryDelay(attempt: number, s: Pick<WorkerSettings, 'retryBaseMs' | 'retryMaxMs'>, random = Math.random): number {
  const raw = Math.min(s.retryMaxMs, s.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** Claims up to `limit` due messages for `owner`. */
async function claim(ctx: AppContext, owner: string, s: WorkerSettings): Promise<OutboxTable[]> {
  const now = ctx.clock.now();
  const db = ctx.db.kysely;
  const due = db
    .selectFrom('outbox')
    .select('id')
    .where('state', '=', 'queued')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(s.batchSize);
  // On PostgreSQL, rows another process is claiming at this instant are skipped, not waited for.
  const candidates = ctx.db.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
  return db
    .updateTable('outbox')
    .set((eb) => ({ lease_owner: owner, lease_until: now + s.leaseMs, attempts: eb('attempts', '+', 1), last_attempt_at: now }))
    .where('id', 'in', candidates)
    .where('state', '=', 'queued')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .returningAll()
    .execute();
}

export async function renderMail(ctx: AppContext, row: OutboxTable): Promise<RenderedMail> {
  const payload = JSON.parse(row.payload) as MailPayload;
  const secret = row.secret ? await unseal(ctx.db, ctx.clock, row.secret) : '';
  if (payload.kind === 'passcode') {
    return {
      messageId: row.message_id,
      from: ctx.config.mailFrom,
      to: payload.to,
      cc: null,
      replyTo: null,
      ...composePasscodeEmail({ ...payload.email, code: secret }),
    };
  }
  const ticket = secret;
  const link = redeemUrl(ctx.config.publicUrl, row.tenant_id, row.invitation_id ?? '', ticket);
  const composed = composeInvitationEmail({ ...payload.email, redeemUrl: link });
  return {
    messageId: row.message_id,
    from: ctx.config.mailFrom,
    to: payload.to,
    cc: payload.cc,
    replyTo: payload.replyTo,
    ...composed,
  };
}

const SYSTEM: Actor = { kind: 'system', displayName: 'Foyer mail delivery' };

async function deliverOne(ctx: AppContext, transport: MailTransport, owner: string, row: OutboxTable, s: WorkerSettings): Promise<void> {
  const db = ctx.db.kysely;
  let failure: DeliveryError | undefined;
  // Keep the lease while the SMTP conversation lasts (a slow server may take longer than one lease);
  // if this process dies, renewals stop and another process takes the message over.
  const renew = setInterval(() => {
    void db
      .updateTable('outbox')
      .set({ lease_until: ctx.clock.now() + s.leaseMs })
      .where('id', '=', row.id)
      .where('lease_owner', '=', owner)
      .execute()
      .catch((err: unknown) => ctx.log.warn({ err, outboxId: row.id }, 'could not renew a mail lease'));
  }, s.leaseMs / 4);
  try {
    await transport.send(await renderMail(ctx, row));
  } catch (err) {
    failure = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message ?? String(err), false);
  } finally {
    clearInterval(renew);
  }
  const now = ctx.clock.now();
  const target = [{ id: row.invitation_id, type: 'Invitation' as const, displayName: row.recipient }];
  if (!failure) {
    await ctx.db.transaction(async (trx) => {
      const done = await trx
        .updateTable('outbox')
        .set({ state: 'sent', sent_at: now, secret: null, lease_owner: null, lease_until: null, last_error: null })
        .where('id', '=', row.id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      // Passcode e-mails are not directory events (the sign-in they serve is what matters).
      if (Number(done.numUpdatedRows) === 1 && row.kind === 'invitation') {
        await recordAudit(trx, {
          tenantId: row.tenant_id,
          activity: activities.invitationEmailSent,
          category: 'UserManagement',
          operationType: 'Other',
          result: 'success',
          actor: SYSTEM,
          targets: target,
          details: { transport: transport.description, attempts: String(row.attempts), messageId: row.message_id },
          correlationId: row.invitation_id ?? row.id,
          at: now,
        });
      }
    });
    return;
  }
  const giveUp = failure.permanent || row.attempts >= s.maxAttempts;
  const reason = (failure.permanent ? failure.message : `${failure.message}${giveUp ? ` (gave up after ${row.attempts} attempts)` : ''}`).slice(0, 1000);
  await ctx.db.transaction(async (trx) => {
    const done = await trx
      .updateTable('outbox')
      .set(
        giveUp
          ? { state: 'failed', secret: null, lease_owner: null, lease_until: null, last_error: reason }
          : { next_attempt_at: now + retryDelay(row.attempts, s), lease_owner: null, lease_until: null, last_error: reason },
      )
      .where('id', '=', row.id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (!giveUp && row.invitation_id) {
      // The link may have been replaced while this attempt was under way (cancelQueuedMail leaves
      // messages being sent alone): a retry would carry a dead link.
      await trx
        .updateTable('outbox')
        .set({ state: 'cancelled', secret: null })
        .where('id', '=', row.id)
        .where('state', '=', 'queued')
        .where('invitation_id', 'in', (eb) =>
          eb.selectFrom('invitations').select('id').where('id', '=', row.invitation_id!).where('ticket_state', 'in', ['superseded', 'revoked']),
        )
        .execute();
    }
    if (giveUp && Number(done.numUpdatedRows) === 1 && row.kind === 'invitation') {
      await recordAudit(trx, {
        tenantId: row.tenant_id,
        activity: activities.invitationEmailFailed,
        category: 'UserManagement',
        operationType: 'Other',
        result: 'failure',
        resultReason: reason,
        actor: SYSTEM,
        targets: target,
        details: { transport: transport.description, attempts: String(row.attempts) },
        correlationId: row.invitation_id ?? row.id,
        at: now,
      });
    }
  });
  ctx.log[giveUp ? 'warn' : 'info'](
    { outboxId: row.id, attempts: row.attempts, reason },
    giveUp ? 'mail delivery failed for good' : 'mail delivery failed; will retry',
  );
}

export interface OutboxWorker {
  /** Claims and delivers what is due now; resolves when that batch is done. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startOutboxWorker(ctx: AppContext, transport: MailTransport, s: WorkerSettings): OutboxWorker {
  const owner = newId();
  let stopped = false;
  let running: Promise<number> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await claim(ctx, owner, s);
      if (rows.length === 0) return total;
      await Promise.all(rows.map((row) => deliverOne(ctx, transport, owner, row, s)));
      total += rows.length;
      if (stopped) return total;
    }
  }

  function runOnce(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((err: unknown) => {
        ctx.log.warn({ err }, 'mail outbox pass failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void runOnce();
        }
      });
    return running;
  }

  const tick = () => {
    if (stopped) return;
    void runOnce().finally(() => {
      if (!stopped) timer = setTimeout(tick, s.pollIntervalMs);
    });
  };
  const onQueued = () => void runOnce();
  outboxSignal(ctx.db).on('queued', onQueued);
  timer = setTimeout(tick, 0);

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      outboxSignal(ctx.db).off('queued', onQueued);
      await running;
      await transport.close();
    },
  };
}

/** Messages whose delivery is due, for `foyer` status output and tests. */
export async function countQueued(db: Executor): Promise<number> {
  const row = await db.selectFrom('outbox').select(sql<number>`count(*)`.as('n')).where('state', '=', 'queued').executeTakeFirstOrThrow();
  return Number(row.n);
}
