/**
 * The development mailbox: without `FOYER_SMTP_URL`, in development mode, mail is delivered to a table
 * instead of a server, and the `/_dev/mailbox` pages (web/dev/) read it back through these functions.
 */
import { type RawBuilder, sql } from 'kysely';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
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

/** Which messages a page of the mailbox holds. */
export interface MailboxQuery {
  /** Only messages to this address (any letter case). */
  to?: string;
  /** Only messages older than this one (the last id of the page before): the next page. */
  before?: string;
  limit: number;
}

export interface MailboxPage {
  /** Newest first, at most `limit`. */
  messages: MailboxMessage[];
  /** More messages match than the page holds: the next page starts `before` the last one. */
  more: boolean;
}

/**
 * One page of the mailbox, newest first, narrowed in the query itself (not after the newest `limit` rows
 * are read, which would hide a recipient's older mail behind other people's newer mail).
 */
export async function listMailboxPage(db: Executor, dialect: DialectName, query: MailboxQuery): Promise<MailboxPage> {
  let select = db.selectFrom('development_mailbox').selectAll();
  if (query.to) select = select.where(sql<string>`lower(${recipientAddress(dialect)})`, '=', sql<string>`lower(${query.to})`);
  if (query.before) select = select.where('id', '<', query.before);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return { messages: rows.slice(0, query.limit).map(fromRow), more: rows.length > query.limit };
}

/** The `to` address inside the stored message (JSON text), in each dialect's own JSON functions. */
function recipientAddress(dialect: DialectName): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`(message::json -> 'to' ->> 'address')` : sql<string>`json_extract(message, '$.to.address')`;
}

export async function findMailboxMessage(db: Executor, id: string): Promise<MailboxMessage | undefined> {
  const row = await db.selectFrom('development_mailbox').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

function fromRow(row: { id: string; created_at: number; message: string }): MailboxMessage {
  return { id: row.id, at: new Date(row.created_at).toISOString(), mail: JSON.parse(row.message) as RenderedMail };
}
