/**
 * Where mail goes: an SMTP server through nodemailer when `FOYER_SMTP_URL` is set, otherwise (in
 * development mode) the development mailbox (mailbox.ts), a table the `/_dev/mailbox` page shows.
 */
import nodemailer from 'nodemailer';
import { DeliveryError, type MailTransport, type RenderedMail } from './message.js';

/** Milliseconds of silence in an SMTP conversation before the attempt counts as failed (retryable). */
export const SMTP_TIMEOUT_MS = 30_000;
/** SMTP connections a process keeps open; the worker hands over at most this many messages at once. */
export const SMTP_CONNECTIONS = 4;

export function smtpTransport(url: string): MailTransport {
  const safe = new URL(url);
  // Reports and the audit log name the server, never its credentials.
  safe.username = '';
  safe.password = '';
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    description: safe.toString(),
    async send(mail: RenderedMail) {
      let info: { rejected?: Array<string | { address: string }>; rejectedErrors?: Array<{ response?: string; responseCode?: number }> };
      try {
        info = await transporter.sendMail({
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
      // nodemailer succeeds when ANY recipient was accepted: a copy reaching the cc address while the
      // invitee's server refused is a failed invitation, not a sent one.
      const rejected = (info.rejected ?? []).map((r) => (typeof r === 'string' ? r : r.address).toLowerCase());
      if (rejected.includes(mail.to.address.toLowerCase())) {
        const reason = info.rejectedErrors?.[0];
        throw new DeliveryError(reason?.response ?? `the server refused ${mail.to.address}`, (reason?.responseCode ?? 550) >= 500);
      }
    },
    async close() {
      transporter.close();
    },
  };
}
