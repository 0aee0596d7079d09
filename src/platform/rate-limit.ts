/**
 * Fixed-window counters in the database, so that every process of an instance counts the same attempts
 * (a limit kept in one process's memory could be sidestepped by a load balancer). Used for failed
 * sign-ins and the per-tenant invitation limit.
 */
import type { Executor } from './storage/database.js';

export interface Window {
  /** Hits counted in the current window, after this call. */
  hits: number;
  /** Milliseconds until the window ends. */
  retryAfterMs: number;
}

function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** Counts one hit against `key` and returns the window's total. */
export async function hit(db: Executor, key: string, windowMs: number, now: number, by = 1): Promise<Window> {
  const start = windowStart(now, windowMs);
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: start, hits: by, expires_at: start + windowMs })
    .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ hits: eb('rate_limits.hits', '+', by) })))
    .returning('hits')
    .executeTakeFirstOrThrow();
  return { hits: Number(row.hits), retryAfterMs: start + windowMs - now };
}

/** The window's total without counting. */
export async function peek(db: Executor, key: string, windowMs: number, now: number): Promise<Window> {
  const start = windowStart(now, windowMs);
  const row = await db.selectFrom('rate_limits').select('hits').where('key', '=', key).where('window_start', '=', start).executeTakeFirst();
  return { hits: row ? Number(row.hits) : 0, retryAfterMs: start + windowMs - now };
}

/** Forgets a key's count (a successful sign-in clears the account's failures). */
export async function reset(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('key', '=', key).execute();
}

/** Takes back one hit of the current window (an attempt that turned out fine). */
export async function release(db: Executor, key: string, windowMs: number, now: number): Promise<void> {
  await db
    .updateTable('rate_limits')
    .set((eb) => ({ hits: eb('hits', '-', 1) }))
    .where('key', '=', key)
    .where('window_start', '=', windowStart(now, windowMs))
    .where('hits', '>', 0)
    .execute();
}

/** Forgets windows that have ended (housekeeping; see platform-feature.ts). */
export async function purgeEndedWindows(db: Executor, now: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('expires_at', '<', now).execute();
}

export interface Limit {
  key: string;
  limit: number;
}

/**
 * Counts an attempt against every limit first, then decides: counting before the (slow) work is what
 * stops a burst of parallel requests from all slipping past a check made before any was counted.
 * Returns the window to wait for when any limit is exceeded.
 */
export async function attempt(db: Executor, limits: Limit[], windowMs: number, now: number): Promise<Window | undefined> {
  const windows = await Promise.all(limits.map((l) => hit(db, l.key, windowMs, now)));
  const exceeded = windows.filter((w, i) => w.hits > limits[i]!.limit);
  if (exceeded.length === 0) return undefined;
  return exceeded.reduce((a, b) => (a.retryAfterMs >= b.retryAfterMs ? a : b));
}
