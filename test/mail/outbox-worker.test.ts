/**
 * The outbox worker's lease: a message whose SMTP conversation outlasts the lease is not taken over by
 * another worker while its sender is alive (the lease is renewed), and is taken over once the sender
 * stops renewing it.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/directory/tenants.js';
import { installFeatures } from '../../src/features.js';
import { createInvitation } from '../../src/invitations/create-invitation.js';
import {
  cancelQueuedMail,
  DeliveryError,
  enqueueMail,
  type MailTransport,
  type RenderedMail,
  startOutboxWorker,
  type WorkerSettings,
} from '../../src/mail/outbox.js';
import { systemClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends, freshContext } from '../support/backends.js';

const settings: WorkerSettings = { pollIntervalMs: 20, retryBaseMs: 50, retryMaxMs: 200, maxAttempts: 3, leaseMs: 120, batchSize: 4 };

function slowTransport(delayMs: number, sent: string[]): MailTransport {
  return {
    description: 'slow test transport',
    async send(mail: RenderedMail) {
      await new Promise((r) => setTimeout(r, delayMs));
      sent.push(mail.messageId);
    },
    async close() {},
  };
}

describe.each(backends)('the outbox worker on $name', (backend) => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const fresh = await freshContext(backend, systemClock);
    ctx = { ...fresh.ctx, log: pino({ level: 'silent' }) };
    // The worker renders each message through its feature's mail kind, as the server registers them.
    installFeatures(ctx);
    cleanup = fresh.cleanup;
  });
  afterEach(() => cleanup());

  async function queue(n: number): Promise<void> {
    const { tenant } = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'admin@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    const inviter = { kind: 'cli' as const, permissions: new Set<string>(), actor: { kind: 'cli' as const, displayName: 'test' } };
    for (let i = 0; i < n; i++) {
      await createInvitation(ctx, tenant.id, inviter, {
        invitedUserEmailAddress: `w${i}@fabrikam.example`,
        inviteRedirectUrl: 'https://a.example/',
        sendInvitationMessage: true,
      });
    }
  }

  it('keeps a message while a slow send outlasts the lease, so a second worker does not send it too', async () => {
    await queue(3);
    const sent: string[] = [];
    // Each send takes four leases' time; two workers poll every 20 ms.
    const a = startOutboxWorker(ctx, slowTransport(500, sent), settings);
    const b = startOutboxWorker(ctx, slowTransport(500, sent), settings);
    try {
      for (let i = 0; i < 200 && sent.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 700)); // long enough for a wrongful second send to finish
      expect(sent).toHaveLength(3);
      expect(new Set(sent).size).toBe(3);
      const rows = await ctx.db.kysely.selectFrom('outbox').select(['state', 'attempts', 'secret']).execute();
      expect(rows.every((r) => r.state === 'sent' && r.attempts === 1 && r.secret === null)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('lets another worker take over a message whose sender stopped renewing its lease', async () => {
    await queue(1);
    // A sender that claimed the message and then vanished: its lease simply lapses.
    const now = Date.now();
    await ctx.db.kysely
      .updateTable('outbox')
      .set({ lease_owner: 'a-dead-process', lease_until: now + 100, attempts: 1 })
      .execute();
    const sent: string[] = [];
    const b = startOutboxWorker(ctx, slowTransport(0, sent), settings);
    try {
      await new Promise((r) => setTimeout(r, 60));
      expect(sent).toHaveLength(0); // still leased
      for (let i = 0; i < 100 && sent.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(sent).toHaveLength(1);
      // The transport has the message; the worker records it as sent right after.
      const read = () => ctx.db.kysely.selectFrom('outbox').select(['state', 'attempts']).executeTakeFirstOrThrow();
      let row = await read();
      for (let i = 0; i < 100 && row.state !== 'sent'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        row = await read();
      }
      expect(row).toEqual({ state: 'sent', attempts: 2 });
    } finally {
      await b.stop();
    }
  });

  it('does not send a retry whose link a newer invitation replaced while the first attempt was under way', async () => {
    await queue(1);
    const sent: string[] = [];
    let attempts = 0;
    // The first attempt is slow and then refused for now; while it is under way, a newer invitation
    // replaces the link (cancelQueuedMail leaves a message being sent alone).
    const transport: MailTransport = {
      description: 'refuses once',
      async send(mail: RenderedMail) {
        attempts++;
        if (attempts === 1) {
          const ids = (await ctx.db.kysely.selectFrom('invitations').select('id').execute()).map((i) => i.id);
          await ctx.db.transaction(async (trx) => {
            await trx.updateTable('invitations').set({ ticket_state: 'superseded' }).execute();
            await cancelQueuedMail(trx, ids, Date.now());
          });
          throw new DeliveryError('451 try again later', false);
        }
        sent.push(mail.messageId);
      },
      async close() {},
    };
    const worker = startOutboxWorker(ctx, transport, settings);
    try {
      let row;
      for (let i = 0; i < 100; i++) {
        row = await ctx.db.kysely.selectFrom('outbox').select(['state', 'secret']).executeTakeFirstOrThrow();
        if (row.state !== 'queued') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 200)); // past the retry delay: nothing more may be attempted
      expect(row).toEqual({ state: 'cancelled', secret: null });
      expect(sent).toEqual([]);
      expect(attempts).toBe(1);
    } finally {
      await worker.stop();
    }
  });
  it('records the failed delivery of an invitation whose sealed ticket cannot be opened, on its last attempt', async () => {
    await queue(1);
    // A damaged sealed ticket, on the message's last attempt.
    await ctx.db.kysely
      .updateTable('outbox')
      .set({ secret: 'not.a.sealed-value', attempts: settings.maxAttempts - 1 })
      .execute();
    const sent: string[] = [];
    const worker = startOutboxWorker(ctx, slowTransport(0, sent), settings);
    try {
      await worker.runOnce();
      const row = await ctx.db.kysely.selectFrom('outbox').select(['state', 'secret']).executeTakeFirstOrThrow();
      expect(row).toEqual({ state: 'failed', secret: null });
      expect(sent).toEqual([]);
      const audit = await ctx.db.kysely.selectFrom('audit_events').select('activity').where('activity', '=', 'Invitation email delivery failed').execute();
      expect(audit).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it('gives up at once on a message of a kind no feature renders, and sends nothing', async () => {
    const { tenant } = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'admin@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    await ctx.db.transaction((trx) =>
      enqueueMail(trx, ctx, {
        tenantId: tenant.id,
        invitationId: null,
        recipient: 'x@fabrikam.example',
        payload: { kind: 'retired-kind' },
        secret: null,
        now: Date.now(),
      }),
    );
    const sent: string[] = [];
    const worker = startOutboxWorker(ctx, slowTransport(0, sent), settings);
    try {
      await worker.runOnce();
      const row = await ctx.db.kysely.selectFrom('outbox').select(['state', 'attempts', 'last_error']).executeTakeFirstOrThrow();
      expect(row).toEqual({ state: 'failed', attempts: 1, last_error: "no feature renders mail of kind 'retired-kind'" });
      expect(sent).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});
