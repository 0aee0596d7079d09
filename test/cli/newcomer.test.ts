/**
 * What a newcomer to the `foyer` command tripped over: a command run in another folder that made a new,
 * empty database there; bad values that exited 1 without naming the flag; usage errors printed as text
 * under `--json`; help that pointed at options that were not there or showed a default twice; a repeated
 * option that silently kept the last value; and the secrets' variables missing from the reference.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from '../../src/cli/main.js';
import { cliSecretVariables, renderConfigurationDoc } from '../../src/docs.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';

const repo = resolve(import.meta.dirname, '../..');
const tsx = import.meta.resolve('tsx');
const REDIRECT = 'https://apps.contoso.example/';

describe.each(backends)('the foyer command for a newcomer, on $name', (backend) => {
  const url = backend.freshUrl();
  const dir = mkdtempSync(join(tmpdir(), 'foyer-newcomer-'));
  afterAll(async () => {
    await backend.drop(url);
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const out = io({ FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080', ...env });
    const code = await runCli(args, out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  };

  beforeAll(async () => {
    // `tenant create` is the documented first command: it may create the database.
    const made = await run(['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example'], {
      FOYER_ADMIN_PASSWORD: 'Correct-Horse-9',
    });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
  });

  describe('a SQLite database file that does not exist', () => {
    it.each([
      [['tenant', 'list']],
      [['tenant', 'show', '--tenant', 'contoso.example']],
      [['app', 'list', '--tenant', 'contoso.example']],
      [['invitation', 'list', '--tenant', 'contoso.example']],
      [['keys', 'rewrap']],
    ])('is refused by %j with exit 2, naming the file and the way out, and not created', async (args) => {
      const file = join(dir, `missing-${args.join('-')}`, 'foyer.db');
      const res = await run(args, { FOYER_DATABASE_URL: `sqlite:${file}` });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`configuration error: no database at ${file}`);
      expect(res.stderr).toContain('FOYER_DATABASE_URL');
      expect(existsSync(file)).toBe(false);
      expect(existsSync(join(file, '..'))).toBe(false);
    });

    it('is refused as JSON with --json', async () => {
      const file = join(dir, 'missing-json.db');
      const res = await run(['tenant', 'list', '--json'], { FOYER_DATABASE_URL: `sqlite:${file}` });
      expect(res.code).toBe(2);
      expect(JSON.parse(res.stderr)).toEqual({ error: { code: 'cli.configuration', message: expect.stringContaining(`no database at ${file}`) } });
    });

    it('is refused in another folder, where the default path is a new file (`cd docs && npx foyer tenant list`)', async () => {
      const cwd = mkdtempSync(join(dir, 'elsewhere-'));
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FOYER_')));
      const res = await promisify(execFile)(process.execPath, ['--import', tsx, join(repo, 'src/cli/entry.ts'), 'tenant', 'list'], {
        cwd,
        env: { ...clean, FOYER_LOG_LEVEL: 'silent' },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`no database at ${join(cwd, '.foyer/foyer.db')}: run the command in the folder where \`npm start\``);
      expect(existsSync(join(cwd, '.foyer'))).toBe(false);
    });

    it('is created by tenant create, and then read by the other commands', async () => {
      const file = join(dir, 'new', 'foyer.db');
      const made = await run(['tenant', 'create', '--name', 'Fabrikam', '--admin-email', 'admin@fabrikam.example', '--json'], {
        FOYER_DATABASE_URL: `sqlite:${file}`,
        FOYER_ADMIN_PASSWORD: 'Correct-Horse-9',
      });
      expect(made.code).toBe(0);
      const listed = await run(['tenant', 'list', '--json'], { FOYER_DATABASE_URL: `sqlite:${file}` });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual([{ id: JSON.parse(made.stdout).id, displayName: 'Fabrikam' }]);
    });
  });

  it.each([
    [['app', 'create', '--tenant', 'contoso.example', '--name', 'X', '--permissions', 'Bogus.Perm'], "option '--permissions <list>'"],
    [['app', 'create', '--tenant', 'contoso.example', '--name', 'X', '--scopes', 'Bogus.Scope'], "option '--scopes <list>'"],
    [['app', 'create', '--tenant', 'contoso.example', '--name', 'X', '--redirect-uri', 'notaurl'], "option '--redirect-uri <uri...>'"],
    [['app', 'update', '--tenant', 'contoso.example', '--app', 'x', '--redirect-uri', 'http://apps.contoso.example/'], 'must use https'],
    [['invite', '--tenant', 'contoso.example', '--email', 'notanemail', '--redirect-url', REDIRECT], "option '--email <address>'"],
    [['invite', '--tenant', 'contoso.example', '--email', 'ada@fabrikam.example', '--redirect-url', 'notaurl'], "option '--redirect-url <url>'"],
    [['invite', '--tenant', 'contoso.example', '--email', 'ada@fabrikam.example', '--redirect-url', REDIRECT, '--cc', 'nope'], "option '--cc <address>'"],
    [['user', 'create', '--tenant', 'contoso.example', '--upn', 'bad'], "option '--upn <userPrincipalName>'"],
    [['user', 'create', '--tenant', 'contoso.example', '--upn', 'dee@contoso.example', '--mail', 'bad'], "option '--mail <address>'"],
    [['tenant', 'create', '--name', 'X', '--domain', 'not a domain', '--admin-email', 'x@x.example'], "option '--domain <domain...>'"],
  ])('a malformed value (%j) is a usage error: exit 2, naming the flag %s', async (args, flag) => {
    const res = await run(args, { FOYER_ADMIN_PASSWORD: 'Correct-Horse-9', FOYER_USER_PASSWORD: 'Dee-Passphrase-77' });
    expect(res.stderr).toContain(flag);
    expect(res.stderr).not.toContain('invitedUserEmailAddress');
    expect(res.code).toBe(2);
  });

  it('keeps what only the server can judge a refusal (exit 1): a sign-in name on a domain the tenant has not verified', async () => {
    const res = await run(['user', 'create', '--tenant', 'contoso.example', '--upn', 'dee@fabrikam.example'], { FOYER_USER_PASSWORD: 'Dee-Passphrase-77' });
    expect(res.stderr).toContain('verified domain names');
    expect(res.code).toBe(1);
  });

  it.each([
    [['app', 'show', '--tenant', 'contoso.example', '--json'], "required option '--app <app>' not specified"],
    [['invite', '--tenant', 'contoso.example', '--json'], 'missing --email and --redirect-url'],
    [['tenant', 'list', '--jsn', '--json'], "unknown option '--jsn'"],
    [['invite', '--tenant', 'contoso.example', '--email', 'x', '--json'], "option '--email <address>' argument 'x' is invalid."],
  ])('with --json, a usage error (%j) is JSON on standard error too', async (args, message) => {
    const res = await run(args);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    const printed = JSON.parse(res.stderr);
    expect(printed).toEqual({ error: { code: 'cli.usage', message: expect.stringContaining(message) } });
    expect(printed.error.message).not.toMatch(/^error:/);
  });

  it.each([
    [['tenant', 'show', '--tenant', 'contoso.example', '--tenant', 'fabrikam.example'], '--tenant'],
    [['invite', '--tenant', 'contoso.example', '--email', 'a@fabrikam.example', '--email', 'b@fabrikam.example', '--redirect-url', REDIRECT], '--email'],
    [['invite', '--tenant', 'contoso.example', '--email', 'a@fabrikam.example', '--redirect-url', REDIRECT, '--type', 'guest', '--type', 'member'], '--type'],
    [
      ['user', 'create', '--tenant', 'contoso.example', '--upn', 'e@contoso.example', '--password', 'First-Secret-41', '--password', 'Second-Secret-42'],
      '--password',
    ],
  ])('a single-value option given twice (%j) is refused, naming %s and never repeating the value', async (args, flag) => {
    const res = await run(args);
    expect(res.stderr).toBe(`error: ${flag} was given more than once: give it once (it takes a single value)`);
    expect(res.code).toBe(2);
  });

  it('still takes a list option many times, and a default once', async () => {
    const res = await run(['invite', '--tenant', 'contoso.example', '--email', 'gus@fabrikam.example', '--redirect-url', REDIRECT, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ invitedUserType: 'Guest' });
    const app = await run([
      'app',
      'create',
      '--tenant',
      'contoso.example',
      '--name',
      'Two',
      '--redirect-uri',
      REDIRECT,
      '--redirect-uri',
      `${REDIRECT}cb`,
      '--json',
    ]);
    expect(app.code).toBe(0);
    expect(JSON.parse(app.stdout).redirectUris).toEqual([REDIRECT, `${REDIRECT}cb`]);
  });
});

describe('the help of the foyer command', () => {
  const leaves: Command[] = [];
  const walk = (c: Command) => (c.commands.length ? c.commands.forEach(walk) : leaves.push(c));
  walk(buildCli(io({})));
  const help = async (...args: string[]) => {
    const out = io({});
    expect(await runCli([...args, '--help'], out)).toBe(0);
    // As one line: commander wraps descriptions to the terminal's width.
    return out.stdout.join('\n').replace(/\s+/g, ' ');
  };

  it('names the other ways to give a password where it says to prefer them', async () => {
    expect(await help('tenant', 'create')).toContain('(visible to other local users: prefer FOYER_ADMIN_PASSWORD or --admin-password-stdin)');
    expect(await help('user', 'create')).toContain('(visible to other local users: prefer FOYER_USER_PASSWORD or --password-stdin)');
    const texts = leaves.flatMap((c) => c.options.map((o) => o.description));
    expect(texts.filter((t) => /the next two/.test(t))).toEqual([]);
  });

  it('shows each default once: commander adds it, so no description repeats it', async () => {
    const repeated = leaves.flatMap((c) =>
      c.options.filter((o) => o.defaultValue !== undefined && /default/i.test(o.description)).map((o) => `${c.name()} ${o.flags}`),
    );
    expect(repeated).toEqual([]);
    const top = (await help('invitation', 'list')).split('--top <n>')[1]!.split('--json')[0]!;
    expect(top.match(/default/g)).toHaveLength(1);
  });
});

describe('the secrets the command reads from the environment', () => {
  it.each([
    [['tenant', 'create', '--name', 'X', '--admin-email', 'x@x.example'], 'foyer tenant create'],
    [['user', 'create', '--tenant', 't.example', '--upn', 'a@t.example'], 'foyer user create'],
    [['user', 'set-password', '--tenant', 't.example', '--user', 'a@t.example'], 'foyer user set-password'],
    [['idp', 'add', '--tenant', 't.example', '--name', 'X', '--issuer', 'https://idp.example', '--client-id', 'c', '--domain', 'x.example'], 'foyer idp add'],
  ])('are in the configuration reference with the command that reads them: %j', async (args, command) => {
    const out = io({ FOYER_ADMIN_PASSWORD: '', FOYER_USER_PASSWORD: '', FOYER_IDP_CLIENT_SECRET: '' });
    expect(await runCli(args, out)).toBe(2);
    const variable = /set (FOYER_[A-Z_]+)/.exec(out.stderr.join('\n'))?.[1];
    expect(variable).toBeDefined();
    expect(cliSecretVariables.find((v) => v.env === variable)?.commands).toContain(command);
    expect(renderConfigurationDoc()).toMatch(new RegExp(`\\| \`${variable}\` \\|[^\\n]*\`${command}\``));
  });

  it('and the password policy names every command that sets a password', () => {
    const policy = readFileSync(join(repo, 'docs/api.md'), 'utf8').split('### Password policy')[1]!.split('| rule |')[0]!;
    for (const command of ['foyer tenant create', 'foyer user create', 'foyer user set-password']) expect(policy).toContain(`\`${command}\``);
  });
});
