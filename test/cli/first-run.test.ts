/**
 * What a first-time user of the `foyer` command trips over: links printed for the wrong port (the
 * command says where its public URL came from), `--version`, one way to name a tenant, enum values in
 * any case, usage errors that exit 2 and name the exact flag, an administrator whose sign-in name is not
 * their address (explained), and no warning on standard error from an admin command.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from '../../src/cli/main.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';

const repo = resolve(import.meta.dirname, '../..');
const entry = join(repo, 'src/cli/entry.ts');
const tsx = import.meta.resolve('tsx');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** The command as a separate process, from the sources, in `cwd` (its own environment only). */
function foyerProcess(args: string[], env: Record<string, string>, cwd = repo) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FOYER_')));
  return promisify(execFile)(process.execPath, ['--import', tsx, entry, ...args], { cwd, env: { ...clean, FOYER_LOG_LEVEL: 'silent', ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe.each(backends)('the foyer command for a first-time user, on $name', (backend) => {
  const url = backend.freshUrl();
  const base = { FOYER_DATABASE_URL: url };
  const dir = mkdtempSync(join(tmpdir(), 'foyer-first-run-'));
  afterAll(async () => {
    await backend.drop(url);
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const out = io({ ...base, ...env });
    const code = await runCli(args, out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  };

  beforeAll(async () => {
    const made = await run(['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example', '--json'], {
      FOYER_ADMIN_PASSWORD: 'Correct-Horse-9',
    });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
  });

  describe('the public URL in what it prints', () => {
    it('builds redeem links on the port the server was given with FOYER_PORT, and says so on standard error only', async () => {
      const res = await run(
        ['invite', '--tenant', 'contoso.example', '--email', 'ada@fabrikam.example', '--redirect-url', 'https://apps.contoso.example/', '--json'],
        {
          FOYER_PORT: '9090',
        },
      );
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout).inviteRedeemUrl).toMatch(/^http:\/\/localhost:9090\/redeem\?/);
      expect(res.stderr).toBe('public URL http://localhost:9090 (from FOYER_PORT)');
    });

    it('takes the port from the configuration file the server reads (FOYER_CONFIG), and names the file', async () => {
      const file = join(dir, 'foyer.json');
      writeFileSync(file, JSON.stringify({ port: 9300 }));
      const res = await run(['tenant', 'show', '--tenant', 'contoso.example', '--json'], { FOYER_CONFIG: file });
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout).issuer).toMatch(/^http:\/\/localhost:9300\/[0-9a-f-]{36}\/v2\.0$/);
      expect(res.stderr).toBe(`public URL http://localhost:9300 (from port in FOYER_CONFIG (${file}))`);
    });

    it('reads .foyer/config.json beside the default database, as `foyer start` in the same folder does', async () => {
      const cwd = mkdtempSync(join(dir, 'project-'));
      mkdirSync(join(cwd, '.foyer'));
      writeFileSync(join(cwd, '.foyer/config.json'), JSON.stringify({ publicUrl: 'http://foyer.test:7000', databaseUrl: url }));
      const res = await foyerProcess(['tenant', 'show', '--tenant', 'contoso.example'], {}, cwd);
      expect(res.stderr).toBe('public URL http://foyer.test:7000 (from publicUrl in .foyer/config.json)\n');
      expect(res.stdout).toMatch(/issuer: {2}http:\/\/foyer\.test:7000\//);
      expect(res.code).toBe(0);
    });

    it('says when it fell back to the default address', async () => {
      const res = await run(['tenant', 'show', '--tenant', 'contoso.example']);
      expect(res.stderr).toBe('public URL http://localhost:8080 (from the default: no FOYER_PUBLIC_URL, FOYER_PORT or .foyer/config.json)');
    });

    it('is silent about it when FOYER_PUBLIC_URL chose the address', async () => {
      const res = await run(['tenant', 'show', '--tenant', 'contoso.example'], { FOYER_PUBLIC_URL: 'https://id.contoso.example' });
      expect(res.stdout).toContain('issuer:  https://id.contoso.example/');
      expect(res.stderr).toBe('');
    });
  });

  it('prints its version from package.json', async () => {
    for (const flag of ['--version', '-V']) {
      const res = await run([flag]);
      expect(res).toEqual({ code: 0, stdout: version, stderr: '' });
    }
  });

  it('names the tenant with --tenant in every command, and never as a positional argument', () => {
    const leaves: Command[] = [];
    const walk = (c: Command) => (c.commands.length ? c.commands.forEach(walk) : leaves.push(c));
    walk(buildCli(io({})));
    const path = (c: Command): string => (c.parent?.parent ? `${path(c.parent)} ${c.name()}` : c.name());
    const offenders: string[] = [];
    for (const c of leaves) {
      for (const a of c.registeredArguments) if (/tenant/i.test(a.name())) offenders.push(`${path(c)}: argument <${a.name()}>`);
      for (const o of c.options) if (/tenant/i.test(o.long ?? '') && o.flags !== '--tenant <tenant>') offenders.push(`${path(c)}: ${o.flags}`);
    }
    expect(offenders).toEqual([]);
    const withTenant = leaves.filter((c) => c.options.some((o) => o.long === '--tenant')).map(path);
    expect(withTenant).toEqual(
      expect.arrayContaining(['tenant show', 'tenant rotate-keys', 'app create', 'user create', 'invite', 'invitation show', 'idp add']),
    );
  });

  it('takes enum values in any case: --type member, --role GUEST-INVITER', async () => {
    const invited = await run(
      [
        'invite',
        '--tenant',
        'contoso.example',
        '--email',
        'bo@fabrikam.example',
        '--redirect-url',
        'https://apps.contoso.example/',
        '--type',
        'member',
        '--json',
      ],
      { FOYER_PUBLIC_URL: 'http://localhost:8080' },
    );
    expect(invited.code).toBe(0);
    expect(JSON.parse(invited.stdout)).toMatchObject({ invitedUserType: 'Member' });
    const user = await run(['user', 'create', '--tenant', 'contoso.example', '--upn', 'cy@contoso.example', '--role', 'GUEST-INVITER', '--json'], {
      FOYER_USER_PASSWORD: 'Cy-Passphrase-77',
    });
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ roles: ['guest-inviter'] });
  });

  it.each([
    [['tenant', 'create', '--name', 'X', '--admin-email', 'x@x.example'], '--admin-password-stdin'],
    [['user', 'create', '--tenant', 'contoso.example', '--upn', 'dee@contoso.example'], '--password-stdin'],
    [
      ['idp', 'add', '--tenant', 'contoso.example', '--name', 'X', '--issuer', 'https://idp.example', '--client-id', 'c', '--domain', 'x.example'],
      '--client-secret-stdin',
    ],
    [['invite', '--tenant', 'contoso.example', '--redirect-url', 'https://apps.contoso.example/'], 'missing --email'],
    [
      ['invite', '--tenant', 'contoso.example', '--email', 'a@b.example', '--type', 'Visitor'],
      "option '--type <type>' argument 'Visitor' is invalid. expected one of: Guest, Member.",
    ],
    [['user', 'create', '--tenant', 'contoso.example', '--upn', 'e@contoso.example', '--role', 'guest-inviter,owner'], "'owner' is not one of:"],
    [['invitation', 'list', '--tenant', 'contoso.example', '--top', '0'], '--top 0: expected a whole number from 1 to 999'],
    [['invitation', 'show', '--tenant', 'contoso.example'], 'missing --id'],
    [['tenant', 'show', 'contoso.example'], "required option '--tenant <tenant>' not specified"],
    [['tenant', 'create', '--name', 'X'], "required option '--admin-email <email>' not specified"],
    [['invite', '--tenant', 'contoso.example', '--emial', 'a@b.example'], "unknown option '--emial'"],
  ])('a usage error (%j) exits 2 and names the flag: %s', async (argv, message) => {
    // No password in the environment, and standard input is not a terminal here: nothing to prompt with.
    const res = await run(argv, { FOYER_ADMIN_PASSWORD: '', FOYER_USER_PASSWORD: '', FOYER_IDP_CLIENT_SECRET: '' });
    expect(res.stderr).toContain(message);
    expect(res.stderr).not.toContain('…');
    expect(res.code).toBe(2);
  });

  it('explains, when the administrator’s address is not on a verified domain, the sign-in name it created and why', async () => {
    const res = await run(['tenant', 'create', '--name', 'Northwind', '--admin-email', 'kim@fabrikam.example', '--json'], {
      FOYER_ADMIN_PASSWORD: 'Correct-Horse-9',
    });
    expect(res.code).toBe(0);
    const created = JSON.parse(res.stdout);
    expect(created.admin).toMatchObject({ userPrincipalName: `kim@${created.initialDomain}`, mail: 'kim@fabrikam.example' });
    expect(res.stderr).toContain(`the administrator signs in as kim@${created.initialDomain}, not kim@fabrikam.example`);
    expect(res.stderr).toContain('no --domain was given');
    expect(res.stderr).toContain('create the tenant with --domain fabrikam.example');
  });

  it('runs an admin command as a real process with nothing at all on standard error', async () => {
    // In a folder of its own: the repository's .foyer/config.json, if a developer wrote one, is not read.
    const res = await foyerProcess(['tenant', 'list', '--json'], base, mkdtempSync(join(dir, 'admin-')));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(expect.arrayContaining([{ id: expect.any(String), displayName: 'Contoso' }]));
  });
});
