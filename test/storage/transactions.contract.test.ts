/**
 * `db.transaction()` on both backends, and SQLite's group commit in particular: transactions that run
 * together commit together, but each one is still all-or-nothing on its own and its caller hears its
 * own outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/storage/database.js';
import { backends, freshDatabase } from '../support/backends.js';

describe.each(backends)('transactions on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ db, cleanup } = await freshDatabase(backend));
  });
  afterAll(() => cleanup?.());

  const put = (trx: Parameters<Parameters<Database['transaction']>[0]>[0], name: string) =>
    trx.insertInto('instance_secrets').values({ name, value: 'v', created_at: 1 }).execute();
  const names = async (prefix: string) =>
    (await db.kysely.selectFrom('instance_secrets').select('name').where('name', 'like', `${prefix}%`).orderBy('name').execute()).map((r) => r.name);

  it('commits every transaction of a burst, and rolls back only the ones that failed', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        db.transaction(async (trx) => {
          await put(trx, `burst-${String(i).padStart(2, '0')}-a`);
          await put(trx, `burst-${String(i).padStart(2, '0')}-b`);
          if (i % 3 === 0) throw new Error(`refused ${i}`);
          return i * 10;
        }),
      ),
    );
    outcomes.forEach((o, i) => {
      if (i % 3 === 0) expect(o).toMatchObject({ status: 'rejected', reason: { message: `refused ${i}` } });
      else expect(o).toEqual({ status: 'fulfilled', value: i * 10 });
    });
    const stored = await names('burst-');
    const expected = Array.from({ length: 40 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .flatMap((i) => [`burst-${String(i).padStart(2, '0')}-a`, `burst-${String(i).padStart(2, '0')}-b`]);
    expect(stored).toEqual(expected);
  });

  it('turns a unique violation into the caller’s error without harming its neighbours', async () => {
    await db.transaction((trx) => put(trx, 'unique-x'));
    const [dup, fine] = await Promise.allSettled([db.transaction((trx) => put(trx, 'unique-x')), db.transaction((trx) => put(trx, 'unique-y'))]);
    expect(dup.status).toBe('rejected');
    expect(fine.status).toBe('fulfilled');
    expect(await names('unique-')).toEqual(['unique-x', 'unique-y']);
  });

  it('lets a transaction read its own writes', async () => {
    const seen = await db.transaction(async (trx) => {
      await put(trx, 'own-1');
      return (await trx.selectFrom('instance_secrets').select('name').where('name', '=', 'own-1').executeTakeFirst())?.name;
    });
    expect(seen).toBe('own-1');
  });

  it.runIf(backend.name === 'sqlite')('waits for another process writing the same file, instead of failing', async () => {
    const { spawn } = await import('node:child_process');
    const writer = spawn(process.execPath, ['--import', 'tsx', 'test/support/sqlite-writer.ts', db.description, '1500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let written = '';
    writer.stdout!.on('data', (c: Buffer) => (written += c.toString()));
    const exited = new Promise((r) => writer.once('exit', r));
    await new Promise((r) => setTimeout(r, 300)); // the writer is running
    const failures: unknown[] = [];
    for (let round = 0; round < 30; round++) {
      const results = await Promise.allSettled(
        [0, 1, 2].map((i) =>
          db.transaction(async (trx) => {
            // Read first, then write: the pattern a plain BEGIN lets another process's commit break.
            await trx.selectFrom('instance_secrets').select('name').where('name', 'like', 'round-%').execute();
            await new Promise((r) => setTimeout(r, 3)); // long enough for the writer to commit in between
            await put(trx, `round-${String(round).padStart(2, '0')}-${i}`);
          }),
        ),
      );
      failures.push(...results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason));
      await new Promise((r) => setTimeout(r, 5));
    }
    await exited;
    expect(failures).toEqual([]);
    expect(Number(written)).toBeGreaterThan(10);
    expect(await names('round-')).toHaveLength(90);
  });
});
