/**
 * What the sign-in log costs: members' password sign-ins per second with the log on and off
 * (`FOYER_SIGNIN_LOG`), side by side with the difference. The issue asks for less than 10%.
 * `npm run bench` runs it (`benchSignInLog`, after the MFA sign-ins; `--only sign-in-log` alone), and it
 * runs on its own too, with options `npm run bench` does not have:
 *
 *   npm run build && npx tsx bench/sign-in-log.ts [--backend sqlite|postgres|all] [--duration S]
 *                                                 [--workers N] [--members N] [--from-source] [--control]
 *
 * Two servers of their own run at once (`foyer start`, as in production; `--from-source` runs src/ through
 * tsx instead of dist/), one with the log off and one with it on, each on its own database seeded alike
 * (members from bench/seed.ts, one app). Each of `--workers` loops signs in on one server, then on the
 * other, and so on: both see the same machine at the same moments, so that whatever else runs on it
 * weighs on both alike (measured one after the other, a shared machine's noise is larger than the
 * difference looked for). The duration is run in two halves with the servers' roles swapped (the log
 * on for the first database, then for the second), so that neither position favours a mode. Each server's rate is its sign-ins' share of the workers: workers ÷ 2 ÷ its
 * mean sign-in time (Little's law). Each sign-in is the whole flow in a fresh cookie jar, scripted over
 * HTTP: the app's authorization request (PKCE), the address, the password, the code at the token endpoint
 * for an ID token. One in five types a wrong password first (logged too).
 * `--control` runs both servers with the log off (an A/A run): how far two identical servers differ here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApplication } from '../src/directory/applications.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config/load.js';
import { createContext } from '../src/platform/context.js';
import { openDatabase } from '../src/platform/storage/database.js';
import { migrate } from '../src/platform/storage/migrate.js';
import { freePort } from '../test/support/foyer.js';
import { formWith, HttpBrowser } from '../test/support/http-browser.js';
import { percentile, waitUntilReady } from './measure.js';
import { seed } from './seed.js';

const REDIRECT_URI = 'http://localhost:9/callback';
/** The password bench/seed.ts gives every member. */
const PASSWORD = 'Bench-Passphrase-1';

export interface SignInLogOptions {
  backend: 'sqlite' | 'postgres';
  /** PostgreSQL to work in (a schema of its own per server, dropped afterwards). */
  postgresUrl: string;
  /** The repository: the servers run its `bin/foyer.js` (or `src/` with `fromSource`). */
  repo: string;
  /** Seconds measured, in two halves with the servers' roles swapped (each after a 3-second warm-up). */
  seconds: number;
  /** Sign-in loops, each alternating between the two servers. */
  workers: number;
  /** Members per server. */
  members: number;
  /** Run `src/` through tsx instead of the compiled `dist/`. */
  fromSource?: boolean;
  /** An A/A run: both servers with the log off, to see how far two identical servers differ on this machine. */
  control?: boolean;
}

export interface SignInLogFigure {
  /** Sign-ins per second: this server's share of the loops ÷ its mean sign-in time (Little's law). */
  perSecond: number;
  mean: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
}

export interface SignInLogBench {
  off: SignInLogFigure;
  on: SignInLogFigure;
  /** (on − off) ÷ off, in percent: negative when the log slows sign-ins. */
  difference: number;
  /** Entries in both servers' sign-in logs afterwards (0 in a control run). */
  logged: number;
  workers: number;
  members: number;
  seconds: number;
  control: boolean;
}

async function prepare(databaseUrl: string, publicUrl: string, members: number) {
  const db = openDatabase(databaseUrl);
  try {
    await migrate(db);
    const config = loadConfig({ FOYER_PUBLIC_URL: publicUrl, FOYER_LOG_LEVEL: 'silent', FOYER_MASTER_KEY: process.env.FOYER_MASTER_KEY });
    const ctx = createContext({ config, db, clock: systemClock, log: pino({ level: 'silent' }) });
    const seeded = await seed(ctx, Math.ceil((members * 10) / 9) + 1);
    const rows = await db.kysely
      .selectFrom('users')
      .select(['user_principal_name'])
      .where('tenant_id', '=', seeded.tenantId)
      .where('account_enabled', '=', 1)
      .where('user_principal_name', 'like', 'user%')
      .limit(members)
      .execute();
    const app = await createApplication(ctx, seeded.tenantId, { displayName: 'Portal', redirectUris: [REDIRECT_URI] });
    return { tenantId: seeded.tenantId, upns: rows.map((r) => r.user_principal_name), app: { appId: app.application.appId, clientSecret: app.clientSecret! } };
  } finally {
    await db.close();
  }
}

async function signIn(publicUrl: string, tenantId: string, app: { appId: string; clientSecret: string }, upn: string, wrongFirst: boolean): Promise<void> {
  const b = new HttpBrowser();
  const atApp = (u: string) => u.startsWith(REDIRECT_URI);
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    client_id: app.appId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const start = await b.go(`${publicUrl}/${tenantId}/oauth2/v2.0/authorize?${params}`, {}, atApp);
  let password = await b.submit(start, formWith(start, 'email'), { email: upn });
  if (wrongFirst) password = await b.submit(password, formWith(password, 'password'), { password: 'not-the-password' }, atApp);
  const back = await b.submit(password, formWith(password, 'password'), { password: PASSWORD }, atApp);
  const code = atApp(back.url) ? new URL(back.url).searchParams.get('code') : null;
  if (!code) throw new Error(`the password was not accepted: ${back.status} ${back.url}`);
  const res = await fetch(`${publicUrl}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${app.appId}:${app.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  const body = (await res.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
}

async function startServer(o: SignInLogOptions, databaseUrl: string, port: number, log: 'on' | 'off'): Promise<ChildProcess> {
  const command = o.fromSource ? ['--import', 'tsx', join(o.repo, 'src/cli/entry.ts'), 'start'] : [join(o.repo, 'bin/foyer.js'), 'start'];
  const child = spawn(process.execPath, command, {
    env: {
      ...process.env,
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_PUBLIC_URL: `http://localhost:${port}`,
      FOYER_DATABASE_URL: databaseUrl,
      FOYER_LOG_LEVEL: process.env.BENCH_LOG ?? 'warn',
      FOYER_MAIL_DELIVERY: 'off',
      // Sign-in attempts are limited per address: the benchmark signs in from one.
      FOYER_SIGNIN_ATTEMPT_LIMIT: '1000000',
      FOYER_SIGNIN_LOG: log,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUntilReady(`http://localhost:${port}/readyz`, child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function figure(latencies: number[], errors: number, share: number): SignInLogFigure {
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, x) => a + x, 0) / Math.max(1, latencies.length);
  return {
    perSecond: mean > 0 ? (share * 1000) / mean : 0,
    mean: Math.round(mean),
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    total: latencies.length,
    errors,
  };
}

/** Password sign-ins per second on two servers at once, one with the sign-in log off and one with it on. */
export async function benchSignInLog(o: SignInLogOptions): Promise<SignInLogBench> {
  // The seeding here and the servers must share one master key (the caller's, if it set one).
  process.env.FOYER_MASTER_KEY ??= randomBytes(32).toString('base64url');
  const { backend, postgresUrl, workers } = o;
  const control = o.control ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'foyer-bench-signin-log-'));
  const names = ['a', 'b'] as const;
  const schema = (name: string) => `foyer_bench_signin_${name}_${process.pid}`;
  const urlOf = (name: string) => (backend === 'sqlite' ? `sqlite:${join(dir, `${name}.db`)}` : `${postgresUrl}?schema=${schema(name)}`);
  const dropSchemas = async () => {
    const admin = openDatabase(postgresUrl);
    for (const name of names) await sql`drop schema if exists ${sql.id(schema(name))} cascade`.execute(admin.kysely).catch(() => {});
    await admin.close();
  };
  const children: ChildProcess[] = [];
  try {
    if (backend === 'postgres') await dropSchemas();
    const sites = await Promise.all(
      names.map(async (name) => {
        const port = await freePort();
        const publicUrl = `http://localhost:${port}`;
        return { name, port, publicUrl, url: urlOf(name), ...(await prepare(urlOf(name), publicUrl, o.members)) };
      }),
    );
    const latencies = { off: [] as number[], on: [] as number[] };
    const errors = { off: 0, on: 0 };
    // Two halves, the servers' roles swapped between them: neither database nor port nor start order favours a mode.
    for (const modes of [
      ['off', 'on'],
      ['on', 'off'],
    ] as const) {
      const servers = sites.map((site, i) => ({ ...site, mode: modes[i]! }));
      children.splice(0, children.length, ...(await Promise.all(servers.map((s) => startServer(o, s.url, s.port, control ? 'off' : s.mode)))));
      const run = async (seconds: number, record: boolean) => {
        const until = Date.now() + seconds * 1000;
        let n = 0;
        await Promise.all(
          Array.from({ length: workers }, async (_, w) => {
            for (let i = w; Date.now() < until; i++) {
              const server = servers[i % 2]!;
              const k = n++;
              const t = performance.now();
              try {
                await signIn(server.publicUrl, server.tenantId, server.app, server.upns[k % server.upns.length]!, k % 5 === 0);
                if (record) latencies[server.mode].push(performance.now() - t);
              } catch (err) {
                if (record) errors[server.mode]++;
                if (errors[server.mode] <= 3) process.stderr.write(`  error (${server.mode}): ${(err as Error).message}\n`);
              }
            }
          }),
        );
      };
      await run(3, false); // warm-up
      await run(o.seconds / 2, true);
      for (const child of children) await stop(child);
    }
    let logged = 0;
    for (const site of sites) {
      const db = openDatabase(site.url);
      logged += Number((await sql<{ n: number }>`select count(*) as n from sign_in_records`.execute(db.kysely)).rows[0]!.n);
      await db.close();
    }
    const off = figure(latencies.off, errors.off, workers / 2);
    const on = figure(latencies.on, errors.on, workers / 2);
    const difference = off.perSecond > 0 ? Math.round(((on.perSecond - off.perSecond) / off.perSecond) * 1000) / 10 : 0;
    // Rounded after the difference is taken from the unrounded rates.
    for (const x of [off, on]) x.perSecond = Math.round(x.perSecond * 10) / 10;
    return { off, on, difference, logged, workers, members: Math.min(...sites.map((s) => s.upns.length)), seconds: o.seconds, control };
  } finally {
    for (const child of children) await stop(child);
    if (backend === 'postgres') await dropSchemas();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One server's figures on a line: rate, latencies, how many sign-ins and errors. */
export const signInLogCell = (x: SignInLogFigure) =>
  `${x.perSecond.toFixed(1).padStart(7)}/s  mean ${String(x.mean).padStart(4)} ms  p50 ${String(x.p50).padStart(4)} ms  p99 ${String(x.p99).padStart(4)} ms  (${x.total} sign-ins, errors ${x.errors})`;

/** The three lines `npm run bench` and this script print for a backend: off, on, the difference. */
export function signInLogLines(backend: string, r: SignInLogBench): string[] {
  const label = `foyer ${backend.padEnd(8)} sign-ins, sign-in log`;
  return [
    `${label} off        ${signInLogCell(r.off)}`,
    `${label} on         ${signInLogCell(r.on)}`,
    `${label} difference ${r.difference >= 0 ? '+' : ''}${r.difference.toFixed(1)}%   (${r.logged} entries logged${r.control ? '; control run, both off' : ''})`,
  ];
}

async function main() {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i++) {
    const name = process.argv[i]!.replace(/^--/, '');
    const value = process.argv[i + 1];
    if (value === undefined || value.startsWith('--')) {
      args.set(name, 'true');
    } else {
      args.set(name, value);
      i++;
    }
  }
  const backendArg = args.get('backend') ?? 'all';
  const options = {
    postgresUrl: process.env.FOYER_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    repo: resolve(import.meta.dirname, '..'),
    seconds: Number(args.get('duration') ?? 10),
    workers: Number(args.get('workers') ?? 16),
    members: Number(args.get('members') ?? 200),
    fromSource: args.get('from-source') === 'true',
    control: args.get('control') === 'true',
  };
  if (options.control) console.log('control run: both servers have the sign-in log off');
  console.log(
    `password sign-ins (${options.workers} at once over both servers, ${options.members} members each, ${options.seconds} s in two halves, one in five with a wrong password first)`,
  );
  for (const backend of (backendArg === 'all' ? ['sqlite', 'postgres'] : [backendArg]) as Array<'sqlite' | 'postgres'>) {
    for (const line of signInLogLines(backend, await benchSignInLog({ backend, ...options }))) console.log(line);
  }
}

// Run on its own (`npx tsx bench/sign-in-log.ts`), not when bench/run.ts imports it.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
