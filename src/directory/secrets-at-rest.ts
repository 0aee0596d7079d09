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
 */
import { type AtRestContext, masterKeyInUse, unwrapWith, useCurrentMasterKey, wrappedUnder, wrapWith } from '../platform/at-rest.js';
import { rewrapInstanceSecrets } from '../platform/instance-secrets.js';
import { masterKeys } from '../platform/master-key.js';
import { rewrapSigningKeys } from './signing-keys.js';

export interface RewrapOutcome {
  /** The master key id everything is now wrapped under. */
  keyId: string;
  /** The key id new secrets were wrapped under before (the same as `keyId` for a start-up pass). */
  previousKeyId: string;
  /** Rows rewritten. */
  rewrapped: number;
}

/** Wraps, under the master key in use, every secret an older version stored in clear. Runs at every start; cheap when there is none. */
export async function wrapPlaintextSecrets(ctx: AtRestContext): Promise<RewrapOutcome> {
  const keyId = await masterKeyInUse(ctx);
  const rewrapped = await rewrapAll(ctx, keyId, (stored) => wrappedUnder(stored) === null);
  return { keyId, previousKeyId: keyId, rewrapped };
}

/**
 * Moves every secret to this process's current master key. New secrets are wrapped under it from the
 * first step on; then each row is rewrapped on its own (no long transaction, nothing locked), and the
 * pass repeats until it finds nothing left, so a key a process wrapped under the old key meanwhile is
 * caught too. Running processes that hold both keys read every row throughout.
 */
export async function rewrapAllSecrets(ctx: AtRestContext): Promise<RewrapOutcome> {
  const { previous, current } = await useCurrentMasterKey(ctx);
  let rewrapped = 0;
  for (let pass = 0; pass < 10; pass++) {
    const changed = await rewrapAll(ctx, current, (stored) => wrappedUnder(stored) !== current);
    rewrapped += changed;
    if (changed === 0) break;
  }
  return { keyId: current, previousKeyId: previous, rewrapped };
}

async function rewrapAll(ctx: AtRestContext, keyId: string, needs: (stored: string) => boolean): Promise<number> {
  const keys = masterKeys(ctx);
  const rewrap = (stored: string, aad: string) => (needs(stored) ? wrapWith(keys, keyId, unwrapWith(keys, stored, aad), aad) : null);
  return (await rewrapInstanceSecrets(ctx.db.kysely, rewrap)) + (await rewrapSigningKeys(ctx.db.kysely, rewrap));
}
