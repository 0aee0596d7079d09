/**
 * The development mailbox: without `FOYER_SMTP_URL`, in development mode, mail is delivered to a table
 * instead of a server, and the `/_dev/mailbox` pages (web/dev/) read it back through these functions.
 */
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { MailTransport, RenderedMail } from './message.js';

export interface MailboxMessage {
  id: string;
  /** ISO 8601 */
  at: string;
  mail: RenderedMail;
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

/** The newest messages first. */
export async function listMailbox(db: Executor, limit: number): Promise<MailboxMessage[]> {
  const rows = await db.selectFrom('development_mailbox').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map(fromRow);
}

export async function findMailboxMessage(db: Executor, id: string): Promise<MailboxMessage | undefined> {
  const row = await db.selectFrom('development_mailbox').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

function fromRow(row: { id: string; created_at: number; message: string }): MailboxMessage {
  return { id: row.id, at: new Date(row.created_at).toISOString(), mail: JSON.parse(row.message) as RenderedMail };
}
