/**
 * `foyer keys rewrap` against a process that sealed a secret under the old key just before the rewrap
 * and commits it afterwards; `foyer start` on a database holding values under a master key it lacks;
 * the master key refused from the configuration file; the SQLite folder and files checked for access
 * by other users.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { RewrapIncomplete, rewrapAllSecrets } from '../../src/directory/secrets-at-rest.js';
import { generateSigningKey, insertSigningKey, listSigningKeys, type NewSigningKey } from '../../src/directory/signing-keys.js';
import { createTenant } from '../../src/directory/tenants.js';
import { installFeatures } from '../../src/features.js';
import { openAtRest, wrapWith } from '../../src/platform/at-rest.js';
import { ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { type AppContext, createContext } from '../../src/platform/context.js';
import { loadMasterKeys, masterKeyId } from '../../src/platform/master-key.js';
import { assertPrivateDatabaseFile, databaseFolderWarning, openDatabase } from '../../src/platform/storage/database.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { startFoyer } from '../../src/server.js';
import { backends, freshDatabase } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { EMPTY_CONFIG } from '../support/config-file.js';

const newKey = () => randomBytes(32).toString('base64url');

/** A new signing key wrapped under `key`, a master key the processes under test do not hold. */
async function strayKey(ctx: AppContext, key: string): Promise<NewSigningKey> {
  const made = await generateSigningKey(ctx);
  const aad = `signing_keys/${made.kid}`;
  const keys = loadMasterKeys({ mode: 'development', databaseUrl: 'sqlite::memory:', masterKey: key, masterKeyFile: undefined, masterKeyPrevious: undefined });
  return { ...made, wrappedPrivateJwk: wrapWith(keys, idOf(key), openAtRest(ctx, made.wrappedPrivateJwk, aad), aad) };
}
const idOf = (key: string) => masterKeyId(Buffer.from(key, 'base64url'));

describe.each(backends)('rewrap and start on $name', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  const processWith = (env: Record<string, string>): AppContext => {
    const config = loadConfig({ FOYER_CONFIG: EMPTY_CONFIG, FOYER_PUBLIC_URL: 'http://localhost:8080', FOYER_DATABASE_URL: fresh.url, ...env });
    const ctx = createContext({ config, db: fresh.db, clock, log: pino({ level: 'silent' }) });
    installFeatures(ctx);
    return ctx;
  };
  const [K1, K2, K0] = [newKey(), newKey(), newKey()];
  let tenantId: string;

  beforeAll(async () => {
    fresh = await freshDatabase(backend);
    tenantId = (await createTenant(processWith({ FOYER_MASTER_KEY: K1 }), { name: 'T', adminEmail: 'admin@t.example', adminPassword: 'Quiet-Lantern-Orbit-7' }))
      .tenant.id;
  });
  afterAll(() => fresh?.cleanup());

  it('a key sealed under the old key before the rewrap and committed while it settles is caught by the final pass', async () => {
    const both = processWith({ FOYER_MASTER_KEY: K2, FOYER_MASTER_KEY_PREVIOUS: K1 });
    // A server process seals a new signing key under the key in use (K1)...
    const key = await generateSigningKey(both);
    expect(key.wrappedPrivateJwk.startsWith(`fyk1.${idOf(K1)}.`)).toBe(true);
    // ...the rewrap flips the record and finishes its passes; the process commits while it settles.
    const waited: number[] = [];
    const outcome = await rewrapAllSecrets(processWith({ FOYER_MASTER_KEY: K2, FOYER_MASTER_KEY_PREVIOUS: K1 }), {
      settleSeconds: 0,
      sleep: async (ms) => {
        waited.push(ms);
        await insertSigningKey(fresh.db.kysely, tenantId, key, clock.now() + 1);
      },
    });
    expect(waited).toEqual([0]);
    expect(outcome.keyId).toBe(idOf(K2));
    // The operator drops FOYER_MASTER_KEY_PREVIOUS: every key still reads.
    expect((await listSigningKeys(processWith({ FOYER_MASTER_KEY: K2 }), tenantId, clock.now() + 2)).map((k) => k.kid)).toContain(key.kid);
  });

  it('rewrap fails, naming the count, when a row is still not under the new key at the end', async () => {
    // A row under a key this run does not hold (an earlier rollover never finished).
    const stray = await strayKey(processWith({ FOYER_MASTER_KEY: K2 }), K0);
    const orphan = await createTenant(processWith({ FOYER_MASTER_KEY: K2 }), {
      name: 'O',
      adminEmail: 'admin@o.example',
      adminPassword: 'Quiet-Lantern-Orbit-7',
    });
    await insertSigningKey(fresh.db.kysely, orphan.tenant.id, stray, clock.now() + 1);
    const run = rewrapAllSecrets(processWith({ FOYER_MASTER_KEY: K2, FOYER_MASTER_KEY_PREVIOUS: K1 }), { settleSeconds: 0 });
    await expect(run).rejects.toThrow(RewrapIncomplete);
    await expect(run).rejects.toThrow(
      new RegExp(`^1 stored secret is still not wrapped under master key ${idOf(K2)} \\(1 under master key ${idOf(K0)}, not held\\)`),
    );
  });

  it('`foyer start` refuses a database holding values under a master key it lacks, naming the key and what to set', async () => {
    const config = loadConfig({
      FOYER_CONFIG: EMPTY_CONFIG,
      FOYER_PUBLIC_URL: 'http://localhost:8080',
      FOYER_DATABASE_URL: fresh.url,
      FOYER_MASTER_KEY: K2,
      FOYER_LOG_LEVEL: 'silent',
    });
    await expect(startFoyer(config, { db: fresh.db, clock, listen: false, log: pino({ level: 'silent' }) })).rejects.toThrow(
      new RegExp(`1 secret in the database is wrapped under master key ${idOf(K0)}, which this process does not hold.*FOYER_MASTER_KEY_PREVIOUS`),
    );
  });
});

describe('the master key and the files it protects', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('`foyer keys rewrap` exits non-zero, naming the count, when rows remain under another key; --settle takes whole seconds', async () => {
    const url = `sqlite:${join(dir, 'rewrap.db')}`;
    const [old, next, other] = [newKey(), newKey(), newKey()];
    const db = openDatabase(url);
    try {
      await migrate(db);
      const ctx = createContext({
        config: loadConfig({ FOYER_CONFIG: EMPTY_CONFIG, FOYER_DATABASE_URL: url, FOYER_MASTER_KEY: old }),
        db,
        clock: new ManualClock(Date.UTC(2026, 10, 25, 12)),
        log: pino({ level: 'silent' }),
      });
      installFeatures(ctx);
      const { tenant } = await createTenant(ctx, { name: 'A', adminEmail: 'admin@a.example', adminPassword: 'Quiet-Lantern-Orbit-7' });
      await insertSigningKey(db.kysely, tenant.id, await strayKey(ctx, other), Date.UTC(2026, 10, 25, 13));
    } finally {
      await db.close();
    }
    expect(await runCli(['keys', 'rewrap', '--settle', 'soon'], io({ FOYER_DATABASE_URL: url }))).toBe(2);
    const out = io({ FOYER_DATABASE_URL: url, FOYER_MASTER_KEY: next, FOYER_MASTER_KEY_PREVIOUS: old });
    expect(await runCli(['keys', 'rewrap', '--settle', '0'], out)).toBe(1);
    expect(out.stderr.join('')).toMatch(
      new RegExp(`1 stored secret is still not wrapped under master key ${idOf(next)} \\(1 under master key ${idOf(other)}, not held\\)`),
    );
  });

  it('the configuration file may not hold the master key: the error names the environment variable', () => {
    for (const [option, env] of [
      ['masterKey', 'FOYER_MASTER_KEY'],
      ['masterKeyPrevious', 'FOYER_MASTER_KEY_PREVIOUS'],
    ] as const) {
      const file = join(dir, `${option}.json`);
      writeFileSync(file, JSON.stringify({ [option]: newKey() }));
      expect(() => loadConfig({ FOYER_CONFIG: file })).toThrow(new RegExp(`"${option}" is a secret.*set ${env} in the environment`));
    }
  });

  it('a database folder open to other users is reported with the chmod that fixes it; a private one is not', () => {
    const folder = join(dir, 'data');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    expect(databaseFolderWarning(`sqlite:${join(folder, 'foyer.db')}`)).toMatch(/open to other users.*mode 0755.*chmod 700 /);
    chmodSync(folder, 0o700);
    expect(databaseFolderWarning(`sqlite:${join(folder, 'foyer.db')}`)).toBeUndefined();
    expect(databaseFolderWarning('postgres://localhost/foyer')).toBeUndefined();
  });

  it('a database file (or its -wal) owned by another user is refused, even when private', () => {
    const file = join(dir, 'owned.db');
    writeFileSync(file, '', { mode: 0o600 });
    writeFileSync(`${file}-wal`, '', { mode: 0o600 });
    expect(() => assertPrivateDatabaseFile(`sqlite:${file}`)).not.toThrow();
    const me = process.getuid!();
    vi.spyOn(process, 'getuid').mockReturnValue(me + 1);
    expect(() => assertPrivateDatabaseFile(`sqlite:${file}`)).toThrow(/belongs to another user.*owned\.db \(owner uid.*owned\.db-wal/);
  });
});
