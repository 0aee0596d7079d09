/**
 * Sign-ins with an authenticator-app code, scripted over HTTP (no browser): a tenant of members who each
 * have an authenticator app, and a Conditional Access policy that requires MFA of All users for All apps.
 * Each sign-in is the whole of it in a fresh cookie jar: the app's authorization request (PKCE), the
 * address, the password, the challenge page, the app's current code, back to the interaction, the code
 * at the app's redirect URI, redeemed at the token endpoint for an ID token whose `amr` says `mfa`.
 *
 * An authenticator code is accepted for one 30-second step either side of the server's, and each step at
 * most once per person (a later one only): a member can sign in about three times in the step they are
 * first used in, then once per step. So the run takes members from a queue (a member is never in two
 * sign-ins at once) and gives each sign-in the member's next step still in the window; --mfa-members must
 * cover throughput × duration ÷ 2, and a run that runs out says so as errors.
 *
 * For comparison, the same script against an app the policy excludes, on the same server in the same run:
 * the password sign-in without the second factor (its cost is mostly the password's argon2id hash).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApplication } from '../src/directory/applications.js';
import { createPolicy } from '../src/mfa/policies.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../src/mfa/totp.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config/load.js';
import { createContext } from '../src/platform/context.js';
import { openDatabase } from '../src/platform/storage/database.js';
import { migrate } from '../src/platform/storage/migrate.js';
import { freePort } from '../test/support/foyer.js';
import { formWith, HttpBrowser } from '../test/support/http-browser.js';
import { runWorkers, type Timed, waitUntilReady } from './measure.js';
import { seed } from './seed.js';

export interface MfaBench {
  /** Sign-ins with the authenticator-app code. */
  signIns: Timed;
  /** The same sign-ins to an app the policy excludes: password only. */
  passwordOnly: Timed;
  members: number;
  workers: number;
}

const STEP_MS = 30_000;
/** The password bench/seed.ts gives every member. */
const PASSWORD = 'Bench-Passphrase-1';
const REDIRECT_URI = 'http://localhost:9/callback';

const stepAt = (ms: number) => Math.floor(ms / STEP_MS);

interface Member {
  upn: string;
  secret: string;
  /** The last step of the member's app the server accepted (or will have, once the sign-in in flight ends). */
  lastStep: number;
}

/**
 * The next step of the member's app the server will accept now, or undefined when the member has used
 * every step of the window. The step before the current one is used only early in the current step, so
 * it is still in the window when the code arrives.
 */
function nextStep(m: Member, now: number): number | undefined {
  const current = stepAt(now);
  const lowest = now - current * STEP_MS < STEP_MS - 5_000 ? current - 1 : current;
  const step = Math.max(m.lastStep + 1, lowest);
  return step <= current + 1 ? step : undefined;
}

/** A fresh database with a tenant, `count` members each with an authenticator app, the policy, and the app. */
async function prepare(databaseUrl: string, publicUrl: string, count: number) {
  const db = openDatabase(databaseUrl);
  try {
    await migrate(db);
    const config = loadConfig({ FOYER_PUBLIC_URL: publicUrl, FOYER_LOG_LEVEL: 'silent', FOYER_MASTER_KEY: process.env.FOYER_MASTER_KEY });
    const ctx = createContext({ config, db, clock: systemClock, log: pino({ level: 'silent' }) });
    // seed.ts disables one member in ten; seeding a ninth more keeps `count` enabled ones.
    const seeded = await seed(ctx, Math.ceil((count * 10) / 9) + 1);
    const rows = await db.kysely
      .selectFrom('users')
      .select(['id', 'user_principal_name'])
      .where('tenant_id', '=', seeded.tenantId)
      .where('account_enabled', '=', 1)
      .where('user_principal_name', 'like', 'user%')
      .limit(count)
      .execute();
    const members: Member[] = [];
    for (let i = 0; i < rows.length; i += 50) {
      await Promise.all(
        rows.slice(i, i + 50).map(async (row) => {
          const secret = newTotpSecret();
          // Registered with the previous step's code, so the current step is the member's first sign-in.
          for (;;) {
            const at = Date.now() - STEP_MS;
            const added = await addTotpMethod(ctx, { tenantId: seeded.tenantId, userId: row.id, secret, code: totpCodeAt(secret, at), displayName: 'Bench' });
            if (added.ok) return members.push({ upn: row.user_principal_name, secret, lastStep: stepAt(at) });
            // The step turned over between the code and its check: again.
          }
        }),
      );
    }
    const app = await createApplication(ctx, seeded.tenantId, { displayName: 'MFA portal', redirectUris: [REDIRECT_URI] });
    const kiosk = await createApplication(ctx, seeded.tenantId, { displayName: 'Kiosk', redirectUris: [REDIRECT_URI] });
    await createPolicy(
      ctx,
      seeded.tenantId,
      {
        displayName: 'Everyone needs MFA',
        state: 'enabled',
        conditions: {
          users: { includeUsers: ['All'], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
          applications: { includeApplications: ['All'], excludeApplications: [kiosk.application.appId] },
          clientAppTypes: ['all'],
        },
        grantControls: { operator: 'OR', builtInControls: ['mfa'] },
        sessionControls: null,
      },
      { kind: 'cli', displayName: 'benchmark' },
    );
    return {
      tenantId: seeded.tenantId,
      members,
      app: { appId: app.application.appId, clientSecret: app.clientSecret! },
      kiosk: { appId: kiosk.application.appId, clientSecret: kiosk.clientSecret! },
    };
  } finally {
    await db.close();
  }
}

/** One whole sign-in of `m` in a fresh cookie jar, ending with the tokens; with the app's code of `step`, or (undefined) without MFA. */
async function signIn(publicUrl: string, tenantId: string, app: { appId: string; clientSecret: string }, m: Member, step: number | undefined): Promise<void> {
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
  const password = await b.submit(start, formWith(start, 'email'), { email: m.upn });
  const afterPassword = await b.submit(password, formWith(password, 'password'), { password: PASSWORD }, atApp);
  let back = afterPassword;
  if (step !== undefined) {
    if (!afterPassword.url.endsWith('/mfa') || afterPassword.status !== 200)
      throw new Error(`no challenge after the password: ${afterPassword.status} ${afterPassword.url}`);
    back = await b.submit(afterPassword, formWith(afterPassword, 'code'), { code: totpCodeAt(m.secret, step * STEP_MS) }, atApp);
  }
  const code = atApp(back.url) ? new URL(back.url).searchParams.get('code') : null;
  if (!code) throw new Error(`the code was not accepted: ${back.status} ${back.url}`);
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
  const amr = (JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString()) as { amr?: string[] }).amr ?? [];
  if (amr.includes('mfa') !== (step !== undefined)) throw new Error(`an ID token with amr ${JSON.stringify(amr)}`);
}

export async function benchMfa(o: {
  backend: 'sqlite' | 'postgres';
  postgresUrl: string;
  repo: string;
  members: number;
  workers: number;
  seconds: number;
}): Promise<MfaBench> {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-bench-mfa-'));
  const schema = `foyer_bench_mfa_${process.pid}`;
  const databaseUrl = o.backend === 'sqlite' ? `sqlite:${join(dir, 'bench.db')}` : `${o.postgresUrl}?schema=${schema}`;
  const dropSchema = async () => {
    const admin = openDatabase(o.postgresUrl);
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.kysely).catch(() => {});
    await admin.close();
  };
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  let child: ChildProcess | undefined;
  try {
    if (o.backend === 'postgres') await dropSchema();
    const prepared = await prepare(databaseUrl, publicUrl, o.members);
    child = spawn(process.execPath, [join(o.repo, 'bin/foyer.js'), 'start'], {
      env: {
        ...process.env,
        FOYER_PORT: String(port),
        FOYER_HOST: '127.0.0.1',
        FOYER_PUBLIC_URL: publicUrl,
        FOYER_DATABASE_URL: databaseUrl,
        FOYER_LOG_LEVEL: process.env.BENCH_LOG ?? 'warn',
        FOYER_MAIL_DELIVERY: 'off',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntilReady(`${publicUrl}/readyz`, child);

    const idle = [...prepared.members];
    /** Takes an idle member with a step left in the window (and reserves that step), or throws. */
    const take = (): { member: Member; step: number } => {
      for (let tries = idle.length; tries > 0; tries--) {
        const member = idle.shift()!;
        const step = nextStep(member, Date.now());
        if (step !== undefined) {
          member.lastStep = step;
          return { member, step };
        }
        idle.push(member);
      }
      throw new Error('every member has used every step of the window: raise --mfa-members');
    };
    const withCode = async () => {
      const { member, step } = take();
      try {
        await signIn(publicUrl, prepared.tenantId, prepared.app, member, step);
      } finally {
        idle.push(member);
      }
    };
    let n = 0;
    const passwordOnly = () => signIn(publicUrl, prepared.tenantId, prepared.kiosk, prepared.members[n++ % prepared.members.length]!, undefined);

    const measure = (seconds: number, once: () => Promise<void>) => runWorkers(o.workers, seconds, once);
    const warmUp = await measure(2, withCode);
    if (warmUp.errors > 0) throw new Error('the warm-up sign-ins failed (see the errors above)');
    const signIns = await measure(o.seconds, withCode);
    const passwordOnlyFigure = await measure(o.seconds, passwordOnly);
    return { signIns, passwordOnly: passwordOnlyFigure, members: prepared.members.length, workers: o.workers };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (o.backend === 'postgres') await dropSchema();
    rmSync(dir, { recursive: true, force: true });
  }
}
