/**
 * The newcomer's path, run for real: `foyer start` on an empty database binds this machine only (in
 * development), says where, and says how to create the first organization with its domain; the README's
 * five-minute tour, pasted into bash, invites a guest and ends with the user list and a link that opens; with a
 * wrong secret, or a refused last step, it stops at the step that failed.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/load.js';
import { bindAddress } from '../../src/server.js';
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
    let stderr = '';
    server.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const line = await server.waitFor('No organization exists yet');
    // The suggested command names the domain the README's later commands use (without it, the tenant gets one
    // of its own, and following the note twice makes a second organization).
    const suggestion = 'npx foyer tenant create --name "Contoso" --domain contoso.example --admin-email admin@contoso.example';
    expect(JSON.parse(line)).toMatchObject({ level: 30, service: 'foyer', msg: expect.stringContaining(suggestion) });
    // Development binds the loopback address only, and the log names the address really bound.
    const listening = JSON.parse(await server.waitFor('Foyer is listening'));
    expect(listening).toMatchObject({
      listen: `http://127.0.0.1:${port}`,
      msg: `Foyer is listening on http://127.0.0.1:${port}; open http://localhost:${port}`,
    });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const home = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(home).toContain(suggestion);
    // The OpenID library's runtime warning (Node.js before 22) is in the JSON log once, not on standard error.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      expect(JSON.parse(await server.waitFor('Unsupported runtime'))).toMatchObject({ level: 40, service: 'foyer' });
    }
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    expect(server.lines.filter((l) => l.includes('Unsupported runtime')).length).toBeLessThanOrEqual(1);
    expect(stderr).toBe('');
  });

  it('binds this machine only in development and every interface in production, unless FOYER_HOST says otherwise', () => {
    expect(bindAddress(loadConfig({}))).toBe('127.0.0.1');
    expect(bindAddress(loadConfig({ FOYER_MODE: 'production', FOYER_PUBLIC_URL: 'https://id.example' }))).toBe('0.0.0.0');
    expect(bindAddress(loadConfig({ FOYER_HOST: '0.0.0.0' }))).toBe('0.0.0.0');
    expect(bindAddress(loadConfig({ FOYER_HOST: '127.0.0.1', FOYER_MODE: 'production', FOYER_PUBLIC_URL: 'https://id.example' }))).toBe('127.0.0.1');
  });

  it('the README tour reaches Foyer at one address, $FOYER, and every curl stops the tour when it fails', () => {
    const tour = readTour();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${VAR:-default}, not a template
    expect(tour).toContain('FOYER=${FOYER_PUBLIC_URL:-http://localhost:${FOYER_PORT:-8080}}');
    // No other hard-coded address: every URL is built from $FOYER.
    expect(tour.match(/:\/\/localhost/g)).toHaveLength(1);
    const curls = tour.match(/\bcurl -[^\n]*/g) ?? [];
    expect(curls.length).toBeGreaterThanOrEqual(3);
    for (const curl of curls) expect(curl).toContain('--fail-with-body');
  });

  const readTour = () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const tour = /## A five-minute tour[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(tour).toBeDefined();
    return tour!;
  };
  /** The tour with the test's port and the repository's own bin for `npx foyer`, run by bash as the README says. */
  const runTour = (script: string, port: number, env: Record<string, string>, cwd: string) =>
    promisify(execFile)('bash', ['-c', script.replaceAll('8080', String(port)).replaceAll('npx foyer', `node ${bin}`)], {
      cwd,
      env: { ...process.env, ...env },
    });

  it('the README tour runs as written: it invites a guest (the e-mail lands in the development mailbox), lists the administrator and the guest, writes no file, and ends on a link that opens', async () => {
    const tour = readTour();
    const port = await freePort();
    const env = { FOYER_PORT: String(port), FOYER_DATABASE_URL: `sqlite:${join(dir, 'tour.db')}`, FOYER_LOG_LEVEL: 'warn' };
    const server = await startServer({ ...env, FOYER_LOG_LEVEL: 'info' });
    children.push(server.child);
    await server.waitFor('Foyer is listening');
    const cwd = mkdtempSync(join(dir, 'shell-'));
    const { stdout } = await runTour(tour, port, env, cwd);
    const users = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(users['@odata.count']).toBe(2);
    expect(users.value).toEqual(
      expect.arrayContaining([
        { id: expect.any(String), displayName: 'admin', userPrincipalName: 'admin@contoso.example', userType: 'Member' },
        { id: expect.any(String), displayName: 'alice', userPrincipalName: 'alice_fabrikam.example#EXT#@contoso.localhost', userType: 'Guest' },
      ]),
    );
    // The client secret stayed in the shell: the tour left nothing in the folder it ran in.
    expect(readdirSync(cwd)).toEqual([]);
    // It ends on pages that exist on this machine: the invitation link, and the redirect URL after it.
    const link = /Alice's invitation link: (\S+)/.exec(stdout)?.[1];
    expect(link).toMatch(new RegExp(`^http://localhost:${port}/redeem\\?`));
    const redeem = await fetch(link!.replace('localhost', '127.0.0.1'), { headers: { accept: 'text/html' } });
    expect(redeem.status).toBe(200);
    expect(await redeem.text()).toContain('Contoso');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    // The invitation e-mail is in the development mailbox, with the same link.
    let mail: { subject: string; links: string[] } | undefined;
    for (let i = 0; i < 50 && !mail; i++) {
      const box = (await (await fetch(`http://127.0.0.1:${port}/_dev/mailbox.json?to=alice@fabrikam.example`)).json()) as { value: (typeof mail)[] };
      mail = box.value[0];
      if (!mail) await new Promise((r) => setTimeout(r, 100));
    }
    expect(mail?.subject).toBe('Contoso invited you to access applications within their organization');
    expect(mail?.links).toContain(link);

    // The same tour with a wrong client secret stops at the token step, saying why, and invites no one.
    const broken = tour.replaceAll('contoso.example', 'contoso2.example').replace(`printf '%s' "$SECRET"`, `printf '%s' "not-the-secret"`);
    expect(broken).not.toBe(tour.replaceAll('contoso.example', 'contoso2.example'));
    const failed = await runTour(broken, port, env, cwd).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('"error":"invalid_client"');
    expect(failed?.stdout).not.toContain('invitation link');

    // A refused last step (the user list) stops the tour too: it does not print the error and exit 0.
    const [before, step5] = tour.replaceAll('contoso.example', 'contoso3.example').split('# 5.');
    const refused = `${before}# 5.${step5!.replace('Bearer $TOKEN', 'Bearer not-a-token')}`;
    expect(refused).toContain('Bearer not-a-token');
    const stopped = await runTour(refused, port, env, cwd).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(stopped?.code).toBe(22); // curl --fail-with-body: an HTTP error status
    expect(stopped?.stdout).toContain("Alice's invitation link:");
    expect(stopped?.stdout).toContain('"InvalidAuthenticationToken"');
  });
});
