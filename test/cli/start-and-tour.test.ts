/**
 * The newcomer's path, run for real: `foyer start` on an empty database says how to create the first
 * organization, and the README's five-minute tour, pasted into bash, invites a guest and ends with the user list.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/foyer.js';
import { bin, startServer } from '../support/foyer-process.js';

const repo = resolve(import.meta.dirname, '../..');

describe('a newcomer’s first minutes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foyer-tour-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('`foyer start` on an empty database logs, as JSON, how to create the first organization', async () => {
    const port = await freePort();
    const server = await startServer({ FOYER_PORT: String(port), FOYER_DATABASE_URL: `sqlite:${join(dir, 'empty.db')}` });
    children.push(server.child);
    const line = await server.waitFor('No organization exists yet');
    expect(JSON.parse(line)).toMatchObject({ level: 30, service: 'foyer', msg: expect.stringContaining('npx foyer tenant create --name') });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    server.child.kill('SIGTERM');
  });

  it('the README tour runs as written: it invites a guest (the e-mail lands in the development mailbox) and lists the administrator and the guest', async () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const tour = /## A five-minute tour[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(tour).toBeDefined();
    const port = await freePort();
    const env = { FOYER_PORT: String(port), FOYER_DATABASE_URL: `sqlite:${join(dir, 'tour.db')}`, FOYER_LOG_LEVEL: 'warn' };
    const server = await startServer({ ...env, FOYER_LOG_LEVEL: 'info' });
    children.push(server.child);
    await server.waitFor('Foyer is listening');
    // The tour as written, with the test's port and the repository's own bin for `npx foyer`.
    const script = `set -euo pipefail\n${tour!.replaceAll('8080', String(port)).replaceAll('npx foyer', `node ${bin}`)}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env: { ...process.env, ...env } });
    const users = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(users['@odata.count']).toBe(2);
    expect(users.value).toEqual(
      expect.arrayContaining([
        { id: expect.any(String), displayName: 'admin', userPrincipalName: 'admin@contoso.example', userType: 'Member' },
        { id: expect.any(String), displayName: 'alice', userPrincipalName: 'alice_fabrikam.example#EXT#@contoso.localhost', userType: 'Guest' },
      ]),
    );
    // The invitation e-mail is in the development mailbox.
    let mailbox = '';
    for (let i = 0; i < 50 && !mailbox.includes('alice@fabrikam.example'); i++) {
      mailbox = await (await fetch(`http://127.0.0.1:${port}/_dev/mailbox`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(mailbox).toContain('Contoso invited you to access applications within their organization');
  });
});
