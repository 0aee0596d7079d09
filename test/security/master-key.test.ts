/**
 * The master key: where it comes from (FOYER_MASTER_KEY, FOYER_MASTER_KEY_FILE, the development file),
 * that production refuses to run without one, and the `foyer keys` commands an operator uses.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { listSigningKeys } from '../../src/directory/signing-keys.js';
import { createTenant } from '../../src/directory/tenants.js';
import { installFeatures } from '../../src/features.js';
import { systemClock } from '../../src/platform/clock.js';
import { ConfigError, loadConfig } from '../../src/platform/config/load.js';
import { createContext } from '../../src/platform/context.js';
import { decodeMasterKey, loadMasterKeys, masterKeyId } from '../../src/platform/master-key.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { io } from '../support/cli-io.js';

const dir = mkdtempSync(join(tmpdir(), 'foyer-master-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const newKey = () => randomBytes(32).toString('base64url');
const idOf = (key: string) => masterKeyId(decodeMasterKey(key, 'test'));
const settings = (env: Record<string, string>) => loadConfig({ FOYER_DATABASE_URL: `sqlite:${join(dir, 'unused.db')}`, ...env });

describe('the master key', () => {
  it('is required in production: the configuration error names both variables and how to make a key', () => {
    const config = settings({ FOYER_MODE: 'production', FOYER_PUBLIC_URL: 'https://id.example.com' });
    expect(() => loadMasterKeys(config)).toThrow(ConfigError);
    expect(() => loadMasterKeys(config)).toThrow(/FOYER_MASTER_KEY or FOYER_MASTER_KEY_FILE is required in production mode.*foyer keys generate/);
  });

  it('`foyer start` in production without one exits with a configuration error before serving', async () => {
    const out = io({
      FOYER_MODE: 'production',
      FOYER_PUBLIC_URL: 'https://id.example.com',
      FOYER_DATABASE_URL: `sqlite:${join(dir, 'production.db')}`,
      FOYER_PORT: '0',
      FOYER_MASTER_KEY: '',
    });
    expect(await runCli(['start'], out)).toBe(2);
    expect(out.stderr.join('\n')).toMatch(/^configuration error: FOYER_MASTER_KEY or FOYER_MASTER_KEY_FILE is required in production mode/);
  });

  it('accepts 32 bytes as hex, base64 or base64url, and refuses anything else without repeating it', () => {
    const bytes = randomBytes(32);
    for (const text of [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'), ` ${bytes.toString('base64')}\n`]) {
      expect(decodeMasterKey(text, 'FOYER_MASTER_KEY').equals(bytes)).toBe(true);
    }
    const short = randomBytes(16).toString('base64');
    expect(() => decodeMasterKey(short, 'FOYER_MASTER_KEY')).toThrow(/FOYER_MASTER_KEY must be 32 bytes written as 64 hex digits or as base64/);
    try {
      decodeMasterKey(short, 'FOYER_MASTER_KEY');
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
    expect(() => loadConfig({ FOYER_MASTER_KEY: '   ' })).toThrow(/FOYER_MASTER_KEY=\(hidden\)/);
  });

  it('reads FOYER_MASTER_KEY_FILE: the first line is the key, further lines previous keys; FOYER_MASTER_KEY_PREVIOUS adds more', () => {
    const [current, previous, older] = [newKey(), newKey(), newKey()];
    const file = join(dir, 'master.keys');
    writeFileSync(file, `${current}\n# the key before\n${previous}\n`, { mode: 0o600 });
    const keys = loadMasterKeys(settings({ FOYER_MASTER_KEY_FILE: file, FOYER_MASTER_KEY_PREVIOUS: older }));
    expect(keys.current.id).toBe(idOf(current));
    expect([...keys.byId.keys()]).toEqual([idOf(current), idOf(previous), idOf(older)]);
    expect(() => loadMasterKeys(settings({ FOYER_MASTER_KEY_FILE: file, FOYER_MASTER_KEY: current }))).toThrow(/not both/);
    expect(() => loadMasterKeys(settings({ FOYER_MASTER_KEY_FILE: join(dir, 'missing') }))).toThrow(/FOYER_MASTER_KEY_FILE: cannot read/);
  });

  it('in development, when none is configured, is created once beside the SQLite file (folder 0700, file 0600) and the start is logged', () => {
    const data = join(dir, 'dev-data');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const config = settings({ FOYER_DATABASE_URL: `sqlite:${join(data, 'foyer.db')}` });
    const first = loadMasterKeys(config, log);
    const file = join(data, 'master.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(lines.join('')).toContain(`created a development master key at ${file}`);
    // The server and the `foyer` command (another process, maybe another working directory) find the same key.
    const second = loadMasterKeys(config, log);
    expect(second.current.id).toBe(first.current.id);
    expect(lines.filter((l) => l.includes('created a development master key'))).toHaveLength(1);
  });

  it('`foyer keys generate` prints a usable key, or writes it to a new 0600 file it never overwrites', async () => {
    const printed = io({});
    expect(await runCli(['keys', 'generate', '--json'], printed)).toBe(0);
    const { masterKey, keyId } = JSON.parse(printed.stdout.join(''));
    expect(idOf(masterKey)).toBe(keyId);

    const file = join(dir, 'generated.key');
    const written = io({});
    expect(await runCli(['keys', 'generate', '--out', file, '--json'], written)).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(written.stdout.join(''))).toEqual({ keyId: idOf(readFileSync(file, 'utf8')), file });
    const again = io({});
    expect(await runCli(['keys', 'generate', '--out', file], again)).toBe(1);
    expect(again.stderr.join('')).toMatch(/EEXIST/);
  });

  it('`foyer keys rewrap` moves every secret to the new key; without the old key it refuses and says which to give', async () => {
    const [oldKey, nextKey] = [newKey(), newKey()];
    const url = `sqlite:${join(dir, 'rewrap.db')}`;
    const db = openDatabase(url);
    try {
      await migrate(db);
      const ctx = createContext({
        config: settings({ FOYER_DATABASE_URL: url, FOYER_MASTER_KEY: oldKey }),
        db,
        clock: systemClock,
        log: pino({ level: 'silent' }),
      });
      installFeatures(ctx);
      const { tenant } = await createTenant(ctx, { name: 'Rewrap', adminEmail: 'admin@rewrap.example', adminPassword: 'Quiet-Lantern-Orbit-7' });

      const withoutOld = io({ FOYER_DATABASE_URL: url, FOYER_MASTER_KEY: nextKey });
      expect(await runCli(['keys', 'rewrap'], withoutOld)).toBe(2);
      expect(withoutOld.stderr.join('')).toMatch(new RegExp(`master key ${idOf(oldKey)}, which this process does not hold.*FOYER_MASTER_KEY_PREVIOUS`));

      const out = io({ FOYER_DATABASE_URL: url, FOYER_MASTER_KEY: nextKey, FOYER_MASTER_KEY_PREVIOUS: oldKey });
      expect(await runCli(['keys', 'rewrap', '--settle', '0', '--json'], out)).toBe(0);
      expect(JSON.parse(out.stdout.join(''))).toEqual({ keyId: idOf(nextKey), previousKeyId: idOf(oldKey), rewrapped: 1 }); // the tenant's signing key

      const after = createContext({
        config: settings({ FOYER_DATABASE_URL: url, FOYER_MASTER_KEY: nextKey }),
        db,
        clock: systemClock,
        log: pino({ level: 'silent' }),
      });
      expect(await listSigningKeys(after, tenant.id, Date.now())).toHaveLength(1);
      expect(existsSync(join(dir, 'master.key'))).toBe(false); // no development key was made on the way
    } finally {
      await db.close();
    }
  });
});
