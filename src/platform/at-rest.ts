/**
 * Secrets at rest: how a secret is stored in the database wrapped under the master key (master-key.ts),
 * and which master key new secrets are wrapped under.
 *
 * A wrapped value is `fyk1.<master key id>.<iv>.<tag>.<ciphertext>` (AES-256-GCM, base64url parts). The
 * key id lets several master keys coexist while an operator rolls over: a process holding the old and
 * the new key reads values wrapped under either. The associated data names the row the value belongs
 * to (`signing_keys/<kid>`), so a value copied into another row does not decrypt there.
 *
 * Which key new values are wrapped under is recorded in the database (the `master-key-in-use` row of
 * `instance_secrets`, a key id, not a secret), not taken from each process's configuration: during a
 * rolling restart, processes that already have the new key keep wrapping under the old one, which the
 * processes not yet restarted can still read. `foyer keys rewrap` moves the record to the new key and
 * then rewraps every stored value.
 *
 * Values stored in clear by versions before this one are still read, and are wrapped at the next start
 * (`wrapPlaintextSecrets` in directory/secrets-at-rest.ts), which also replaces the keys that were
 * exposed in clear.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError } from './config/load.js';
import type { AppContext } from './context.js';
import { type MasterKeys, masterKeys } from './master-key.js';

/** What reading or writing a secret at rest needs. */
export type AtRestContext = Pick<AppContext, 'db' | 'clock' | 'config' | 'log' | 'services'>;

const PREFIX = 'fyk1';
const IN_USE = 'master-key-in-use';

/** The master key id a stored value is wrapped under; `null` for a value stored in clear (from before wrapping). */
export function wrappedUnder(stored: string): string | null {
  if (!stored.startsWith(`${PREFIX}.`)) return null;
  return stored.split('.')[1] ?? null;
}

/** Wraps `plaintext` under the held master key `keyId`; `aad` names the row it is stored in. */
export function wrapWith(keys: MasterKeys, keyId: string, plaintext: string, aad: string): string {
  const key = keys.byId.get(keyId);
  if (!key) throw missingKey(keys, keyId);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [PREFIX, keyId, ...[iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'))].join('.');
}

/** The plaintext of a stored value (one stored in clear by an older version comes back as it is). */
export function unwrapWith(keys: MasterKeys, stored: string, aad: string): string {
  const keyId = wrappedUnder(stored);
  if (keyId === null) return stored;
  const key = keys.byId.get(keyId);
  if (!key) throw missingKey(keys, keyId);
  const [, , iv, tag, body] = stored.split('.').map((p) => Buffer.from(p, 'base64url'));
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv!);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`the stored secret ${aad} does not decrypt under master key ${keyId}: it was altered or moved from another row`);
  }
}

/** The plaintext of a value stored by `sealAtRest`. */
export function openAtRest(ctx: AtRestContext, stored: string, aad: string): string {
  return unwrapWith(masterKeys(ctx), stored, aad);
}

/** Wraps `plaintext` for storage in the row `aad` names, under the master key in use. Never call it inside a transaction. */
export async function sealAtRest(ctx: AtRestContext, plaintext: string, aad: string): Promise<string> {
  const keys = masterKeys(ctx);
  return wrapWith(keys, await masterKeyInUse(ctx), plaintext, aad);
}

/**
 * The id of the master key new secrets are wrapped under: the database's record, or this process's
 * current key when there is no record yet (a new database: the first process to write wins). Refuses,
 * naming the fix, when this process does not hold it.
 */
export async function masterKeyInUse(ctx: AtRestContext): Promise<string> {
  const keys = masterKeys(ctx);
  const read = () => ctx.db.kysely.selectFrom('instance_secrets').select('value').where('name', '=', IN_USE).executeTakeFirst();
  let row = await read();
  if (!row) {
    await ctx.db.kysely
      .insertInto('instance_secrets')
      .values({ name: IN_USE, value: keys.current.id, created_at: ctx.clock.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await read();
  }
  if (!row || !keys.byId.has(row.value)) throw missingKey(keys, row?.value ?? keys.current.id);
  return row.value;
}

/** Makes this process's current master key the one new secrets are wrapped under (the first step of a rewrap). */
export async function useCurrentMasterKey(ctx: AtRestContext): Promise<{ previous: string; current: string }> {
  const previous = await masterKeyInUse(ctx);
  const current = masterKeys(ctx).current.id;
  await ctx.db.kysely.updateTable('instance_secrets').set({ value: current }).where('name', '=', IN_USE).execute();
  return { previous, current };
}

/** True for the `instance_secrets` row that records the key in use (it is a key id, stored in clear). */
export function isMasterKeyRecord(name: string): boolean {
  return name === IN_USE;
}

/** The error for stored values wrapped under `keyId`, a master key this process does not hold: what to set. */
export function missingKey(keys: MasterKeys, keyId: string, rows?: number): ConfigError {
  return new ConfigError(
    `${rows === undefined ? 'Secrets in the database are' : `${rows} secret${rows === 1 ? ' in the database is' : 's in the database are'}`} wrapped under master key ${keyId}, which this process does not hold (it holds ${[...keys.byId.keys()].join(', ')}). ` +
      'Set FOYER_MASTER_KEY (or FOYER_MASTER_KEY_FILE) to the key the database was set up with; while rolling over to a new key, ' +
      'give the old one as FOYER_MASTER_KEY_PREVIOUS until `foyer keys rewrap` has finished.',
  );
}
