/**
 * The master key (key-encryption key): the one secret Foyer does NOT keep in its database. Every secret
 * the database holds (signing keys, cookie keys, the link and sealing keys) is stored wrapped under it
 * (see at-rest.ts), so a copy of the database file or a PostgreSQL dump alone mints no token.
 *
 * Where it comes from, in order: `FOYER_MASTER_KEY`, or `FOYER_MASTER_KEY_FILE` (whose further lines are
 * previous keys), plus `FOYER_MASTER_KEY_PREVIOUS` (comma-separated) while rolling over to a new key.
 * Production requires one of the first two; development creates `master.key` in the data folder on first
 * start so that `npx foyer start` needs no setup (the same file for the server and the CLI, because both
 * derive it from the database location).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { type AppContext, service } from './context.js';

/** The keys a process holds: `current` wraps what is rewrapped; every key in `byId` can unwrap. */
export interface MasterKeys {
  current: { id: string; key: Buffer };
  byId: ReadonlyMap<string, Buffer>;
}

export type MasterKeySettings = Pick<Config, 'mode' | 'databaseUrl' | 'masterKey' | 'masterKeyFile' | 'masterKeyPrevious'>;

const HOW_TO_GENERATE = 'generate one with `npx foyer keys generate` (or `openssl rand -base64 32`)';

/** A new master key: 32 random bytes, base64url. */
export function generateMasterKey(): string {
  return randomBytes(32).toString('base64url');
}

/** 32 bytes written as 64 hex digits, or base64 / base64url (padding optional). */
export function decodeMasterKey(text: string, source: string): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) key = Buffer.from(t.replace(/=$/, '').replaceAll('+', '-').replaceAll('/', '_'), 'base64url');
  if (key?.length !== 32) {
    // The value itself is never repeated: it may be a real key with a typo.
    throw new ConfigError(`${source} must be 32 bytes written as 64 hex digits or as base64 (${HOW_TO_GENERATE})`);
  }
  return key;
}

/**
 * A short public name for a key, stored beside everything it wraps so a process holding several keys
 * knows which one to use. An HMAC of a constant: it names the key without revealing it.
 */
export function masterKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('foyer master key id').digest('base64url').slice(0, 8);
}

/** Where development keeps its master key: beside the SQLite file, or in `./.foyer/` for PostgreSQL. */
export function developmentKeyPath(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:') && databaseUrl !== 'sqlite::memory:') return join(dirname(resolve(databaseUrl.slice('sqlite:'.length))), 'master.key');
  return resolve('.foyer', 'master.key');
}

/** Reads the configured keys; in development, creates the key file when none is configured. */
export function loadMasterKeys(settings: MasterKeySettings, log?: Pick<Logger, 'info' | 'warn'>): MasterKeys {
  if (settings.masterKey && settings.masterKeyFile) throw new ConfigError('Set FOYER_MASTER_KEY or FOYER_MASTER_KEY_FILE, not both');
  let texts: Array<{ text: string; source: string }>;
  if (settings.masterKey) {
    texts = [{ text: settings.masterKey, source: 'FOYER_MASTER_KEY' }];
  } else if (settings.masterKeyFile) {
    texts = readKeyFile(settings.masterKeyFile, 'FOYER_MASTER_KEY_FILE', log);
  } else if (settings.mode === 'production') {
    throw new ConfigError(
      `FOYER_MASTER_KEY or FOYER_MASTER_KEY_FILE is required in production mode: it encrypts the secrets kept in the database; ${HOW_TO_GENERATE}`,
    );
  } else {
    const path = developmentKeyPath(settings.databaseUrl);
    if (createKeyFile(path)) {
      log?.info(
        { path },
        `created a development master key at ${path} (keep it with the database; production needs FOYER_MASTER_KEY or FOYER_MASTER_KEY_FILE)`,
      );
    }
    // In a shared folder (a SQLite file in /tmp) a key planted by another account would be a key it knows.
    if (process.getuid && statSync(path).uid !== process.getuid()) {
      throw new ConfigError(`the development master key ${path} belongs to another user: remove it, or set FOYER_MASTER_KEY`);
    }
    texts = readKeyFile(path, 'the development master key', log);
  }
  for (const [i, text] of (settings.masterKeyPrevious ?? '').split(',').entries()) {
    if (text.trim()) texts.push({ text, source: `FOYER_MASTER_KEY_PREVIOUS (key ${i + 1})` });
  }
  const keys = texts.map((t) => decodeMasterKey(t.text, t.source));
  const byId = new Map(keys.map((key) => [masterKeyId(key), key] as const));
  return { current: { id: masterKeyId(keys[0]!), key: keys[0]! }, byId };
}

const MASTER_KEYS = Symbol('master keys');

/** This app's master keys, read once (from the configuration it was built with). */
export function masterKeys(ctx: Pick<AppContext, 'config' | 'log' | 'services'>): MasterKeys {
  return service(ctx, MASTER_KEYS, () => loadMasterKeys(ctx.config, ctx.log));
}

/** The first non-empty line is the key; further lines are previous keys (for a rollover by file). */
function readKeyFile(path: string, source: string, log?: Pick<Logger, 'warn'>): Array<{ text: string; source: string }> {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
    // A key file readable by others defeats its purpose; say so (secrets mounted by orchestrators are
    // often 0644 inside a private volume, so this warns rather than refuses).
    if (statSync(path).mode & 0o077) log?.warn({ path }, `${source} ${path} is readable by other users: chmod 600 ${path}`);
  } catch (err) {
    throw new ConfigError(`${source}: cannot read ${path}: ${(err as Error).message}`);
  }
  const lines = content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new ConfigError(`${source}: ${path} holds no key (${HOW_TO_GENERATE})`);
  return lines.map((text, i) => ({ text, source: i === 0 ? `${source} (${path})` : `${source} (${path}, line ${i + 1})` }));
}

/**
 * Creates the development key file if it does not exist: folder 0700, file 0600 whatever the umask.
 * Written to a temporary name and linked into place, so a second process starting at the same moment
 * either wins the link or reads a complete file, never an empty one. Returns whether it created it.
 */
function createKeyFile(path: string): boolean {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  try {
    statSync(path);
    return false;
  } catch {
    // absent: create it below
  }
  const temporary = join(folder, `.master.key.${process.pid}.${randomBytes(4).toString('hex')}`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    chmodSync(temporary, 0o600);
    writeSync(fd, `${generateMasterKey()}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temporary, { force: true });
  }
}
