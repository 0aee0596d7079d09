/**
 * Secrets every process of an instance must share (cookie signing keys), kept in the database so that
 * nobody has to configure them and several processes agree. Created on first use; the first process to
 * write wins and the others read its value. Stored wrapped under the master key (at-rest.ts): the
 * database alone does not give them away.
 */

import { type AtRestContext, isMasterKeyRecord, openAtRest, sealAtRest } from './at-rest.js';
import { randomToken } from './ids.js';
import type { Executor } from './storage/database.js';

export interface InstanceSecrets {
  /** Keys for signed cookies, newest first (the first signs, all verify). */
  cookieKeys: string[];
}

/** The row a secret is bound to (the associated data of its wrapping). */
const rowName = (name: string) => `instance_secrets/${name}`;

/** The named secret, created with `make()` if no process has created it yet (the first writer wins). */
export async function getOrCreate(ctx: AtRestContext, name: string, make: () => string): Promise<string> {
  const read = () => ctx.db.kysely.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirst();
  let row = await read();
  if (!row) {
    await ctx.db.kysely
      .insertInto('instance_secrets')
      .values({ name, value: await sealAtRest(ctx, make(), rowName(name)), created_at: ctx.clock.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await read();
  }
  return openAtRest(ctx, row!.value, rowName(name));
}

/** The row holding the cookie keys. */
export const COOKIE_KEYS = 'cookie-keys';

/** A new value for the cookie keys row: one new key (cookies signed under the keys it replaces stop verifying). */
export function newCookieKeys(): string {
  return JSON.stringify([randomToken(32)]);
}

export async function loadInstanceSecrets(ctx: AtRestContext): Promise<InstanceSecrets> {
  const cookieKeys = JSON.parse(await getOrCreate(ctx, COOKIE_KEYS, newCookieKeys)) as string[];
  return { cookieKeys };
}

/**
 * Passes every stored secret through `rewrap(stored, aad, name)` and writes back what it returns (`null`:
 * leave the row). Each row is replaced only if it still holds the value read (compare-and-set), so a
 * concurrent writer is never overwritten. Returns how many rows changed.
 */
export async function rewrapInstanceSecrets(db: Executor, rewrap: (stored: string, aad: string, name: string) => string | null): Promise<number> {
  const rows = await db.selectFrom('instance_secrets').select(['name', 'value']).orderBy('name').execute();
  let changed = 0;
  for (const row of rows) {
    if (isMasterKeyRecord(row.name)) continue;
    const value = rewrap(row.value, rowName(row.name), row.name);
    if (value === null) continue;
    const result = await db.updateTable('instance_secrets').set({ value }).where('name', '=', row.name).where('value', '=', row.value).executeTakeFirst();
    changed += Number(result.numUpdatedRows);
  }
  return changed;
}
