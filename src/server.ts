/**
 * Starting and stopping a Foyer process: open the database, migrate, build the app, listen, and keep
 * the tables of expiring things (sessions, codes, counters) tidy.
 */
import type { AddressInfo } from 'node:net';
import type { DestinationStream, Logger } from 'pino';
import { createApp, type FoyerApp } from './app.js';
import { wrapPlaintextSecrets } from './directory/secrets-at-rest.js';
import { countTenants } from './directory/tenants.js';
import { type AnyFeature, features, installFeatures } from './features.js';
import { type Clock, systemClock } from './platform/clock.js';
import type { Config } from './platform/config/schema.js';
import { type AppContext, createContext } from './platform/context.js';
import { loadInstanceSecrets } from './platform/instance-secrets.js';
import { createLogger, withRedaction } from './platform/log.js';
import { masterKeys } from './platform/master-key.js';
import { assertPrivateDatabaseFile, type Database, databaseFolderWarning, openDatabase } from './platform/storage/database.js';
import { migrate } from './platform/storage/migrate.js';
import { loadTlsCredentials } from './platform/tls.js';

export interface RunningFoyer {
  ctx: AppContext;
  app: FoyerApp;
  /** An address to reach it at, e.g. http://127.0.0.1:8080 (the public URL when it does not listen) */
  address: string;
  close(): Promise<void>;
}

/** How to start. Every feature in src/features.ts runs unless `features` names others (tests). */
export interface StartOptions {
  clock?: Clock;
  log?: Logger;
  /** Where Foyer's own logger writes instead of standard output, when no `log` is given (tests read it). */
  logDestination?: DestinationStream;
  /** Use this open database instead of opening `config.databaseUrl` (tests). It is not closed on close(). */
  db?: Database;
  /** Skip listening (tests that use `app.http.inject`). */
  listen?: boolean;
  features?: readonly AnyFeature[];
}

export async function startFoyer(config: Readonly<Config>, options: StartOptions = {}): Promise<RunningFoyer> {
  // A logger handed in gets the same redaction of secrets as Foyer's own (src/platform/log-redaction.ts).
  const log = options.log ? withRedaction(options.log) : createLogger(config, options.logDestination);
  const clock = options.clock ?? systemClock;
  assertPrivateDatabaseFile(config.databaseUrl);
  // Before anything is opened: an unreadable or mismatched certificate stops the start with its setting named.
  const tls = loadTlsCredentials(config, clock.now());
  for (const warning of tls?.warnings ?? []) log.warn(warning);
  const folderWarning = databaseFolderWarning(config.databaseUrl);
  if (folderWarning) log.warn(folderWarning);
  const db = options.db ?? openDatabase(config.databaseUrl);
  const registry = features(options.features);
  const ctx = createContext({ config, db, clock, log });
  installFeatures(ctx, registry.features);
  try {
    masterKeys(ctx); // a missing or malformed master key stops the start before anything is written
    const outcome = await migrate(db);
    if (outcome.applied.length) log.info({ applied: outcome.applied, database: db.description }, 'database migrated');
    // Refuses a database holding values under a master key this process lacks; wraps (and replaces) secrets in clear, logging at warn.
    await wrapPlaintextSecrets(ctx);
    const secrets = await loadInstanceSecrets(ctx);
    const app = await createApp(ctx, { secrets, registry, ...(tls ? { tls } : {}) });
    let address = config.publicUrl;
    let bound: string | undefined;
    if (options.listen !== false) {
      address = await app.http.listen({ port: config.port, host: bindAddress(config) });
      bound = boundAddress(app.http.server.address() as AddressInfo, tls ? 'https' : 'http');
    } else {
      await app.http.ready();
    }
    if (config.mode === 'development') {
      log.warn(
        `development mode: ${config.publicUrl.startsWith('https:') ? '' : 'cookies are not Secure and '}the development mailbox is served; set FOYER_MODE=production for real use`,
      );
    }
    if ((await countTenants(db.kysely)) === 0) {
      log.info(
        'No organization exists yet. Create the first one with: npx foyer tenant create --name "Contoso" --domain contoso.example --admin-email admin@contoso.example --admin-password-stdin',
      );
    }
    // The address really bound (0.0.0.0 is every interface, 127.0.0.1 this machine only), and where to open it.
    log.info(
      { publicUrl: config.publicUrl, database: db.description, ...(bound ? { listen: bound } : {}) },
      bound ? `Foyer is listening on ${bound}; open ${config.publicUrl}` : `Foyer is ready at ${address}`,
    );
    const housekeeping = startHousekeeping(ctx, registry.features);
    const workers = registry.workers.map((w) => w(ctx));
    return {
      ctx,
      app,
      address,
      async close() {
        clearInterval(housekeeping);
        await app.http.close();
        await app.drain();
        // Only now, with no request left to finish: a worker's stop writes what those requests left
        // (the sign-in log's last entries), and it is awaited before the database closes.
        await Promise.all(workers.map((w) => w.stop()));
        if (!options.db) await db.close();
      },
    };
  } catch (err) {
    if (!options.db) await db.close().catch(() => {});
    throw err;
  }
}

/** Where the server binds: `FOYER_HOST`, else this machine only in development and every interface in production. */
export function bindAddress(config: Pick<Config, 'host' | 'mode'>): string {
  return config.host ?? (config.mode === 'production' ? '0.0.0.0' : '127.0.0.1');
}

/** `http://127.0.0.1:8080`, `http://0.0.0.0:8080`, `https://[::]:8080`: the socket's own address. */
function boundAddress(info: AddressInfo, scheme: 'http' | 'https'): string {
  return `${scheme}://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
}

const HOUSEKEEPING_MS = 10 * 60 * 1000;

/** Runs every feature's housekeeping: each deletes its own rows whose time has passed. Safe to run from every process at once. */
export async function purgeExpired(ctx: AppContext, list: readonly AnyFeature[] = features().features): Promise<void> {
  for (const feature of list) for (const purge of feature.housekeeping ?? []) await purge(ctx);
}

function startHousekeeping(ctx: AppContext, list: readonly AnyFeature[]): NodeJS.Timeout {
  const timer = setInterval(() => {
    purgeExpired(ctx, list).catch((err: unknown) => ctx.log.warn({ err }, 'housekeeping failed'));
  }, HOUSEKEEPING_MS);
  timer.unref();
  return timer;
}
