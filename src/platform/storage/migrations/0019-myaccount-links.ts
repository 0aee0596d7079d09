import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `myaccount_links`: the one-time links the "My organizations" sign-in mails to an address that is an
 * accepted guest (src/governance/myaccount-links.ts). Only the ticket's SHA-256 is kept; a link is spent by
 * a compare-and-set on `used_at` and dies at `expires_at`. A request for an address that is no guest writes
 * a row too, with no guest and a hash no ticket matches, so both requests do the same work.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('myaccount_links')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    /** The guest the link signs in for, and its tenant; null: an address that is no accepted guest (nothing was sent). */
    .addColumn('tenant_id', 'text')
    .addColumn('guest_id', 'text')
    /** The address as the person typed it (the guest flow's address); null with no guest. */
    .addColumn('address', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('myaccount_links_expiry').on('myaccount_links').column('expires_at').execute();
}
