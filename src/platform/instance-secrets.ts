/**
 * Secrets every process of an instance must share (cookie signing keys), kept in the database so that
 * nobody has to configure them and several processes agree. Created on first use; the first process to
 * write wins and the others read its value.
 */

import type { Clock } from './clock.js';
import { randomToken } from './ids.js';
import type { Database } from './storage/database.js';

export interface InstanceSecrets {
  /** Keys for signed cookies, newest first (the first signs, all verify). */
  cookieKeys: string[];
}

/** The named secret, created with `make()` if no process has created it yet (the first writer wins). */
export async function getOrCreate(db: Database, clock: Clock, name: string, make: () => string): Promise<string> {
  await db.kysely
    .insertInto('instance_secrets')
    .values({ name, value: make(), created_at: clock.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.kysely.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}

export async function loadInstanceSecrets(db: Database, clock: Clock): Promise<InstanceSecrets> {
  const cookieKeys = JSON.parse(await getOrCreate(db, clock, 'cookie-keys', () => JSON.stringify([randomToken(32)]))) as string[];
  return { cookieKeys };
}
