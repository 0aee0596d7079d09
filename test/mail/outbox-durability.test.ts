/**
 * What the outbox promises: an invitation acknowledged with 201 gets its e-mail exactly once, even when
 * the process is killed before delivering it; and several Foyer processes on one PostgreSQL database
 * share the queue without sending a message twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { freePort, startTestFoyer } from '../support/foyer.js';
import { startServer } from '../support/foyer-process.js';
import { startSmtp } from '../support/smtp.js';
import { appToken, graph } from '../support/tokens.js';

const REDIRECT = 'https://apps.contoso.example/';

async function cli(env: Record<string, string>, args: string[]): Promise<any> {
  const captured = io(env);
  if ((await runCli(args, captured)) !== 0) throw new Error(captured.stderr.join('\n'));
  return JSON.parse(captured.stdout.join('\n'));
}

describe('a process killed between commit and delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-outbox-'));
  const kill: Array<() => void> = [];
  afterAll(() => {
    for (const k of kill) k();
  });

  it('delivers every acknowledged invitation e-mail exactly once after a restart', async () => {
    const smtp = await startSmtp();
    kill.push(() => void smtp.close());
    const port = await freePort();
    const env = {
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_PUBLIC_URL: `http://localhost:${port}`,
      FOYER_DATABASE_URL: `sqlite:${join(dir, 'foyer.db')}`,
      FOYER_SMTP_URL: smtp.url,
      FOYER_MAIL_POLL_INTERVAL: '0.1',
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

    // The first process queues but does not deliver (as an API-only process would), then dies hard.
    const first = await startServer({ ...env, FOYER_MAIL_DELIVERY: 'off' });
    kill.push(() => first.child.kill('SIGKILL'));
    await first.waitFor('Foyer is listening');
    const foyer = { url: env.FOYER_PUBLIC_URL } as Parameters<typeof appToken>[0];
    const token = await appToken(foyer, tenant.id, app);
    const invited: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await graph(foyer, token, 'POST', '/invitations', {
        invitedUserEmailAddress: `guest${i}@fabrikam.example`,
        inviteRedirectUrl: REDIRECT,
        sendInvitationMessage: true,
      });
      expect(res.status).toBe(201);
      invited.push(res.body.inviteRedeemUrl);
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(smtp.messages).toHaveLength(0);

    const second = await startServer(env);
    kill.push(() => second.child.kill('SIGTERM'));
    await second.waitFor('Foyer is listening');
    const mails = await smtp.waitFor(12);
    await new Promise((r) => setTimeout(r, 1000)); // several more polls: nothing else may arrive
    expect(smtp.messages).toHaveLength(12);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(12);
    expect(mails.map((m) => (m.to as { value: Array<{ address: string }> }).value[0]!.address).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `guest${i}@fabrikam.example`).sort(),
    );
    // Each e-mail carries the link its invitation returned.
    for (const url of invited) expect(mails.some((m) => m.text!.includes(url))).toBe(true);
    second.child.kill('SIGTERM');
  });
});

describe('several processes on one PostgreSQL database', () => {
  const postgres = backends.find((b) => b.name === 'postgres');

  it.skipIf(!postgres)('share the outbox and send each message once', async () => {
    const smtp = await startSmtp();
    const env = { FOYER_SMTP_URL: smtp.url, FOYER_MAIL_POLL_INTERVAL: '0.05' };
    const a = await startTestFoyer({ backend: postgres!, env });
    const b = await startTestFoyer({ backend: postgres!, databaseUrl: a.databaseUrl, env });
    try {
      const tenant = await a.createTenant('Contoso', { domains: ['contoso.example'] });
      const app = await a.createApp(tenant.id, { displayName: 'inviter', applicationPermissions: ['User.Invite.All'] });
      const tokenA = await appToken(a, tenant, app);
      const tokenB = await appToken(b, tenant, app);
      const made = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          graph(i % 2 ? b : a, i % 2 ? tokenB : tokenA, 'POST', '/invitations', {
            invitedUserEmailAddress: `p${i}@fabrikam.example`,
            inviteRedirectUrl: REDIRECT,
            sendInvitationMessage: true,
          }),
        ),
      );
      expect(made.every((r) => r.status === 201)).toBe(true);
      await smtp.waitFor(40);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.attempts).toBe(40); // not even a second attempt at any message
      expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(40);
      const states = await a.ctx.db.kysely.selectFrom('outbox').select(['state', 'attempts']).execute();
      expect(states.every((s) => s.state === 'sent' && s.attempts === 1)).toBe(true);
    } finally {
      await b.stop();
      await a.stop();
      await smtp.close();
    }
  });
});
