/**
 * Secrets at rest, on both backends: what the database holds is wrapped under a master key it does not
 * hold, so a dump alone signs nothing; a rollover to a new master key keeps every process reading; a
 * database written by an older version (secrets in clear) keeps working and is wrapped at start.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { importJWK } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewrapAllSecrets, wrapPlaintextSecrets } from '../../src/directory/secrets-at-rest.js';
import { generateSigningKey, listSigningKeys, rotateSigningKey } from '../../src/directory/signing-keys.js';
import { createTenant } from '../../src/directory/tenants.js';
import { installFeatures } from '../../src/features.js';
import { useCurrentMasterKey } from '../../src/platform/at-rest.js';
import { ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { type AppContext, createContext } from '../../src/platform/context.js';
import { seal, unseal } from '../../src/platform/instance-keys.js';
import { loadInstanceSecrets } from '../../src/platform/instance-secrets.js';
import { masterKeyId } from '../../src/platform/master-key.js';
import { backends, freshDatabase } from '../support/backends.js';

const newKey = () => randomBytes(32).toString('base64url');
const idOf = (key: string) => masterKeyId(Buffer.from(key, 'base64url'));

describe.each(backends)('secrets at rest on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  /** The master key of the database the first and last groups share. */
  const firstKey = newKey();
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  /** A process of the instance: its own context (its own loaded keys) on the shared database. */
  const processWith = (env: Record<string, string>): AppContext => {
    const config = loadConfig({ FOYER_PUBLIC_URL: 'http://localhost:8080', FOYER_DATABASE_URL: fresh.url, ...env });
    const ctx = createContext({ config, db: fresh.db, clock, log: pino({ level: 'silent' }) });
    installFeatures(ctx);
    return ctx;
  };
  const tenant = (ctx: AppContext, name: string) =>
    createTenant(ctx, { name, adminEmail: `admin@${name.toLowerCase()}.example`, adminPassword: 'Quiet-Lantern-Orbit-7' }).then((t) => t.tenant.id);
  const rawSigningKeys = (tenantId: string) =>
    fresh.db.kysely.selectFrom('signing_keys').select(['kid', 'private_jwk']).where('tenant_id', '=', tenantId).execute();
  const rawInstanceSecrets = () => fresh.db.kysely.selectFrom('instance_secrets').select(['name', 'value']).execute();

  beforeAll(async () => {
    fresh = await freshDatabase(backend);
  });
  afterAll(() => fresh?.cleanup());

  describe('a copy of the database alone', () => {
    const oldKey = firstKey;
    let ctx: AppContext;
    let tenantId: string;
    beforeAll(async () => {
      ctx = processWith({ FOYER_MASTER_KEY: oldKey });
      tenantId = await tenant(ctx, 'Dumped');
    });

    it('holds no private signing key: the stored row is no JWK and imports as no key', async () => {
      const [row] = await rawSigningKeys(tenantId);
      const [usable] = await listSigningKeys(ctx, tenantId, clock.now());
      expect(usable!.privateJwk.d).toEqual(expect.any(String)); // the process itself can sign
      expect(row!.private_jwk).not.toContain(usable!.privateJwk.d!);
      expect(row!.private_jwk.startsWith(`fyk1.${idOf(oldKey)}.`)).toBe(true);
      expect(() => JSON.parse(row!.private_jwk)).toThrow();
      // Whatever an attacker makes of the row, it is no RSA private key.
      await expect(importJWK({ kty: 'RSA', ...(tryJson(row!.private_jwk) ?? {}) }, 'RS256')).rejects.toThrow();
    });

    it('holds no cookie, link or sealing key, so what was sealed stays sealed', async () => {
      const { cookieKeys } = await loadInstanceSecrets(ctx);
      const sealed = await seal(ctx, 'ticket-123');
      const rows = await rawInstanceSecrets();
      expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['cookie-keys', 'sealing-key']));
      for (const row of rows.filter((r) => r.name !== 'master-key-in-use')) {
        expect(row.value.startsWith(`fyk1.${idOf(oldKey)}.`), row.name).toBe(true);
        expect(row.value).not.toContain(cookieKeys[0]!);
      }
      expect(await unseal(ctx, sealed)).toBe('ticket-123');
    });

    it('a process with another master key refuses, naming the key it lacks and how to give it', async () => {
      const stranger = processWith({ FOYER_MASTER_KEY: newKey() });
      await expect(listSigningKeys(stranger, tenantId, clock.now())).rejects.toThrow(
        new RegExp(`wrapped under master key ${idOf(oldKey)}, which this process does not hold.*FOYER_MASTER_KEY_PREVIOUS`),
      );
    });

    it('a wrapped key copied into another row does not decrypt there', async () => {
      const other = await tenant(ctx, 'Victim');
      const [source] = await rawSigningKeys(tenantId);
      const [target] = await rawSigningKeys(other);
      await fresh.db.kysely.updateTable('signing_keys').set({ private_jwk: source!.private_jwk }).where('kid', '=', target!.kid).execute();
      await expect(listSigningKeys(ctx, other, clock.now())).rejects.toThrow(/does not decrypt/);
      await fresh.db.kysely.updateTable('signing_keys').set({ private_jwk: target!.private_jwk }).where('kid', '=', target!.kid).execute();
    });
  });

  describe('rolling over to a new master key', () => {
    const oldKey = newKey();
    const newKeyValue = newKey();
    let before: Awaited<ReturnType<typeof freshDatabase>>;

    beforeAll(async () => {
      before = fresh;
      fresh = await freshDatabase(backend);
    });
    afterAll(async () => {
      await fresh.cleanup();
      fresh = before;
    });

    it('a process holding the old and the new key reads rows wrapped under either, and old processes keep working until the rewrap', async () => {
      const old = processWith({ FOYER_MASTER_KEY: oldKey });
      const early = await tenant(old, 'Early');
      const oldCookies = (await loadInstanceSecrets(old)).cookieKeys;

      // Step 1: a restarted process has the new key and the old one. Until the rewrap it still wraps
      // new secrets under the old key, so the processes not yet restarted read what it writes.
      const both = processWith({ FOYER_MASTER_KEY: newKeyValue, FOYER_MASTER_KEY_PREVIOUS: oldKey });
      expect((await listSigningKeys(both, early, clock.now())).map((k) => k.kid)).toEqual((await rawSigningKeys(early)).map((r) => r.kid));
      const during = await tenant(both, 'During');
      expect(await listSigningKeys(old, during, clock.now())).toHaveLength(1);
      expect((await loadInstanceSecrets(both)).cookieKeys).toEqual(oldCookies);

      // Step 2: `foyer keys rewrap`. Its first step makes the new key the one new secrets are wrapped
      // under; until its pass reaches them, older rows stay under the old key. A process with both
      // keys reads either kind.
      await useCurrentMasterKey(both);
      const mid = await tenant(both, 'Mid');
      expect((await rawSigningKeys(early))[0]!.private_jwk.startsWith(`fyk1.${idOf(oldKey)}.`)).toBe(true);
      expect((await rawSigningKeys(mid))[0]!.private_jwk.startsWith(`fyk1.${idOf(newKeyValue)}.`)).toBe(true);
      for (const id of [early, during, mid]) expect(await listSigningKeys(both, id, clock.now())).toHaveLength(1);
      const outcome = await rewrapAllSecrets(processWith({ FOYER_MASTER_KEY: newKeyValue, FOYER_MASTER_KEY_PREVIOUS: oldKey }), { settleSeconds: 0 });
      expect(outcome.keyId).toBe(idOf(newKeyValue));
      expect(outcome.rewrapped).toBe(3); // the two signing keys still under the old key, and the cookie keys
      expect((await rewrapAllSecrets(both, { settleSeconds: 0 })).rewrapped).toBe(0);

      // Step 3: the old key is dropped. A process with the new key alone reads everything, including
      // a key rotated after the rewrap; every row is under the new key.
      const after = processWith({ FOYER_MASTER_KEY: newKeyValue });
      const rotated = await rotateSigningKey(both, early, 3600);
      expect((await listSigningKeys(after, early, clock.now())).map((k) => k.kid)).toContain(rotated);
      expect(await listSigningKeys(after, during, clock.now())).toHaveLength(1);
      expect((await loadInstanceSecrets(after)).cookieKeys).toEqual(oldCookies);
      for (const row of [...(await rawSigningKeys(early)), ...(await rawSigningKeys(during)), ...(await rawSigningKeys(mid))]) {
        expect(row.private_jwk.startsWith(`fyk1.${idOf(newKeyValue)}.`)).toBe(true);
      }
      for (const row of (await rawInstanceSecrets()).filter((r) => r.name !== 'master-key-in-use')) {
        expect(row.value.startsWith(`fyk1.${idOf(newKeyValue)}.`), row.name).toBe(true);
      }
      // And the old key alone no longer opens anything.
      await expect(listSigningKeys(processWith({ FOYER_MASTER_KEY: oldKey }), during, clock.now())).rejects.toThrow(/does not hold/);
    });
  });

  describe('a database written before secrets were wrapped', () => {
    it('keeps working; the start-up pass wraps what was in clear, replaces the exposed signing and cookie keys, and leaves no clear bytes in the SQLite file', async () => {
      const lines: string[] = [];
      const ctx = processWith({ FOYER_MASTER_KEY: firstKey });
      const logged = createContext({
        config: ctx.config,
        db: fresh.db,
        clock,
        log: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
      });
      installFeatures(logged);
      const tenantId = await tenant(ctx, 'Legacy');
      // As an older version stored them: the private JWK and the cookie keys in clear.
      const legacy = await generateSigningKey(ctx);
      const plainJwk = JSON.stringify({ ...(await listSigningKeys(ctx, tenantId, clock.now()))[0]!.privateJwk, kid: legacy.kid });
      const leakedD = (JSON.parse(plainJwk) as { d: string }).d;
      await fresh.db.kysely
        .insertInto('signing_keys')
        .values({
          kid: legacy.kid,
          tenant_id: tenantId,
          alg: 'RS256',
          private_jwk: plainJwk,
          public_jwk: JSON.stringify(legacy.publicJwk),
          created_at: clock.now() + 1,
          retired_at: null,
          expires_at: null,
        })
        .execute();
      const leakedCookieKey = randomBytes(32).toString('base64url');
      await loadInstanceSecrets(ctx);
      await fresh.db.kysely
        .updateTable('instance_secrets')
        .set({ value: JSON.stringify([leakedCookieKey]) })
        .where('name', '=', 'cookie-keys')
        .execute();
      await fresh.db.kysely.insertInto('instance_secrets').values({ name: 'legacy-secret', value: 'in-clear', created_at: clock.now() }).execute();
      const sealed = await seal(ctx, 'queued-ticket');

      expect((await listSigningKeys(ctx, tenantId, clock.now()))[0]!.kid).toBe(legacy.kid);
      expect((await loadInstanceSecrets(ctx)).cookieKeys).toEqual([leakedCookieKey]);
      const before = new Set((await fresh.db.kysely.selectFrom('signing_keys').select('kid').execute()).map((r) => r.kid));
      const outcome = await wrapPlaintextSecrets(logged);
      expect(outcome.rewrapped).toBeGreaterThanOrEqual(3);
      expect(outcome.rotatedTenants).toBeGreaterThanOrEqual(1);
      const stored = await fresh.db.kysely.selectFrom('signing_keys').select('private_jwk').where('kid', '=', legacy.kid).executeTakeFirstOrThrow();
      expect(stored.private_jwk.startsWith('fyk1.')).toBe(true);
      expect(stored.private_jwk).not.toContain('"d"');

      // Exposed, so replaced: no key that was ever in clear is published any more (tokens it signed no
      // longer verify), every tenant signs with a new key, and the cookie keys are new.
      for (const id of (await fresh.db.kysely.selectFrom('tenants').select('id').execute()).map((t) => t.id)) {
        const published = await listSigningKeys(ctx, id, clock.now());
        expect(published.map((k) => k.kid)).toHaveLength(1);
        expect(before.has(published[0]!.kid)).toBe(false);
      }
      expect((await loadInstanceSecrets(processWith({ FOYER_MASTER_KEY: firstKey }))).cookieKeys).not.toContain(leakedCookieKey);
      // The sealing key is kept: what queued mail sealed still opens.
      expect(await unseal(processWith({ FOYER_MASTER_KEY: firstKey }), sealed)).toBe('queued-ticket');
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40 && /stored in clear/.test(l.msg));
      expect(warning?.msg).toMatch(/signing key was replaced.*cookie keys were replaced/);

      if (backend.name === 'sqlite') {
        // Nothing of the clear values is left in the file's bytes, free pages and log included.
        const file = fresh.url.slice('sqlite:'.length);
        const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
        expect(bytes.includes(leakedD)).toBe(false);
        expect(bytes.includes(leakedCookieKey)).toBe(false);
      }
      expect((await wrapPlaintextSecrets(ctx)).rewrapped).toBe(0);
    });
  });
});

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
