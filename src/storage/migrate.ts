/**
 * Versioned schema migrations, run by `foyer migrate` and at every start. Migrations are numbered,
 * applied in order, each inside a transaction (all or nothing on both backends); PostgreSQL takes an
 * advisory lock so several processes starting together migrate once.
 */
import { type Kysely, type Migration, type MigrationResult, Migrator, sql } from 'kysely';
import type { Database, DialectName } from './database.js';
import * as m0001 from './migrations/0001-directory.js';

type Step = { up(db: Kysely<unknown>, dialect: DialectName): Promise<void> };

const steps: Record<string, Step> = {
  '0001-directory': m0001,
};

function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, { up: (db) => step.up(db, dialect) }]));
}

export const latestMigration = Object.keys(steps).sort().at(-1)!;

export interface MigrateOutcome {
  applied: string[];
  current: string | undefined;
}

export async function migrate(database: Database): Promise<MigrateOutcome> {
  if (database.dialect === 'postgres' && database.schema) {
    await sql`create schema if not exists ${sql.id(database.schema)}`.execute(database.kysely);
  }
  const migrator = new Migrator({
    db: database.kysely as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrationsFor(database.dialect) },
  });
  let lastError: unknown;
  // SQLite serialises writers; a second process starting at the same instant may find the file busy.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) {
      const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
      return { applied, current: await currentMigration(database) };
    }
    lastError = error;
    if (!/SQLITE_BUSY|database is locked/.test(String((error as Error).message))) break;
    await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** The newest applied migration, or undefined on an empty database. */
export async function currentMigration(database: Database): Promise<string | undefined> {
  const migrator = new Migrator({
    db: database.kysely as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrationsFor(database.dialect) },
  });
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
