/** Starts this process's mail delivery, as configured (see docs/configuration.md, FOYER_MAIL_*). */
import type { AppContext } from '../platform/context.js';
import { developmentMailbox } from './mailbox.js';
import { startOutboxWorker, type WorkerSettings } from './outbox-worker.js';
import { SMTP_CONNECTIONS, smtpTransport } from './transports.js';

/**
 * How long a claimed message stays with the process that claimed it without a renewal. The worker
 * renews it every third of this while the SMTP conversation lasts (however long that is), so only a
 * process that died lets it lapse: the next process then delivers the message within this time plus
 * one poll interval (test/mail/crash-takeover.test.ts measures it).
 */
export const MAIL_LEASE_MS = 20_000;

export function workerSettings(ctx: AppContext): WorkerSettings {
  const c = ctx.config;
  return {
    pollIntervalMs: c.mailPollIntervalSeconds * 1000,
    retryBaseMs: c.mailRetryBaseSeconds * 1000,
    retryMaxMs: c.mailRetryMaxSeconds * 1000,
    maxAttempts: c.mailMaxAttempts,
    leaseMs: MAIL_LEASE_MS,
    // No more claimed than can be sent at once, so none waits for a connection while its lease runs.
    batchSize: SMTP_CONNECTIONS,
  };
}

export function startMailDelivery(ctx: AppContext): { stop(): Promise<void> } {
  if (ctx.config.mailDelivery === 'off') return { stop: async () => {} };
  const transport = ctx.config.smtpUrl ? smtpTransport(ctx.config.smtpUrl) : ctx.config.mode === 'development' ? developmentMailbox(ctx) : undefined;
  if (!transport) {
    ctx.log.warn('FOYER_SMTP_URL is not set: invitation e-mail is queued but not sent until it is');
    return { stop: async () => {} };
  }
  return startOutboxWorker(ctx, transport, workerSettings(ctx));
}
