/**
 * Every secret Foyer keeps in its database, passed through the master key in one place: the instance's
 * secrets (cookie, link and sealing keys: platform/instance-secrets.ts) and the tenants' signing keys
 * (signing-keys.ts). What the sealing key seals (queued tickets and passcodes, identity providers'
 * client secrets) is covered through it. Passwords, application secrets and the ids of OpenID
 * artefacts are stored as hashes, which a master key would add nothing to.
 *
 * Two passes use it: every start wraps values an older version stored in clear (that is how an existing
 * database is upgraded: no migration, since a migration runs without the master key), and
 * `foyer keys rewrap` rewraps everything under the current master key.
 *
 * Wrapping a value does not unsay it: a key that was stored in clear is in old copies of the database,
 * in PostgreSQL's dead rows, WAL archives and backups, and (until scrubbed) in SQLite's free pages and
 * `-wal`. So when the start-up pass finds secrets in clear it treats them as exposed: every tenant's
 * signing key is rotated with the old one withdrawn at once (tokens it signed stop verifying; people
 * sign in again) and the cookie keys are replaced (browser sessions end once). The link-signing and
 * sealing keys are kept: they mint no token (a forged "block future invitations" link is all the link
 * key gives), and replacing the sealing key would make the tickets of queued mail unreadable. On SQLite
 * the file is then scrubbed of the old bytes (`scrubFreedSpace`).
 */
import { type AtRestContext, masterKeyInUse, missingKey, unwrapWith, useCurrentMasterKey, wrappedUnder, wrapWith } from '../platform/at-rest.js';
import { COOKIE_KEYS, newCookieKeys, rewrapInstanceSecrets } from '../platform/instance-secrets.js';
import { type MasterKeys, masterKeys } from '../platform/master-key.js';
import { scrubFreedSpace } from '../platform/storage/database.js';
import { rewrapSigningKeys, rotateSigningKey } from './signing-keys.js';

export interface RewrapOutcome {
  /** The master key id everything is now wrapped under. */
  keyId: string;
  /** The key id new secrets were wrapped under before (the same as `keyId` for a start-up pass). */
  previousKeyId: string;
  /** Rows rewritten. */
  rewrapped: number;
}

export interface UpgradeOutcome extends RewrapOutcome {
  /** Tenants whose signing key was replaced because secrets had been stored in clear. */
  rotatedTenants: number;
}

/**
 * The start-up pass. Refuses (naming the key and what to set) when a stored value is wrapped under a
 * master key this process does not hold, rather than start and fail at the first token of that tenant.
 * Wraps, under the master key in use, every secret an older version stored in clear; if there was any,
 * replaces the exposed keys (see above) and scrubs the SQLite file. Cheap when there is nothing to do.
 */
export async function wrapPlaintextSecrets(ctx: AtRestContext): Promise<UpgradeOutcome> {
  const keyId = await masterKeyInUse(ctx);
  const keys = masterKeys(ctx);
  const unheld = new Map<string, number>();
  const wrap = (stored: string, aad: string, replacement?: string): string | null => {
    const under = wrappedUnder(stored);
    if (under !== null) {
      if (!keys.byId.has(under)) unheld.set(under, (unheld.get(under) ?? 0) + 1);
      return null;
    }
    return wrapWith(keys, keyId, replacement ?? stored, aad);
  };
  // Cookie keys found in clear are replaced in the same compare-and-set that wraps them, so a process
  // starting beside this one reads either the clear value (and loses its own write) or the new one.
  const rewrapped =
    (await rewrapInstanceSecrets(ctx.db.kysely, (stored, aad, name) => wrap(stored, aad, name === COOKIE_KEYS ? newCookieKeys() : undefined))) +
    (await rewrapSigningKeys(ctx.db.kysely, (stored, aad) => wrap(stored, aad)));
  let rotatedTenants = 0;
  if (rewrapped) {
    const tenants = await ctx.db.kysely.selectFrom('tenants').select('id').orderBy('id').execute();
    for (const { id } of tenants) await rotateSigningKey(ctx, id, 0);
    rotatedTenants = tenants.length;
    const scrubbed = await scrubFreedSpace(ctx.db);
    ctx.log.warn(
      { rows: rewrapped, masterKeyId: keyId, rotatedTenants, scrubbed },
      `secrets stored in clear by an older version were wrapped under the master key; treating them as exposed, every tenant's signing key was ` +
        'replaced (the old ones are withdrawn: tokens they signed no longer verify, so people sign in again) and the cookie keys were replaced ' +
        '(browser sessions end once). Old backups and dumps of this database still hold the old keys in clear: destroy them.' +
        (scrubbed ? '' : ' Another process kept the SQLite log from being emptied; it is emptied at its next checkpoint.'),
    );
  }
  // After the replacement: a start refused here must not leave keys found in clear unreplaced (the next
  // start would find nothing in clear).
  const [missing] = unheld;
  if (missing) throw missingKey(keys, missing[0], missing[1]);
  return { keyId, previousKeyId: keyId, rewrapped, rotatedTenants };
}

export interface RewrapOptions {
  /**
   * Seconds to wait after the passes before the final one: longer than any process takes between
   * sealing a secret under the key in use it read and committing it (hashing a password comes between).
   */
  settleSeconds?: number;
  /** How to wait (tests replace it to commit a row at that moment). */
  sleep?: (ms: number) => Promise<void>;
}

/** Rows still not under the current master key after a rewrap: `foyer keys rewrap` fails on it. */
export class RewrapIncomplete extends Error {
  override name = 'RewrapIncomplete';
}

/**
 * Moves every secret to this process's current master key. New secrets are wrapped under it from the
 * first step on; then each row is rewrapped on its own (no long transaction, nothing locked), and the
 * pass repeats until it finds nothing left, so a key a process wrapped under the old key meanwhile is
 * caught too. A process may have read the old record just before the first step and commit a row
 * under the old key after the passes: the rewrap waits `settleSeconds` and runs a final pass, then
 * counts what is still not under the current key and throws `RewrapIncomplete` if anything is. Running
 * processes that hold both keys read every row throughout. Rows under a key this process does not hold
 * are left as they are and counted.
 */
export async function rewrapAllSecrets(ctx: AtRestContext, options: RewrapOptions = {}): Promise<RewrapOutcome> {
  const { previous, current } = await useCurrentMasterKey(ctx);
  const keys = masterKeys(ctx);
  const needs = (stored: string) => {
    const under = wrappedUnder(stored);
    return under !== current && (under === null || keys.byId.has(under));
  };
  let rewrapped = 0;
  for (let pass = 0; pass < 10; pass++) {
    const changed = await rewrapAll(ctx, keys, current, needs);
    rewrapped += changed;
    if (changed === 0) break;
  }
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  await sleep((options.settleSeconds ?? 10) * 1000);
  rewrapped += await rewrapAll(ctx, keys, current, needs);
  if (rewrapped) await scrubFreedSpace(ctx.db);

  const left = new Map<string, number>();
  const tally = (stored: string) => {
    const under = wrappedUnder(stored) ?? 'in clear';
    if (under !== current) left.set(under, (left.get(under) ?? 0) + 1);
    return null;
  };
  await rewrapInstanceSecrets(ctx.db.kysely, tally);
  await rewrapSigningKeys(ctx.db.kysely, tally);
  if (left.size) {
    const count = [...left.values()].reduce((a, b) => a + b, 0);
    const where = [...left].map(
      ([id, n]) => `${n} under ${id === 'in clear' ? 'no key (in clear)' : `master key ${id}`}${keys.byId.has(id) ? '' : ', not held'}`,
    );
    throw new RewrapIncomplete(
      `${count} stored secret${count === 1 ? ' is' : 's are'} still not wrapped under master key ${current} (${where.join('; ')}). ` +
        'Keep FOYER_MASTER_KEY_PREVIOUS (and give every key named above) and run `foyer keys rewrap` again.',
    );
  }
  return { keyId: current, previousKeyId: previous, rewrapped };
}

async function rewrapAll(ctx: AtRestContext, keys: MasterKeys, keyId: string, needs: (stored: string) => boolean): Promise<number> {
  const rewrap = (stored: string, aad: string) => (needs(stored) ? wrapWith(keys, keyId, unwrapWith(keys, stored, aad), aad) : null);
  return (await rewrapInstanceSecrets(ctx.db.kysely, rewrap)) + (await rewrapSigningKeys(ctx.db.kysely, rewrap));
}
