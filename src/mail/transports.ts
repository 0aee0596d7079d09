/**
 * Where mail goes: an SMTP server through nodemailer when `FOYER_SMTP_URL` is set, otherwise (in
 * development mode) the development mailbox, a table the `/_dev/mailbox` page shows.
 */
import nodemailer from 'nodemailer';
import type { AppContext } from '../context.js';
import { newId } from '../platform/ids.js';
import { DeliveryError, type MailTransport, type RenderedMail } from './outbox.js';

/** Seconds an SMTP conversation may take before it counts as a failed (retryable) attempt. */
export const SMTP_TIMEOUT_MS = 30_000;

export function smtpTransport(url: string): MailTransport {
  const safe = new URL(url);
  if (safe.password) safe.password = '***';
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 4,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    description: safe.toString(),
    async send(mail: RenderedMail) {
      try {
        await transporter.sendMail({
          messageId: mail.messageId,
          from: mail.from,
          to: mail.to.name ? { name: mail.to.name, address: mail.to.address } : mail.to.address,
          ...(mail.cc ? { cc: mail.cc.name ? { name: mail.cc.name, address: mail.cc.address } : mail.cc.address } : {}),
          ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
        });
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message?: string; code?: string };
        // 5xx is the server's final word (unknown mailbox, policy refusal); 4xx and network errors pass.
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
        throw new DeliveryError(e.response ?? e.message ?? String(err), permanent);
      }
    },
    async close() {
      transporter.close();
    },
  };
}

export function developmentMailbox(ctx: AppContext): MailTransport {
  return {
    description: 'development mailbox',
    async send(mail: RenderedMail) {
      await ctx.db.kysely
        .insertInto('development_mailbox')
        .values({ id: newId(), outbox_id: mail.messageId, message: JSON.stringify(mail), created_at: ctx.clock.now() })
        .execute();
    },
    async close() {},
  };
}
