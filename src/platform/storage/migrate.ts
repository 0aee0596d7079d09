/**
 * Versioned schema migrations, run by `foyer migrate` and at every start. Migrations are numbered,
 * applied in order, each inside a transaction (all or nothing on both backends); PostgreSQL takes an
 * advisory lock so several processes starting together migrate once.
 */
import { type Kysely, type Migration, type MigrationResult, Migrator, sql } from 'kysely';
import type { Database, DialectName } from './database.js';
import * as m0001 from './migrations/0001-directory.js';
import * as m0002 from './migrations/0002-invitations.js';
import * as m0003 from './migrations/0003-redemption.js';
import * as m0004 from './migrations/0004-sign-in-sessions.js';
import * as m0005 from './migrations/0005-application-credentials.js';
import * as m0006 from './migrations/0006-user-properties.js';
import * as m0007 from './migrations/0007-search.js';
import * as m0008 from './migrations/0008-directory-changes.js';
import * as m0009 from './migrations/0009-relationships.js';
import * as m0010 from './migrations/0010-must-change-password.js';
import * as m0011 from './migrations/0011-object-counts.js';
import * as m0012 from './migrations/0012-mfa.js';
import * as m0013 from './migrations/0013-deleted-users.js';
import * as m0014 from './migrations/0014-sign-in-log.js';
import * as m0015 from './migrations/0015-app-assignments.js';
import * as m0016 from './migrations/0016-terms-of-use.js';
import * as m0017 from './migrations/0017-access-reviews.js';
import * as m0018 from './migrations/0018-leave.js';
import * as m0019 from './migrations/0019-myaccount-links.js';
import type { DB } from './schema.js';

type Step = { up(db: Kysely<unknown>, dialect: DialectName): Promise<void> };

const steps: Record<string, Step> = {
  '0001-directory': m0001,
  '0002-invitations': m0002,
  '0003-redemption': m0003,
  '0004-sign-in-sessions': m0004,
  '0005-application-credentials': m0005,
  '0006-user-properties': m0006,
  '0007-search': m0007,
  '0008-directory-changes': m0008,
  '0009-relationships': m0009,
  '0010-must-change-password': m0010,
  '0011-object-counts': m0011,
  '0012-mfa': m0012,
  '0013-deleted-users': m0013,
  '0014-sign-in-log': m0014,
  '0015-app-assignments': m0015,
  '0016-terms-of-use': m0016,
  '0017-access-reviews': m0017,
  '0018-leave': m0018,
  '0019-myaccount-links': m0019,
};

function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, { up: (db) => step.up(db, dialect) }]));
}

/** Every migration, oldest first. */
export const migrationNames: readonly string[] = Object.keys(steps).sort();
export const latestMigration = migrationNames.at(-1)!;

export interface MigrateOutcome {
  applied: string[];
  current: string | undefined;
}

/** Arbitrary constant naming Foyer's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK = 0x466f796572; // "Foyer"

export async function migrate(database: Database): Promise<MigrateOutcome> {
  if (database.dialect === 'postgres') {
    // Several processes starting at once on an empty database race on `create schema/table if not
    // exists` (PostgreSQL can fail those with a unique violation). One session-level advisory lock,
    // held on one connection for the whole run, makes the others wait and then find nothing to do.
    return database.kysely.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
      try {
        if (database.schema) {
          await sql`create schema if not exists ${sql.id(database.schema)}`.execute(conn);
          // A session that started before the schema existed resolved its search path without it.
          await sql`set search_path to ${sql.id(database.schema)}`.execute(conn);
        }
        return await runMigrator(conn, database);
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
      }
    });
  }
  let lastError: unknown;
  // SQLite serialises writers; a second process starting at the same instant may find the file busy.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await runMigrator(database.kysely, database);
    } catch (error) {
      lastError = error;
      if (!/SQLITE_BUSY|database is locked/.test(String((error as Error).message))) break;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function newMigrator(db: Kysely<DB>, database: Database): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrationsFor(database.dialect) },
    // Kysely looks for its bookkeeping tables in every schema unless told which one is Foyer's.
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
}

async function runMigrator(db: Kysely<DB>, database: Database): Promise<MigrateOutcome> {
  const migrator = newMigrator(db, database);
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, current: await currentMigration(database) };
}

/** Applies the migrations up to and including `last` only: the database as an earlier release left it (upgrade tests). */
export async function migrateUpTo(database: Database, last: string): Promise<void> {
  const { error } = await newMigrator(database.kysely, database).migrateTo(last);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/** The newest applied migration, or undefined on an empty database. */
export async function currentMigration(database: Database): Promise<string | undefined> {
  const migrator = newMigrator(database.kysely, database);
  const all = await migrator.getMigrations();
  return all.filter((m) => m.executedAt).at(-1)?.name;
}

/** True when the database answers and carries every migration this build knows (for /readyz). */
export async function isMigrated(database: Database): Promise<boolean> {
  try {
    return (await currentMigration(database)) === latestMigration;
  } catch {
    return false;
  }
}
