/**
 * The outbox worker, in every process: claims due messages under a lease (compare-and-set on both
 * databases, `FOR UPDATE SKIP LOCKED` on PostgreSQL), asks each message's mail kind to render it, hands
 * it to the transport, and records the outcome, so several processes share the queue and each message
 * is handed to the SMTP server by one of them.
 */
import { EventEmitter } from 'node:events';
import { type AppContext, service } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import { unseal } from '../platform/instance-keys.js';
import type { OutboxTable } from '../platform/storage/schema.js';
import { type MailKind, mailKinds, type QueuedMail } from './kinds.js';
import { DeliveryError, type MailTransport } from './message.js';

const SIGNAL = Symbol('outbox signal');
/** A lease is renewed this often within its length, so one renewal may fail (a busy database) without losing it. */
const RENEWALS_PER_LEASE = 3;

/** This app's "there is new mail" signal, so a queued message goes out without waiting for a poll. */
export function outboxSignal(ctx: Pick<AppContext, 'services'>): EventEmitter {
  return service(ctx, SIGNAL, () => {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    return emitter;
  });
}

export interface WorkerSettings {
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /**
   * How long a claimed message stays with this process unless renewed. Renewed every third of it while
   * the message is being sent, so a slow SMTP conversation keeps it and a dead process lets it lapse soon.
   */
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

/**
 * The claimed row as its mail kind sees it, payload parsed. The secret is unsealed only for rendering:
 * the kind's delivery hooks must work (audit, retry check) even when unsealing is what failed.
 */
function queuedMail(row: OutboxTable): QueuedMail {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    invitationId: row.invitation_id,
    recipient: row.recipient,
    payload: JSON.parse(row.payload) as unknown,
    secret: '',
    messageId: row.message_id,
    attempts: row.attempts,
  };
}

function kindOf(ctx: AppContext, row: OutboxTable): MailKind {
  const kind = mailKinds(ctx).get(row.kind);
  // A kind no feature declares (a feature removed while its mail was queued) can never be rendered.
  if (!kind) throw new DeliveryError(`no feature renders mail of kind '${row.kind}'`, true);
  return kind;
}

async function deliverOne(ctx: AppContext, transport: MailTransport, owner: string, row: OutboxTable, s: WorkerSettings): Promise<void> {
  const db = ctx.db.kysely;
  let failure: DeliveryError | undefined;
  let kind: MailKind | undefined;
  let mail: QueuedMail | undefined;
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
  }, s.leaseMs / RENEWALS_PER_LEASE);
  try {
    kind = kindOf(ctx, row);
    mail = queuedMail(row);
    const secret = row.secret ? await unseal(ctx, row.secret) : '';
    const rendered = kind.render(ctx, { ...mail, secret });
    await transport.send({ messageId: row.message_id, from: ctx.config.mailFrom, ...rendered });
  } catch (err) {
    failure = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message ?? String(err), false);
  } finally {
    clearInterval(renew);
  }
  const now = ctx.clock.now();
  if (!failure) {
    await ctx.db.transaction(async (trx) => {
      const done = await trx
        .updateTable('outbox')
        .set({ state: 'sent', sent_at: now, secret: null, lease_owner: null, lease_until: null, last_error: null })
        .where('id', '=', row.id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 1) await kind?.sent?.(trx, mail!, { transport: transport.description, at: now });
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
    if (!giveUp && mail && kind?.stillWanted && !(await kind.stillWanted(trx, mail))) {
      // cancelQueuedMail leaves messages being sent alone: the kind says whether this one is still
      // worth a retry (an invitation whose link was replaced meanwhile is not).
      await trx.updateTable('outbox').set({ state: 'cancelled', secret: null }).where('id', '=', row.id).where('state', '=', 'queued').execute();
    }
    if (giveUp && Number(done.numUpdatedRows) === 1 && mail) {
      await kind?.failed?.(trx, mail, { transport: transport.description, at: now, reason });
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
  outboxSignal(ctx).on('queued', onQueued);
  timer = setTimeout(tick, 0);

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      outboxSignal(ctx).off('queued', onQueued);
      await running;
      await transport.close();
    },
  };
}
