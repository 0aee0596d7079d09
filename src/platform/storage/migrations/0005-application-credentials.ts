import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Application credentials with a lifecycle (Graph's `application` and `passwordCredential`): a secret
 * gets a display name and a validity window (`starts_at` … `expires_at`), and is identified to
 * administrators by its row id (Graph's `keyId`), so it can be rotated and revoked. Apps get a
 * lower-cased name for `$filter`/`$orderby` on `displayName`, and the app that created them through
 * Graph with `Application.ReadWrite.OwnedBy` (their owner).
 *
 * Existing secrets keep working: they start at their creation time and keep their (usually absent) end.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // Compared byte by byte on both backends, as the other searchable copies (see 0001).
  const searchable = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema.alterTable('application_secrets').addColumn('display_name', 'text').execute();
  await db.schema.alterTable('application_secrets').addColumn('starts_at', 'bigint').execute();
  await sql`update application_secrets set starts_at = created_at`.execute(db);

  await db.schema.alterTable('applications').addColumn('display_name_lower', searchable).execute();
  await db.schema.alterTable('applications').addColumn('owner_app_id', 'text').execute();
  // JavaScript's toLowerCase, as the application code writes it (SQL lower() differs between backends
  // beyond ASCII).
  const apps = await sql<{ id: string; display_name: string }>`select id, display_name from applications`.execute(db);
  for (const app of apps.rows) {
    await sql`update applications set display_name_lower = ${app.display_name.toLowerCase()} where id = ${app.id}`.execute(db);
  }
  await db.schema.createIndex('applications_tenant_name').on('applications').columns(['tenant_id', 'display_name_lower', 'id']).execute();
}
