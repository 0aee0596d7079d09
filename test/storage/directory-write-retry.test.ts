/**
 * A directory write that PostgreSQL picks as a deadlock victim is run again (directoryTransaction), so
 * the caller sees it succeed instead of a 503; a plain transaction keeps failing with 40P01. Two writers
 * take two tenants' change counters in opposite order (what beginDirectoryWrite's ordering prevents,
 * forced here) on their first attempt only. SQLite runs one writer at a time and never deadlocks.
 */
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIRECTORY_WRITE_ATTEMPTS, directoryTransaction, nextChangeSeq } from '../../src/directory/changes.js';
import type { Database, Executor } from '../../src/platform/storage/database.js';
import { backends, freshDatabase } from '../support/backends.js';

describe.each(backends.filter((b) => b.name === 'postgres'))('directory write retry on $name', (backend) => {
  async function withTenants(run: (db: Database) => Promise<void>) {
    const { db, cleanup } = await freshDatabase(backend);
    try {
      const raw = db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const now = Date.UTC(2026, 0, 1);
      for (const id of ['ta', 'tb']) {
        await raw
          .insertInto('tenants')
          .values({ id, display_name: id, slug: id, initial_domain: `${id}.localhost`, created_at: now })
          .execute();
        await nextChangeSeq(db.kysely, id);
      }
      await run(db);
    } finally {
      await cleanup();
    }
  }

  /** Two writers, each taking one counter, then (first attempt only, once both hold theirs) the other's. */
  function crossedWriters(transaction: (fn: (trx: Executor) => Promise<void>) => Promise<void>) {
    let holding = 0;
    let release!: () => void;
    const bothHold = new Promise<void>((r) => (release = r));
    const attempts = { ta: 0, tb: 0 };
    const writer = (first: 'ta' | 'tb', second: 'ta' | 'tb') =>
      transaction(async (trx) => {
        attempts[first]++;
        await nextChangeSeq(trx, first);
        if (attempts[first] === 1) {
          if (++holding === 2) release();
          await bothHold;
        }
        await nextChangeSeq(trx, second);
      });
    return { results: Promise.allSettled([writer('ta', 'tb'), writer('tb', 'ta')]), attempts };
  }

  it('runs the deadlock victim again: both writes commit', async () => {
    await withTenants(async (db) => {
      const { results, attempts } = crossedWriters((fn) => directoryTransaction(db, fn));
      const settled = await results;
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
      // One of them ran twice; each counter moved by two (plus the row's first value).
      expect(attempts.ta + attempts.tb).toBe(3);
      const rows = await db.kysely.selectFrom('directory_change_counters').select(['tenant_id', 'value']).orderBy('tenant_id').execute();
      expect(rows.map((r) => Number(r.value))).toEqual([3, 3]);
      expect(DIRECTORY_WRITE_ATTEMPTS).toBeGreaterThan(1);
    });
  }, 30_000);

  it('without the retry, one of the two fails with 40P01 (what the retry is for)', async () => {
    await withTenants(async (db) => {
      const { results } = crossedWriters((fn) => db.transaction(fn));
      const settled = await results;
      const failed = settled.filter((s) => s.status === 'rejected');
      expect(failed.length).toBe(1);
      expect((failed[0] as PromiseRejectedResult).reason.code).toBe('40P01');
    });
  }, 30_000);
});
