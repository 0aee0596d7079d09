import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Graph's `passwordProfile.forceChangePasswordNextSignIn`: a member whose password an administrator set
 * (at creation or as a reset) may have to choose their own at the next sign-in. An integer 0/1 like every
 * boolean; existing users owe no change (0). Cleared by the change itself, set again by the next reset
 * that asks for it.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
