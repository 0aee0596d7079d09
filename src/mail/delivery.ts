/** Starts this process's mail delivery, as configured (see docs/configuration.md, FOYER_MAIL_*). */
import type { AppContext } from '../platform/context.js';
import { developmentMailbox } from './mailbox.js';
import { startOutboxWorker, type WorkerSettings } from './outbox-worker.js';
import { SMTP_CONNECTIONS, SMTP_TIMEOUT_MS, smtpTransport } from './transports.js';

export function workerSettings(ctx: AppContext): WorkerSettings {
  const c = ctx.config;
  return {
    pollIntervalMs: c.mailPollIntervalSeconds * 1000,
    retryBaseMs: c.mailRetryBaseSeconds * 1000,
    retryMaxMs: c.mailRetryMaxSeconds * 1000,
    maxAttempts: c.mailMaxAttempts,
    // Renewed while a message is being sent; lapses only when this process stops renewing it.
    leaseMs: 4 * SMTP_TIMEOUT_MS,
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
