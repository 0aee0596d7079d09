/**
 * Opens Foyer's database: the embedded SQLite file or a PostgreSQL server, behind one Kysely query
 * builder. Everything above this file writes portable SQL through Kysely; the few places where the two
 * dialects differ ask `db.dialect`.
 *
 * Portable conventions (see docs/architecture.md): ids are text (UUIDv7, time-ordered so inserts and
 * keyset pages stay cheap), times are integer epoch milliseconds from the injected clock (never the
 * database's `now()`), booleans are integers 0/1, structured values are JSON text.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/**
 * The SQLite binding for this runtime. better-sqlite3 13 (Node-API, shipped prebuilt) is the one that
 * runs on Node.js 24.19 and later, where version 12's statements abort the process when they are
 * garbage-collected (nodejs/node#65446); but 13 crashes on Node.js 20, which gets 12 (the optional
 * dependency `better-sqlite3-node20`, compiled at install).
 */
function sqliteBinding(): typeof BetterSqlite3 {
  const require = createRequire(import.meta.url);
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return require('better-sqlite3') as typeof BetterSqlite3;
  try {
    return require('better-sqlite3-node20') as typeof BetterSqlite3;
  } catch (err) {
    throw new Error(`the SQLite binding for Node.js ${process.versions.node} (better-sqlite3 12) is not installed or did not build: ${(err as Error).message}`);
  }
}

export interface Database {
  readonly dialect: DialectName;
  readonly kysely: Kysely<DB>;
  /** Human-readable location, with any password removed, for logs. */
  readonly description: string;
  /** PostgreSQL schema Foyer lives in, when the URL named one (migrate creates it). */
  readonly schema?: string;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type Executor = Kysely<DB> | Transaction<DB>;

/**
 * SQLite can run DDL inside a transaction; Kysely's stock adapter says it cannot, so a failed migration
 * would leave half a schema. Saying so makes each migration all-or-nothing on both backends.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export interface OpenOptions {
  /** PostgreSQL pool size per process. */
  poolSize?: number;
}

export function openDatabase(url: string, options: OpenOptions = {}): Database {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options);
  throw new Error(`FOYER_DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:")`);
}

/** The database file and the two SQLite creates beside it in WAL mode; all hold the same data. */
const sqliteFiles = (file: string) => [file, `${file}-wal`, `${file}-shm`];

/**
 * The database holds password hashes and (wrapped) keys: only its owner may read it. A new data folder
 * is created 0700 and a new database file 0600, set explicitly rather than left to the umask; SQLite
 * gives the `-wal` and `-shm` files it creates later the mode of the database file, and they are set
 * 0600 after opening as well, in case they were left behind by an older version.
 */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
}

/**
 * Refuses a SQLite database (or its `-wal`/`-shm` file) that other local users can read or write, or that
 * another account owns (it could change the mode back, or have planted the file): any account on the
 * machine could copy the directory out of it. `foyer start` calls it before opening, and the error says
 * how to fix it. A PostgreSQL URL passes (its files are the server's business).
 */
export function assertPrivateDatabaseFile(url: string): void {
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return;
  const file = resolve(url.slice('sqlite:'.length));
  const present = sqliteFiles(file).filter((f) => existsSync(f));
  const uid = process.getuid?.();
  const foreign = uid === undefined ? [] : present.filter((f) => statSync(f).uid !== uid);
  if (foreign.length) {
    throw new Error(
      `the database belongs to another user of this machine: ${foreign.map((f) => `${f} (owner uid ${statSync(f).uid})`).join(', ')}. ` +
        `Foyer refuses to start on it; run Foyer as that user, or make this one the owner with: chown ${uid} ${foreign.join(' ')} (as root)`,
    );
  }
  const open = present.filter((f) => (statSync(f).mode & 0o077) !== 0);
  if (!open.length) return;
  const modes = open.map((f) => `${f} (mode ${(statSync(f).mode & 0o777).toString(8).padStart(4, '0')})`).join(', ');
  throw new Error(
    `the database can be read by other users of this machine: ${modes}. Foyer refuses to start on it; make it private with: chmod 600 ${open.join(' ')}`,
  );
}

/**
 * A warning when the SQLite database's folder is open to other users (group or others have any access):
 * Foyer creates its folder 0700 but never changes the mode of one it did not create (`.foyer/` made by
 * hand to write config.json, say). Its files stay private, yet others can list, and with write access
 * rename or delete, them. `undefined` when the folder is private, for PostgreSQL and in memory.
 */
export function databaseFolderWarning(url: string): string | undefined {
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return undefined;
  const folder = dirname(resolve(url.slice('sqlite:'.length)));
  if (!existsSync(folder)) return undefined;
  const mode = statSync(folder).mode & 0o777;
  if (!(mode & 0o077)) return undefined;
  return `the database folder ${folder} is open to other users of this machine (mode ${mode.toString(8).padStart(4, '0')}): make it private with: chmod 700 ${folder}`;
}

/**
 * After secrets were rewritten (wrapped, or rewrapped under a new master key) on SQLite: the old values
 * may survive in the `-wal` file and in freed pages of the database file. `secure_delete` (set on every
 * connection) zeroes what SQLite frees from now on; this moves the log into the file and empties it,
 * rebuilds the file without free pages (VACUUM), and empties the log again. Returns false when another
 * connection's open read kept the log from being emptied (it is emptied at a later checkpoint). No-op on
 * PostgreSQL, whose dead rows and WAL are the server's: rotating what was exposed is the fix there.
 */
export async function scrubFreedSpace(db: Database): Promise<boolean> {
  if (db.dialect !== 'sqlite') return true;
  const checkpoint = async () => {
    const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db.kysely);
    return rows[0]?.busy === 0;
  };
  await checkpoint();
  await sql`vacuum`.execute(db.kysely);
  return checkpoint();
}

function openSqlite(path: string): Database {
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') createPrivately(file);
  const native = new (sqliteBinding())(file);
  // WAL lets readers run beside the one writer. synchronous=FULL makes every acknowledged commit survive
  // a power cut, not only a process crash: Foyer promises that what it acknowledged is durable.
  native.pragma('journal_mode = WAL');
  if (file !== ':memory:') {
    for (const f of sqliteFiles(file).slice(1)) if (existsSync(f)) chmodSync(f, 0o600);
  }
  native.pragma('synchronous = FULL');
  native.pragma('foreign_keys = ON');
  // What SQLite frees (a rewritten row's old bytes, a deleted session) is overwritten with zeros rather
  // than left in free pages, so a secret once stored does not linger in the file.
  native.pragma('secure_delete = ON');
  // Several processes may share the file (CLI beside a running server): wait for the lock, don't fail.
  native.pragma('busy_timeout = 5000');
  // Directory pages read index and table pages at random: a larger page cache and memory-mapped reads
  // keep them out of read() system calls (about 15% off a 100-user page).
  native.pragma('cache_size = -32768');
  native.pragma('mmap_size = 268435456');
  cacheStatements(native);
  const kysely = new Kysely<DB>({
    dialect: new (class extends SqliteDialect {
      override createAdapter() {
        return new TransactionalDdlSqliteAdapter();
      }
      override createDriver() {
        const driver = super.createDriver();
        // BEGIN IMMEDIATE takes the write lock at the start (waiting up to busy_timeout for another
        // process, such as the CLI, to finish). A plain BEGIN would take it at the first write, and if
        // another process had committed since this transaction's first read, SQLite would refuse that
        // write at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
        driver.beginTransaction = async (connection) => {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
        };
        return driver;
      }
    })({ database: native }),
  });
  return {
    dialect: 'sqlite',
    kysely,
    description: `sqlite:${file}`,
    transaction: groupCommit(kysely, native),
    close: () => kysely.destroy(),
  };
}

class GroupRollback extends Error {}
class GroupLost extends Error {
  constructor(override readonly cause: unknown) {
    super('the group transaction was lost');
  }
}

/**
 * Kysely prepares every statement anew; preparing costs as much as running a small one. Foyer's
 * statements come from a few hundred query shapes, so prepared statements are kept by their SQL text
 * (least recently used go first). better-sqlite3 runs one statement at a time, so sharing is safe.
 */
function cacheStatements(native: BetterSqlite3.Database, max = 500): void {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = native.prepare.bind(native);
  (native as { prepare: typeof native.prepare }).prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
    } else {
      statement = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  }) as typeof native.prepare;
}

/** Most transactions one commit may carry; bounds the latency a burst adds to its first member. */
const MAX_GROUP = 256;
/** How long the first transaction of a group waits for others to join it. */
const GATHER_MS = 1;

/**
 * Group commit for SQLite. SQLite has one writer and every commit waits for the disk (synchronous=FULL),
 * which is most of what a small transaction costs. Transactions that arrive while one is being written
 * are gathered and run one after another inside ONE database transaction, each in its own savepoint:
 * a transaction that throws is rolled back to its savepoint alone and its caller gets the error; the
 * others commit together, and every caller hears back only after that commit reached the disk. Same
 * atomicity and durability per transaction as one commit each, at one disk sync per group. A group
 * runs its transactions one after another, so none may wait inside its transaction for anything but
 * the database (none of Foyer's do: hashing and key generation happen before), and none may call
 * `db.transaction()` again from inside (it would wait for its own group: pass the `trx` instead).
 */
function groupCommit(kysely: Kysely<DB>, native: BetterSqlite3.Database): Database['transaction'] {
  type Pending = { fn: (trx: Transaction<DB>) => Promise<unknown>; resolve(v: unknown): void; reject(e: unknown): void };
  let queue: Pending[] = [];
  let writing = false;

  async function flush(): Promise<void> {
    writing = true;
    while (queue.length) {
      const group = queue.slice(0, MAX_GROUP);
      queue = queue.slice(group.length);
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      try {
        await kysely.transaction().execute(async (trx) => {
          if (group.length === 1) {
            // Alone: the transaction itself is the savepoint.
            try {
              outcomes.push({ ok: true, value: await group[0]!.fn(trx) });
            } catch (error) {
              outcomes.push({ ok: false, error });
              throw new GroupRollback();
            }
            return;
          }
          for (const item of group) {
            await sql`savepoint foyer_group`.execute(trx);
            try {
              const value = await item.fn(trx);
              if (!native.inTransaction) throw new Error('the transaction ended inside a member of the group');
              await sql`release foyer_group`.execute(trx);
              outcomes.push({ ok: true, value });
            } catch (error) {
              // Some errors (disk full, I/O) end the whole transaction, savepoints included: then the
              // group is over, and every member hears of the error that ended it.
              if (!native.inTransaction) throw new GroupLost(error);
              await sql`rollback to foyer_group`.execute(trx);
              await sql`release foyer_group`.execute(trx);
              outcomes.push({ ok: false, error });
            }
          }
        });
      } catch (error) {
        // The commit itself failed (disk full, I/O error): nothing of the group is durable.
        if (!(error instanceof GroupRollback)) {
          const cause = error instanceof GroupLost ? error.cause : error;
          for (const item of group) item.reject(cause);
          continue;
        }
      }
      group.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.error);
      });
    }
    writing = false;
  }

  return <T>(fn: (trx: Transaction<DB>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!writing) {
        // Gather for a millisecond: requests already on their way join this commit instead of each
        // paying its own disk sync (measured: 920 → 1,100 invitations/s; see docs/benchmarks.md).
        writing = true;
        setTimeout(() => void flush(), GATHER_MS);
      }
    });
}

function openPostgres(url: string, options: OpenOptions): Database {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error('The schema parameter of FOYER_DATABASE_URL must be a lower-case SQL identifier');
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: options.poolSize ?? 10,
    // int8 (epoch milliseconds, counts) as JS numbers: all of Foyer's fit in 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client's connection dropping must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const safe = new URL(parsed.toString());
  if (safe.password) safe.password = '***';
  return {
    dialect: 'postgres',
    kysely,
    schema: schema ?? undefined,
    description: safe.toString() + (schema ? ` (schema ${schema})` : ''),
    transaction: (fn) => kysely.transaction().execute(fn),
    close: () => kysely.destroy(),
  };
}

/**
 * True when a statement failed on a unique or primary key: PostgreSQL's SQLSTATE 23505, SQLite's
 * constraint codes. Check-then-insert code uses it for the race its check cannot see.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
