/**
 * Per-tenant signing keys, stored in the database so every Foyer process signs with the same key and a
 * rotation made by one process reaches all of them (each compares `tenants.keys_version`).
 *
 * RS256 is what every OIDC relying party must accept (OpenID Connect Core §15.1) and what Graph SDKs
 * expect from Entra; a rotated-out key stays published in the JWKS for a grace period so tokens it signed
 * keep validating until they expire.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Clock } from '../platform/clock.js';
import type { Executor } from '../platform/storage/database.js';

export const SIGNING_ALG = 'RS256';

export interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

export async function generateSigningKey(): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    privateJwk: { ...privateJwk, kid, alg: SIGNING_ALG, use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' },
  };
}

export async function insertSigningKey(db: Executor, tenantId: string, key: { kid: string; privateJwk: JWK; publicJwk: JWK }, now: number): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      tenant_id: tenantId,
      alg: SIGNING_ALG,
      private_jwk: JSON.stringify(key.privateJwk),
      public_jwk: JSON.stringify(key.publicJwk),
      created_at: now,
      retired_at: null,
      expires_at: null,
    })
    .execute();
}

/** Keys still published for a tenant, newest (the signing key) first. */
export async function listSigningKeys(db: Executor, tenantId: string, now: number): Promise<StoredKey[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .execute();
  return rows.map((r) => ({
    kid: r.kid,
    privateJwk: JSON.parse(r.private_jwk) as JWK,
    publicJwk: JSON.parse(r.public_jwk) as JWK,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
  }));
}

/**
 * Makes a new key the signing key. The previous ones are retired and stay published for `graceSeconds`.
 * Returns the new kid.
 */
export async function rotateSigningKey(
  db: { transaction<T>(fn: (trx: Executor) => Promise<T>): Promise<T> },
  clock: Clock,
  tenantId: string,
  graceSeconds: number,
): Promise<string> {
  const key = await generateSigningKey();
  const now = clock.now();
  await db.transaction(async (trx) => {
    await trx
      .updateTable('signing_keys')
      .set({ retired_at: now, expires_at: now + graceSeconds * 1000 })
      .where('tenant_id', '=', tenantId)
      .where('retired_at', 'is', null)
      .execute();
    await insertSigningKey(trx, tenantId, key, now);
    await trx
      .updateTable('tenants')
      .set((eb) => ({ keys_version: eb('keys_version', '+', 1) }))
      .where('id', '=', tenantId)
      .execute();
  });
  return key.kid;
}
