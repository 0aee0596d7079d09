/**
 * Per-tenant signing keys, stored in the database so every Foyer process signs with the same key and a
 * rotation made by one process reaches all of them (each compares `tenants.keys_version`).
 *
 * RS256 is what every OIDC relying party must accept (OpenID Connect Core §15.1) and what Graph SDKs
 * expect from Entra; a rotated-out key stays published in the JWKS for a grace period so tokens it signed
 * keep validating until they expire.
 *
 * The private key is stored wrapped under the master key (platform/at-rest.ts): a copy of the database,
 * or a PostgreSQL dump, holds no key that can sign a token.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { type AtRestContext, openAtRest, sealAtRest } from '../platform/at-rest.js';
import type { Executor } from '../platform/storage/database.js';

export const SIGNING_ALG = 'RS256';

export interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

/** A new key pair, its private half already wrapped for storage. */
export interface NewSigningKey {
  kid: string;
  publicJwk: JWK;
  /** The private JWK wrapped under the master key, as `signing_keys.private_jwk` holds it. */
  wrappedPrivateJwk: string;
}

/** The row a private key is bound to (the associated data of its wrapping). */
const rowName = (kid: string) => `signing_keys/${kid}`;

/** Generates a key pair and wraps its private half. Call it before the transaction that inserts it. */
export async function generateSigningKey(ctx: AtRestContext): Promise<NewSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' },
    wrappedPrivateJwk: await sealAtRest(ctx, JSON.stringify({ ...privateJwk, kid, alg: SIGNING_ALG, use: 'sig' }), rowName(kid)),
  };
}

export async function insertSigningKey(db: Executor, tenantId: string, key: NewSigningKey, now: number): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      tenant_id: tenantId,
      alg: SIGNING_ALG,
      private_jwk: key.wrappedPrivateJwk,
      public_jwk: JSON.stringify(key.publicJwk),
      created_at: now,
      retired_at: null,
      expires_at: null,
    })
    .execute();
}

/** Keys still published for a tenant, newest (the signing key) first, private halves unwrapped. */
export async function listSigningKeys(ctx: AtRestContext, tenantId: string, now: number): Promise<StoredKey[]> {
  const rows = await ctx.db.kysely
    .selectFrom('signing_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .execute();
  return rows.map((r) => ({
    kid: r.kid,
    privateJwk: JSON.parse(openAtRest(ctx, r.private_jwk, rowName(r.kid))) as JWK,
    publicJwk: JSON.parse(r.public_jwk) as JWK,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
  }));
}

/**
 * Makes a new key the signing key. The previous ones are retired and stay published for `graceSeconds`;
 * 0 withdraws them at once (a key that was exposed: tokens it signed stop verifying). Returns the new kid.
 */
export async function rotateSigningKey(ctx: AtRestContext, tenantId: string, graceSeconds: number): Promise<string> {
  const key = await generateSigningKey(ctx);
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
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

/**
 * Passes every stored private key through `rewrap(stored, aad)` and writes back what it returns (`null`:
 * leave the row), a page at a time. Each row is replaced only if it still holds the value read
 * (compare-and-set), so a concurrent rotation is never overwritten. Returns how many rows changed.
 */
export async function rewrapSigningKeys(db: Executor, rewrap: (stored: string, aad: string) => string | null): Promise<number> {
  let changed = 0;
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('signing_keys').select(['kid', 'private_jwk']).where('kid', '>', after).orderBy('kid').limit(500).execute();
    for (const row of rows) {
      const value = rewrap(row.private_jwk, rowName(row.kid));
      if (value === null) continue;
      const result = await db
        .updateTable('signing_keys')
        .set({ private_jwk: value })
        .where('kid', '=', row.kid)
        .where('private_jwk', '=', row.private_jwk)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    if (rows.length < 500) return changed;
    after = rows.at(-1)!.kid;
  }
}
