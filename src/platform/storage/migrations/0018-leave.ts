import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The "My organizations" sign-in looks for the accepted guest, in any tenant, whose mail is the address a
 * person typed (directory/guest-organizations.ts). The existing index leads with the tenant; this one
 * serves the lookup across tenants, so an unauthenticated page does not scan every user.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.createIndex('users_mail_lower').on('users').column('mail_lower').execute();
}
