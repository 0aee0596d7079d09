/**
 * The two storage backends every storage behaviour runs against. PostgreSQL is not optional: a run
 * without it fails, unless FOYER_TEST_SKIP_POSTGRES=1 says so explicitly (for a laptop without it).
 * Each test database is fresh: a temporary SQLite file, or a new schema in PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { installFeatures } from '../../src/features.js';
import { type Clock, ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { createContext } from '../../src/platform/context.js';
import { type Database, openDatabase } from '../../src/platform/storage/database.js';
import { migrate, migrateUpTo } from '../../src/platform/storage/migrate.js';
import { EMPTY_CONFIG } from './config-file.js';
import { TEST_MASTER_KEY } from './master-key.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A URL for a brand-new, empty database. */
  freshUrl(): string;
  /** Removes what freshUrl created. */
  drop(url: string): Promise<void>;
}

export const POSTGRES_BASE = process.env.FOYER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const sqlite: Backend = {
  name: 'sqlite',
  freshUrl: () => `sqlite:${join(tmpdir(), `foyer-test-${randomBytes(6).toString('hex')}.db`)}`,
  async drop(url) {
    const file = url.slice('sqlite:'.length);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  },
};

const postgres: Backend = {
  name: 'postgres',
  freshUrl: () => `${POSTGRES_BASE}?schema=foyer_t_${randomBytes(6).toString('hex')}`,
  async drop(url) {
    const schema = new URL(url).searchParams.get('schema');
    if (!schema) return;
    const client = new pg.Client({ connectionString: POSTGRES_BASE });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await client.end();
    }
  },
};

export const backends: Backend[] = process.env.FOYER_TEST_SKIP_POSTGRES === '1' ? [sqlite] : [sqlite, postgres];

/** Opens and migrates a fresh database on `backend`; returns it with a cleanup function. */
export async function freshDatabase(backend: Backend): Promise<{ db: Database; url: string; cleanup(): Promise<void> }> {
  const url = backend.freshUrl();
  const db = openDatabase(url);
  await migrate(db);
  return {
    db,
    url,
    async cleanup() {
      await db.close();
      await backend.drop(url);
    },
  };
}

/** Untyped access to a database as an earlier release left it: its tables are not today's schema types. */
export type RawDatabase = Kysely<Record<string, Record<string, unknown>>>;

/**
 * For upgrade tests: a fresh database on `backend` with the migrations up to and including `last` only (as
 * the release before a migration left it), `raw` to write the rows that release would have written, and a
 * cleanup function. The test then runs `migrate(db)` and checks what the later migrations made of the rows.
 */
export async function earlierDatabase(backend: Backend, last: string): Promise<{ db: Database; raw: RawDatabase; cleanup(): Promise<void> }> {
  const url = backend.freshUrl();
  const db = openDatabase(url);
  const cleanup = async () => {
    await db.close();
    await backend.drop(url);
  };
  try {
    await migrateUpTo(db, last);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { db, raw: db.kysely as unknown as RawDatabase, cleanup };
}

/** A tenant row as every release has written it (upgrade tests; Contoso as t1 unless told otherwise). */
export async function insertTenantRow(
  raw: RawDatabase,
  createdAt: number,
  tenant: { id: string; display_name: string; slug: string; initial_domain: string } = {
    id: 't1',
    display_name: 'Contoso',
    slug: 'contoso',
    initial_domain: 'contoso.localhost',
  },
): Promise<void> {
  await raw
    .insertInto('tenants')
    .values({ ...tenant, created_at: createdAt })
    .execute();
}

/** An AppContext on a fresh database, for tests that call feature functions directly. */
export async function freshContext(backend: Backend, clock: Clock = new ManualClock(Date.UTC(2026, 10, 25, 12))) {
  const fresh = await freshDatabase(backend);
  const config = loadConfig({
    FOYER_CONFIG: EMPTY_CONFIG,
    FOYER_PUBLIC_URL: 'http://localhost:8080',
    FOYER_LOG_LEVEL: 'silent',
    FOYER_MASTER_KEY: TEST_MASTER_KEY,
  });
  const ctx = createContext({ config, db: fresh.db, clock, log: pino({ level: 'silent' }) });
  // As a server or the CLI would: the features' event listeners subscribed, their mail kinds registered.
  installFeatures(ctx);
  return { ctx, cleanup: fresh.cleanup };
}
