/**
 * Starts a real Foyer (HTTP server on a free loopback port, real database) for a test, with helpers to
 * create tenants and apps through the same functions the CLI uses.
 */
import { createServer } from 'node:net';
import { pino } from 'pino';
import { createApplication, type NewApplication } from '../../src/directory/applications.js';
import { createTenant } from '../../src/directory/tenants.js';
import { type Clock, systemClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import type { Config } from '../../src/platform/config/schema.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { type RunningFoyer, startFoyer } from '../../src/server.js';
import type { Backend } from './backends.js';
import { EMPTY_CONFIG } from './config-file.js';
import { TEST_MASTER_KEY } from './master-key.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestFoyer extends RunningFoyer {
  url: string;
  /** The port this process listens on (differs from the public URL's behind a load balancer). */
  port: number;
  databaseUrl: string;
  createTenant(name: string, opts?: { domains?: string[]; adminEmail?: string; adminPassword?: string }): Promise<TestTenant>;
  createApp(tenantId: string, input: NewApplication): Promise<{ appId: string; clientSecret?: string; id: string }>;
  /** Stops the server and removes the database (unless shared). */
  stop(): Promise<void>;
}

export interface TestTenant {
  id: string;
  initialDomain: string;
  domains: string[];
  admin: { id: string; userPrincipalName: string; mail: string; password: string };
  issuer: string;
}

export interface StartTestOptions {
  backend: Backend;
  /** Share this database with another instance (two processes on one PostgreSQL). */
  databaseUrl?: string;
  clock?: Clock;
  config?: Partial<Config>;
  env?: Record<string, string>;
  /** The URL clients use, when it is not this process's own (a load balancer in front). */
  publicUrl?: string;
  /** Serve https with these PEM files (FOYER_TLS_CERT, FOYER_TLS_KEY); the public URL is then https://localhost:PORT. */
  tls?: { cert: string; key: string };
}

export async function startTestFoyer(options: StartTestOptions): Promise<TestFoyer> {
  const port = await freePort();
  const databaseUrl = options.databaseUrl ?? options.backend.freshUrl();
  const config = loadConfig(
    {
      FOYER_CONFIG: EMPTY_CONFIG,
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_PUBLIC_URL: options.publicUrl ?? `${options.tls ? 'https' : 'http'}://localhost:${port}`,
      ...(options.tls ? { FOYER_TLS_CERT: options.tls.cert, FOYER_TLS_KEY: options.tls.key } : {}),
      FOYER_MASTER_KEY: TEST_MASTER_KEY,
      FOYER_DATABASE_URL: databaseUrl,
      FOYER_LOG_LEVEL: process.env.FOYER_TEST_LOG_LEVEL ?? 'silent',
      ...options.env,
    },
    options.config,
  );
  const db = openDatabase(databaseUrl);
  const log = pino({ level: config.logLevel });
  const running = await startFoyer(config, { db, log, clock: options.clock ?? systemClock });
  const ctx = running.ctx;
  return {
    ...running,
    url: config.publicUrl,
    port,
    databaseUrl,
    async createTenant(name, opts = {}) {
      const adminPassword = opts.adminPassword ?? 'Correct-Horse-9';
      const created = await createTenant(ctx, {
        name,
        domains: opts.domains ?? [],
        adminEmail: opts.adminEmail ?? `admin@${opts.domains?.[0] ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`}`,
        adminPassword,
      });
      return {
        id: created.tenant.id,
        initialDomain: created.tenant.initialDomain,
        domains: created.domains.map((d) => d.domain),
        admin: { ...created.admin, password: adminPassword },
        issuer: `${config.publicUrl}/${created.tenant.id}/v2.0`,
      };
    },
    async createApp(tenantId, input) {
      const created = await createApplication(ctx, tenantId, input);
      return { id: created.application.id, appId: created.application.appId, ...(created.clientSecret ? { clientSecret: created.clientSecret } : {}) };
    },
    async stop() {
      await running.close();
      await db.close();
      if (!options.databaseUrl) await options.backend.drop(databaseUrl);
    },
  };
}
