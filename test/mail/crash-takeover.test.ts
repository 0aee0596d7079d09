/**
 * How soon mail moves on after a crash, with the lease Foyer really uses: a process killed with
 * `SIGKILL` in the middle of an SMTP conversation leaves its message to the next process, which
 * delivers it within 30 seconds of the kill (measured on the times the database recorded); and a send
 * that lasts longer than one lease keeps its message (the lease is renewed), so nobody sends it twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createTenant } from '../../src/directory/tenants.js';
import { createInvitation } from '../../src/invitations/create-invitation.js';
import { MAIL_LEASE_MS, workerSettings } from '../../src/mail/delivery.js';
import { startOutboxWorker } from '../../src/mail/outbox.js';
import { SMTP_TIMEOUT_MS, smtpTransport } from '../../src/mail/transports.js';
import { systemClock } from '../../src/platform/clock.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { backends, freshContext } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { freePort } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const repo = resolve(import.meta.dirname, '../..');
/** What the issue promises: after a kill, the next process delivers within this. */
const TAKEOVER_BOUND_MS = 30_000;

/**
 * A real SMTP server on loopback that holds the next `stall` messages after their data arrived: for
 * `holdMs` before accepting, or without ever answering (the sender dies first).
 */
interface StallingSmtp {
  url: string;
  messages: ParsedMail[];
  /** DATA commands received, answered or not. */
  attempts: number;
  stall: number;
  holdMs: number | 'forever';
  waitForStalled(timeoutMs: number): Promise<void>;
  waitFor(n: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startStallingSmtp(): Promise<StallingSmtp> {
  let stalled = 0;
  const state: StallingSmtp = {
    url: '',
    messages: [],
    attempts: 0,
    stall: 0,
    holdMs: 'forever',
    waitForStalled: (timeoutMs) => until('a message to be held', () => stalled > 0, timeoutMs),
    waitFor: (n, timeoutMs) => until(`${n} messages`, () => state.messages.length >= n, timeoutMs),
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.attempts++;
        const accept = () =>
          simpleParser(Buffer.concat(chunks))
            .then((parsed) => {
              state.messages.push(parsed);
              callback();
            })
            .catch((err: Error) => callback(err));
        if (state.stall > 0) {
          state.stall--;
          stalled++;
          if (state.holdMs !== 'forever') setTimeout(accept, state.holdMs);
          return;
        }
        void accept();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

/** `foyer start` from the sources, as its own operating-system process. */
function startProcess(env: Record<string, string>): { child: ChildProcess; listening: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(repo, 'src/cli/entry.ts'), 'start'], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const listening = new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Foyer is listening')) ok();
    });
    child.once('exit', (code) => fail(new Error(`foyer start exited (${code}):\n${out}\n${err}`)));
  });
  return { child, listening };
}

async function cli(env: Record<string, string>, args: string[]): Promise<any> {
  const captured = io(env);
  if ((await runCli(args, captured)) !== 0) throw new Error(captured.stderr.join('\n'));
  return JSON.parse(captured.stdout.join('\n'));
}

describe.each(backends)('a process killed in the middle of sending, on $name', (backend) => {
  const children: ChildProcess[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it('leaves its message to the next process, which delivers it within 30 seconds of the kill', { timeout: 240_000 }, async () => {
    const smtp = await startStallingSmtp();
    cleanups.push(() => smtp.close());
    const databaseUrl = backend.freshUrl();
    cleanups.push(() => backend.drop(databaseUrl));
    const port = await freePort();
    // Default poll interval and the real lease: what an operator runs.
    const env = {
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_PUBLIC_URL: `http://localhost:${port}`,
      FOYER_DATABASE_URL: databaseUrl,
      FOYER_SMTP_URL: smtp.url,
      FOYER_LOG_LEVEL: 'info',
    };
    const tenant = await cli({ ...env, FOYER_ADMIN_PASSWORD: 'Correct-Horse-9' }, [
      'tenant',
      'create',
      '--name',
      'Contoso',
      '--domain',
      'contoso.example',
      '--admin-email',
      'admin@contoso.example',
      '--json',
    ]);
    const app = await cli(env, ['app', 'create', '--tenant', tenant.id, '--name', 'inviter', '--permissions', 'User.Invite.All', '--json']);

    // The first process claims the invitation's e-mail and is in the middle of handing it over (the
    // server holds the message without answering) when it is killed.
    smtp.stall = 1;
    smtp.holdMs = 'forever';
    const first = startProcess(env);
    children.push(first.child);
    await first.listening;
    const foyer = { url: env.FOYER_PUBLIC_URL } as Parameters<typeof appToken>[0];
    const res = await graph(foyer, await appToken(foyer, tenant.id, app), 'POST', '/invitations', {
      invitedUserEmailAddress: 'guest@fabrikam.example',
      inviteRedirectUrl: 'https://apps.contoso.example/',
      sendInvitationMessage: true,
    });
    expect(res.status).toBe(201);
    await smtp.waitForStalled(60_000);
    // The next process (another port, the same database) is already running, so its start-up is not
    // what is measured; it polls the outbox while the first one still holds the message.
    const second = startProcess({ ...env, FOYER_PORT: String(await freePort()) });
    children.push(second.child);
    await second.listening;
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once('exit', r)));
    expect(smtp.messages).toHaveLength(0);

    // Generous: a lease of the old length (2 minutes) fails the assertion below, not this wait.
    await smtp.waitFor(1, 180_000);
    await new Promise((r) => setTimeout(r, 1500)); // a few more polls: nothing else may arrive
    second.child.kill('SIGTERM');
    await new Promise((r) => (second.child.exitCode !== null || second.child.signalCode !== null ? r(null) : second.child.once('exit', r)));

    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain(res.body.inviteRedeemUrl);
    const db = openDatabase(databaseUrl);
    try {
      const row = await db.kysely.selectFrom('outbox').select(['state', 'attempts', 'last_attempt_at']).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'sent', attempts: 2 });
      // The second attempt's claim, as the database recorded it, came within the bound after the kill.
      const takeover = Number(row.last_attempt_at) - killedAt;
      console.info(`${backend.name}: the next process took the message over ${takeover} ms after the kill`);
      expect(takeover).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    } finally {
      await db.close();
    }
  });
});

describe.each(backends)('a send that outlasts one lease, on $name', (backend) => {
  it('keeps its message: a second worker polling all along does not send it again', { timeout: 120_000 }, async () => {
    // The server holds the message for longer than a lease, yet answers before the SMTP timeout.
    const holdMs = MAIL_LEASE_MS + 4_000;
    expect(holdMs).toBeLessThan(SMTP_TIMEOUT_MS);
    const smtp = await startStallingSmtp();
    smtp.stall = 1;
    smtp.holdMs = holdMs;
    const fresh = await freshContext(backend, systemClock);
    const ctx = { ...fresh.ctx, log: pino({ level: 'silent' }) };
    // The production settings (lease, renewal, batch), polling more often so a lapse would be seen at once.
    const settings = { ...workerSettings(ctx), pollIntervalMs: 100 };
    expect(settings.leaseMs).toBe(MAIL_LEASE_MS);
    const a = startOutboxWorker(ctx, smtpTransport(smtp.url), settings);
    const b = startOutboxWorker(ctx, smtpTransport(smtp.url), settings);
    try {
      const { tenant } = await createTenant(ctx, {
        name: 'Contoso',
        domains: ['contoso.example'],
        adminEmail: 'admin@contoso.example',
        adminPassword: 'Correct-Horse-9',
      });
      const inviter = { kind: 'cli' as const, permissions: new Set<string>(), actor: { kind: 'cli' as const, displayName: 'test' } };
      await createInvitation(ctx, tenant.id, inviter, {
        invitedUserEmailAddress: 'slow@fabrikam.example',
        inviteRedirectUrl: 'https://a.example/',
        sendInvitationMessage: true,
      });
      await smtp.waitFor(1, 90_000);
      const read = () => ctx.db.kysely.selectFrom('outbox').select(['state', 'attempts']).executeTakeFirstOrThrow();
      let row = await read();
      for (let i = 0; i < 100 && row.state !== 'sent'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        row = await read();
      }
      await new Promise((r) => setTimeout(r, 1_000)); // ten more polls of each worker
      expect(smtp.attempts).toBe(1);
      expect(smtp.messages).toHaveLength(1);
      expect(await read()).toEqual({ state: 'sent', attempts: 1 });
    } finally {
      await a.stop();
      await b.stop();
      await smtp.close();
      await fresh.cleanup();
    }
  });
});
