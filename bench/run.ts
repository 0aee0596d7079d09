/**
 * `npm run bench`: Foyer under load, on SQLite and on PostgreSQL, beside bare oidc-provider measured in
 * the same run on the same machine.
 *
 *   - client-credentials tokens per second (RS256 JWT access tokens for the Graph API)
 *   - GET /graph/v1.0/users?$top=100 with a $filter, over a tenant of --users members (p50/p99)
 *   - GET /users/$count (with and without a $filter), a $search page and a plain page, with
 *     --query-connections clients (bench/directory-queries.ts)
 *   - POST /graph/v1.0/invitations, a new address each time, e-mail queued in the outbox (p50/p99)
 *   - `foyer invite --csv` with --bulk rows in Entra's bulk-invite format (rows per second)
 *   - end-to-end redemptions per second through the one-time passcode path (bench/redemption.ts), and
 *     guest sign-ins to an app (authorize with single sign-on + token endpoint) per second
 *   - sign-ins with an authenticator-app code per second, scripted HTTP (bench/mfa.ts): authorize, address,
 *     password, the MFA challenge with the app's current code, the code at the token endpoint
 *   - password sign-ins per second with the sign-in log off and on, and the difference (bench/sign-in-log.ts;
 *     the issue allows under 10%): two servers at once, one with FOYER_SIGNIN_LOG=off, one with it on
 *
 * Each server runs in its own process (`foyer start`, exactly as in production); autocannon drives it
 * from this process with --connections concurrent clients. Options:
 *   --users N        members to seed (default 100000)
 *   --duration S     seconds per measurement (default 10)
 *   --connections C  concurrent clients (default 32)
 *   --backend B      sqlite, postgres or all (default all)
 *   --bulk N         rows in the bulk-invite CSV (default 10000)
 *   --redeemers N    guests redeeming (and then signing in) at once (default 16)
 *   --query-connections C  concurrent clients for the directory queries (default 4)
 *   --mfa-members N  members with an authenticator app for the MFA sign-ins (default 1000)
 *   --mfa-workers N  MFA sign-ins at once (default 16)
 *   --sign-in-log-workers N  sign-ins at once over the two servers of the sign-in log's cost (default 16)
 *   --sign-in-log-members N  members per server for it (default 200)
 *   --only queries   measure only the directory queries (seeding included: a few minutes)
 *   --only mfa       measure only the MFA sign-ins (under a minute)
 *   --only sign-in-log  measure only the sign-in log's cost (about a minute)
 *   --json FILE      also write the figures as JSON
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApplication } from '../src/directory/applications.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config/load.js';
import { createContext } from '../src/platform/context.js';
import { openDatabase } from '../src/platform/storage/database.js';
import { migrate } from '../src/platform/storage/migrate.js';
import { freePort } from '../test/support/foyer.js';
import { benchDirectoryQueries, type Figure } from './directory-queries.js';
import { waitUntilReady } from './measure.js';
import { benchMfa, type MfaBench } from './mfa.js';
import { benchRedemption, type RedemptionBench, startCodeInbox } from './redemption.js';
import { seed } from './seed.js';
import { benchSignInLog, type SignInLogBench, signInLogLines } from './sign-in-log.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const USERS = Number(args.get('users') ?? 100_000);
const DURATION = Number(args.get('duration') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 32);
const BACKEND = args.get('backend') ?? 'all';
const BULK = Number(args.get('bulk') ?? 10_000);
const REDEEMERS = Number(args.get('redeemers') ?? 16);
const QUERY_CONNECTIONS = Number(args.get('query-connections') ?? 4);
const MFA_MEMBERS = Number(args.get('mfa-members') ?? 1000);
const MFA_WORKERS = Number(args.get('mfa-workers') ?? 16);
const SIGN_IN_LOG_WORKERS = Number(args.get('sign-in-log-workers') ?? 16);
const SIGN_IN_LOG_MEMBERS = Number(args.get('sign-in-log-members') ?? 200);
const ONLY = args.get('only');
if (ONLY !== undefined && ONLY !== 'queries' && ONLY !== 'mfa' && ONLY !== 'sign-in-log') {
  console.error(
    `usage: npm run bench -- [--only queries|mfa|sign-in-log] [options]: unknown --only '${ONLY}' (the values are 'queries', 'mfa' and 'sign-in-log')`,
  );
  process.exit(2);
}
const ONLY_QUERIES = ONLY === 'queries';
const ONLY_MFA = ONLY === 'mfa';
const ONLY_SIGN_IN_LOG = ONLY === 'sign-in-log';
const POSTGRES = process.env.FOYER_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const repo = resolve(import.meta.dirname, '..');
// One master key for the seeding done in this process and the servers and commands it starts (they
// inherit the environment): each would otherwise hold its own, and could not read the others' secrets.
process.env.FOYER_MASTER_KEY ??= randomBytes(32).toString('base64url');

function load(opts: autocannon.Options): Promise<Figure> {
  return new Promise((resolveRun, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }, (err, result) => {
      if (err) return reject(err);
      resolveRun({
        requestsPerSecond: Math.round(result.requests.average),
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
        non2xx: result.non2xx,
        total: result.requests.total,
      });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null) return resolveStop();
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
  });
}

const tokenBody = (clientId: string, secret: string, resource: string) =>
  new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: `${resource}/.default` }).toString();

async function benchBare(): Promise<Figure> {
  const port = await freePort();
  const child = fork(join(repo, 'bench/bare-oidc-provider.mjs'), [String(port)], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  await new Promise<void>((r) => child.once('message', () => r()));
  const url = `http://localhost:${port}/token`;
  const body = tokenBody('bench', 'bench-secret', `http://localhost:${port}/graph`);
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  try {
    await load({ url, method: 'POST', body, headers, duration: 2 });
    return await load({ url, method: 'POST', body, headers });
  } finally {
    await stop(child);
  }
}

interface BackendFigures {
  backend: string;
  seedSeconds: number;
  tokens: Figure;
  usersFiltered: Figure;
  usersFilteredQuery: string;
  queries: Array<{ name: string; figure: Figure }>;
  invitations?: Figure;
  bulk?: { rows: number; seconds: number; rowsPerSecond: number; failed: number };
  redemption?: RedemptionBench;
}

async function benchFoyer(backend: 'sqlite' | 'postgres'): Promise<BackendFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-bench-'));
  const schema = `foyer_bench_${process.pid}`;
  const databaseUrl = backend === 'sqlite' ? `sqlite:${join(dir, 'bench.db')}` : `${POSTGRES}?schema=${schema}`;
  const db = openDatabase(databaseUrl);
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  let child: ChildProcess | undefined;
  try {
    if (backend === 'postgres') await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.kysely);
    await migrate(db);
    const config = loadConfig({ FOYER_PUBLIC_URL: publicUrl, FOYER_LOG_LEVEL: 'silent', FOYER_MASTER_KEY: process.env.FOYER_MASTER_KEY });
    const started = Date.now();
    let last = 0;
    const seeded = await seed(createContext({ config, db, clock: systemClock, log: pino({ level: 'silent' }) }), USERS, (done) => {
      if (done - last >= 20_000 || done === USERS) {
        process.stderr.write(`  ${backend}: seeded ${done} users\n`);
        last = done;
      }
    });
    const seedSeconds = (Date.now() - started) / 1000;
    await db.close();

    child = spawn(process.execPath, [join(repo, 'bin/foyer.js'), 'start'], {
      env: {
        ...process.env,
        FOYER_PORT: String(port),
        FOYER_HOST: '127.0.0.1',
        FOYER_PUBLIC_URL: publicUrl,
        FOYER_DATABASE_URL: databaseUrl,
        FOYER_LOG_LEVEL: 'warn',
        // Measure creating invitations with their e-mail queued; delivery would compete for the same cores.
        FOYER_MAIL_DELIVERY: 'off',
        // The per-tenant limit (Entra's 150 per 5 s) would measure the limit, not the work.
        FOYER_INVITATION_RATE_LIMIT: '1000000000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntilReady(`${publicUrl}/readyz`, child);

    const tokenUrl = `${publicUrl}/${seeded.tenantId}/oauth2/v2.0/token`;
    const body = tokenBody(seeded.appId, seeded.clientSecret, `${publicUrl}/graph`);
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    await load({ url: tokenUrl, method: 'POST', body, headers, duration: 2 });
    const tokens = await load({ url: tokenUrl, method: 'POST', body, headers });

    const res = await fetch(tokenUrl, { method: 'POST', body, headers });
    const { access_token } = (await res.json()) as { access_token: string };
    const query = `$top=100&$filter=${encodeURIComponent("startswith(displayName,'an')")}`;
    const usersUrl = `${publicUrl}/graph/v1.0/users?${query}`;
    const check = await fetch(usersUrl, { headers: { authorization: `Bearer ${access_token}` } });
    const page = (await check.json()) as { value: unknown[] };
    if (!check.ok || page.value.length !== 100) throw new Error(`unexpected users page: ${check.status} ${JSON.stringify(page).slice(0, 300)}`);
    await load({ url: usersUrl, headers: { authorization: `Bearer ${access_token}` }, duration: 2 });
    const usersFiltered = await load({ url: usersUrl, headers: { authorization: `Bearer ${access_token}` } });
    const queries = await benchDirectoryQueries(`${publicUrl}/graph/v1.0`, access_token, USERS, QUERY_CONNECTIONS, load);
    if (ONLY_QUERIES) return { backend, seedSeconds, tokens, usersFiltered, usersFilteredQuery: decodeURIComponent(query), queries };

    // Invitations: each request a new address (a new guest, its ticket, the queued e-mail, the audit row).
    let n = 0;
    const inviteHeaders = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' };
    const inviteBody = (i: number) =>
      JSON.stringify({
        invitedUserEmailAddress: `guest${i}@partner${i % 50}.example`,
        inviteRedirectUrl: 'https://apps.bench.example/',
        sendInvitationMessage: true,
        invitedUserMessageInfo: { customizedMessageBody: 'Welcome to the project.' },
      });
    const invitationRequest = {
      url: `${publicUrl}/graph/v1.0/invitations`,
      method: 'POST' as const,
      headers: inviteHeaders,
      requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: inviteBody(n++) }) }],
    };
    const first = await fetch(invitationRequest.url, { method: 'POST', headers: inviteHeaders, body: inviteBody(n++) });
    if (first.status !== 201) throw new Error(`unexpected invitation answer: ${first.status} ${await first.text()}`);
    await load({ ...invitationRequest, duration: 2 });
    const invitations = await load(invitationRequest);

    // Bulk: the operator's command on a CSV in Entra's template, while the server runs beside it.
    const csv = join(dir, 'bulk.csv');
    const lines = [
      'version:v1.0',
      'Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,Send invitation message (true or false) [sendEmail],Customized invitation message [customizedMessageBody]',
    ];
    for (let i = 0; i < BULK; i++) lines.push(`bulk${i}@bulk${i % 100}.example,https://apps.bench.example/,true,Welcome`);
    writeFileSync(csv, lines.join('\n'));
    const bulkStarted = Date.now();
    const out = await new Promise<string>((resolveRun, reject) => {
      const proc = spawn(process.execPath, [join(repo, 'bin/foyer.js'), 'invite', '--tenant', seeded.tenantId, '--csv', csv, '--json'], {
        env: { ...process.env, FOYER_PUBLIC_URL: publicUrl, FOYER_DATABASE_URL: databaseUrl, FOYER_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      proc.stdout!.on('data', (c: Buffer) => (text += c.toString()));
      proc.once('exit', (code) => (code === 0 ? resolveRun(text) : reject(new Error(`foyer invite --csv exited with ${code}`))));
    });
    const bulkSeconds = (Date.now() - bulkStarted) / 1000;
    const summary = JSON.parse(out) as { rows: number; failed: number };
    const bulk = { rows: summary.rows, seconds: bulkSeconds, rowsPerSecond: Math.round(summary.rows / bulkSeconds), failed: summary.failed };

    // Redemption: restart the server with mail delivery to an SMTP server in this process. The
    // invitation e-mail queued above is cancelled first: the measurement is the guests' path.
    await stop(child);
    child = undefined;
    const admin = openDatabase(databaseUrl);
    await admin.kysely.updateTable('outbox').set({ state: 'cancelled', secret: null }).where('state', '=', 'queued').execute();
    const redirectUri = 'http://localhost:9/callback';
    const guestApp = await createApplication(createContext({ config, db: admin, clock: systemClock, log: pino({ level: 'silent' }) }), seeded.tenantId, {
      displayName: 'Guest portal',
      redirectUris: [redirectUri],
    });
    await admin.close();
    const inbox = await startCodeInbox();
    // A new port: this process's HTTP client still holds keep-alive connections to the stopped server.
    const port2 = await freePort();
    const publicUrl2 = `http://localhost:${port2}`;
    try {
      child = spawn(process.execPath, [join(repo, 'bin/foyer.js'), 'start'], {
        env: {
          ...process.env,
          FOYER_PORT: String(port2),
          FOYER_HOST: '127.0.0.1',
          FOYER_PUBLIC_URL: publicUrl2,
          FOYER_DATABASE_URL: databaseUrl,
          FOYER_SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
          FOYER_LOG_LEVEL: process.env.BENCH_LOG ?? 'warn',
          FOYER_MAIL_POLL_INTERVAL: '0.2',
          // Every virtual guest comes from 127.0.0.1: the per-client limit would measure the limit.
          FOYER_PASSCODE_SEND_IP_LIMIT: '1000000000',
          FOYER_INVITATION_RATE_LIMIT: '1000000000',
        },
        stdio: ['ignore', process.env.BENCH_LOG ? 'inherit' : 'ignore', 'inherit'],
      });
      child.once('exit', (code, signal) => code !== 0 && signal !== 'SIGTERM' && process.stderr.write(`  server exited: ${code ?? signal}\n`));
      await waitUntilReady(`${publicUrl2}/readyz`, child);
      const tokenUrl2 = `${publicUrl2}/${seeded.tenantId}/oauth2/v2.0/token`;
      const body2 = tokenBody(seeded.appId, seeded.clientSecret, `${publicUrl2}/graph`);
      const graphToken = ((await (await fetch(tokenUrl2, { method: 'POST', body: body2, headers })).json()) as { access_token: string }).access_token;
      const redemption = await benchRedemption({
        publicUrl: publicUrl2,
        tenantId: seeded.tenantId,
        graphToken,
        inbox,
        app: { appId: guestApp.application.appId, clientSecret: guestApp.clientSecret!, redirectUri },
        workers: REDEEMERS,
        seconds: DURATION,
      });
      return { backend, seedSeconds, tokens, usersFiltered, usersFilteredQuery: decodeURIComponent(query), queries, invitations, bulk, redemption };
    } finally {
      await inbox.close();
    }
  } finally {
    if (child) await stop(child);
    if (backend === 'postgres') {
      const cleanup = openDatabase(POSTGRES);
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(cleanup.kysely).catch(() => {});
      await cleanup.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function machine() {
  const db = openDatabase(POSTGRES);
  let postgres = 'unavailable';
  try {
    postgres = ((await sql<{ v: string }>`select version() as v`.execute(db.kysely)).rows[0]?.v ?? '').split(' on ')[0]!;
  } catch {
    // leave unavailable
  } finally {
    await db.close();
  }
  const lite = openDatabase('sqlite::memory:');
  const sqlite = (await sql<{ v: string }>`select sqlite_version() as v`.execute(lite.kysely)).rows[0]!.v;
  await lite.close();
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, postgres, sqlite };
}

const fmt = (f: Figure) =>
  `${String(f.requestsPerSecond).padStart(6)}/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors}`;

const info = await machine();
console.log(`Foyer benchmark — ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node.js ${info.node}, ${info.postgres}, SQLite ${info.sqlite}`);
if (ONLY_MFA) console.log(`${DURATION} s per measurement, ${MFA_WORKERS} sign-ins at once over ${MFA_MEMBERS} members\n`);
else if (ONLY_SIGN_IN_LOG)
  console.log(`${DURATION} s per measurement, ${SIGN_IN_LOG_WORKERS} sign-ins at once over two servers, ${SIGN_IN_LOG_MEMBERS} members each\n`);
else {
  console.log(`${CONNECTIONS} concurrent clients, ${DURATION} s per measurement, ${USERS} users`);
  console.log(`GET /users is /graph/v1.0/users?$top=100&$filter=startswith(displayName,'an') (about 6% of the tenant matches)\n`);
}

const bare = ONLY_MFA || ONLY_SIGN_IN_LOG ? undefined : await benchBare();
if (bare) console.log(`bare oidc-provider, client credentials      ${fmt(bare)}`);
const results: BackendFigures[] = [];
const mfa: Array<{ backend: string } & MfaBench> = [];
const signInLog: Array<{ backend: string } & SignInLogBench> = [];
async function mfaSignIns(backend: 'sqlite' | 'postgres') {
  const m = await benchMfa({ backend, postgresUrl: POSTGRES, repo, members: MFA_MEMBERS, workers: MFA_WORKERS, seconds: DURATION });
  mfa.push({ backend, ...m });
  const t = (x: MfaBench['signIns']) =>
    `${String(x.perSecond).padStart(6)}/s   p50 ${String(x.p50).padStart(4)} ms   p99 ${String(x.p99).padStart(4)} ms   errors ${x.errors}`;
  console.log(`foyer ${backend.padEnd(8)} sign-ins with an authenticator-app code (${m.workers} at once, ${m.members} members) ${t(m.signIns)}`);
  console.log(`foyer ${backend.padEnd(8)} the same sign-ins, password only (an app the policy excludes) ${t(m.passwordOnly)}`);
}
/** Password sign-ins with the sign-in log off and on, on two servers at once (bench/sign-in-log.ts). */
async function signInLogCost(backend: 'sqlite' | 'postgres') {
  const r = await benchSignInLog({ backend, postgresUrl: POSTGRES, repo, seconds: DURATION, workers: SIGN_IN_LOG_WORKERS, members: SIGN_IN_LOG_MEMBERS });
  signInLog.push({ backend, ...r });
  for (const line of signInLogLines(backend, r)) console.log(line);
}
for (const backend of (BACKEND === 'all' ? ['sqlite', 'postgres'] : [BACKEND]) as Array<'sqlite' | 'postgres'>) {
  if (!bare) {
    await (ONLY_SIGN_IN_LOG ? signInLogCost(backend) : mfaSignIns(backend));
    continue;
  }
  const r = await benchFoyer(backend);
  results.push(r);
  console.log(
    `foyer ${backend.padEnd(8)} client credentials       ${fmt(r.tokens)}   (${((r.tokens.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(0)}% of bare)`,
  );
  console.log(`foyer ${backend.padEnd(8)} GET /users (100 of ${USERS}) ${fmt(r.usersFiltered)}`);
  for (const q of r.queries) console.log(`foyer ${backend.padEnd(8)} ${q.name} (${QUERY_CONNECTIONS} clients) ${fmt(q.figure)}`);
  if (!r.invitations || !r.bulk || !r.redemption) continue;
  console.log(`foyer ${backend.padEnd(8)} POST /invitations (e-mail queued) ${fmt(r.invitations)}`);
  console.log(
    `foyer ${backend.padEnd(8)} foyer invite --csv, ${r.bulk.rows} rows: ${r.bulk.seconds.toFixed(1)} s, ${r.bulk.rowsPerSecond} rows/s, ${r.bulk.failed} failed`,
  );
  const t = (x: RedemptionBench['redemptions']) =>
    `${String(x.perSecond).padStart(6)}/s   p50 ${String(x.p50).padStart(4)} ms   p99 ${String(x.p99).padStart(4)} ms   errors ${x.errors}`;
  console.log(`foyer ${backend.padEnd(8)} redemptions, passcode path (${REDEEMERS} guests) ${t(r.redemption.redemptions)}`);
  console.log(`foyer ${backend.padEnd(8)} guest sign-in + tokens (${REDEEMERS} guests) ${t(r.redemption.guestTokens)}`);
  await mfaSignIns(backend);
  await signInLogCost(backend);
}
const json = args.get('json');
if (json)
  writeFileSync(json, JSON.stringify({ machine: info, connections: CONNECTIONS, duration: DURATION, users: USERS, bare, results, mfa, signInLog }, null, 2));
