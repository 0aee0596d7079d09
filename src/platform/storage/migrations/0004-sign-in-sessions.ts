import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * A user's sign-ins end at one instant, which Graph publishes as `signInSessionsValidFromDateTime`: the
 * column that held it under an internal name (set by a password reset, a disable or a reset redemption)
 * takes Graph's name, since `revokeSignInSessions` now sets it too and the Graph API shows it. Epoch
 * milliseconds, null while nothing has ended the user's sign-ins. Both backends rename in place (SQLite
 * since 3.25), so the values already stored keep working.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('users').renameColumn('tokens_revoked_at', 'sign_in_sessions_valid_from').execute();
}
