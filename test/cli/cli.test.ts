/**
 * The `foyer` command as scripts use it: `--json` output with Graph's names, secrets from stdin or the
 * environment, clear errors with a non-zero exit, on both backends.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { latestMigration } from '../../src/platform/storage/migrate.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';

describe.each(backends)('foyer CLI on $name', (backend) => {
  const url = backend.freshUrl();
  const env = { FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080' };
  afterAll(() => backend.drop(url));

  let tenantId: string;

  beforeAll(async () => {
    const out = io({ ...env, FOYER_ADMIN_PASSWORD: 'Correct-Horse-9' });
    const code = await runCli(
      [
        'tenant',
        'create',
        '--name',
        'Contoso Ltd',
        '--domain',
        'contoso.example',
        '--domain',
        'contoso.test',
        '--admin-email',
        'admin@contoso.example',
        '--json',
      ],
      out,
    );
    expect(out.stderr).toEqual([]);
    expect(code).toBe(0);
    const tenant = JSON.parse(out.stdout.join('\n'));
    expect(tenant).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: 'Contoso Ltd',
      initialDomain: 'contoso-ltd.localhost',
      verifiedDomains: ['contoso-ltd.localhost', 'contoso.example', 'contoso.test'],
      admin: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), userPrincipalName: 'admin@contoso.example', mail: 'admin@contoso.example' },
    });
    tenantId = tenant.id;
  });

  it('migrates, and says so again as JSON', async () => {
    const out = io(env);
    expect(await runCli(['migrate', '--json'], out)).toBe(0);
    expect(JSON.parse(out.stdout.join(''))).toMatchObject({ applied: [], current: latestMigration });
  });

  it('registers a confidential app and shows its secret once', async () => {
    const out = io(env);
    const code = await runCli(
      [
        'app',
        'create',
        '--tenant',
        'contoso.test',
        '--name',
        'Sync',
        '--permissions',
        'User.Invite.All,User.Read.All',
        '--redirect-uri',
        'https://sync.contoso.example/cb',
        '--json',
      ],
      out,
    );
    expect(code).toBe(0);
    const app = JSON.parse(out.stdout.join(''));
    expect(app).toMatchObject({ displayName: 'Sync', redirectUris: ['https://sync.contoso.example/cb'], permissions: ['User.Invite.All', 'User.Read.All'] });
    expect(app.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const db = openDatabase(url);
    try {
      const rows = await db.kysely.selectFrom('application_secrets').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(app.clientSecret);
    } finally {
      await db.close();
    }
  });

  it('creates a member with a role, reading the password from standard input', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/entry.ts',
        'user',
        'create',
        '--tenant',
        tenantId,
        '--upn',
        'gina@contoso.example',
        '--role',
        'guest-inviter',
        '--password-stdin',
        '--json',
      ],
      {
        env: { ...process.env, ...env, FOYER_LOG_LEVEL: 'silent' },
        cwd: process.cwd(),
      },
    );
    child.stdin.end('Violet-Harbour-42\n');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ userPrincipalName: 'gina@contoso.example', userType: 'Member', roles: ['guest-inviter'] });
  });

  it('shows a tenant by any of its domains, and rotates its signing key', async () => {
    const shown = io(env);
    expect(await runCli(['tenant', 'show', '--tenant', 'CONTOSO.test', '--json'], shown)).toBe(0);
    expect(JSON.parse(shown.stdout.join(''))).toMatchObject({ id: tenantId, issuer: `http://localhost:8080/${tenantId}/v2.0` });
    const rotated = io(env);
    expect(await runCli(['tenant', 'rotate-keys', '--tenant', tenantId, '--json'], rotated)).toBe(0);
    const { kid } = JSON.parse(rotated.stdout.join(''));
    const db = openDatabase(url);
    try {
      const keys = await db.kysely.selectFrom('signing_keys').select(['kid', 'retired_at']).where('tenant_id', '=', tenantId).orderBy('created_at').execute();
      expect(keys).toHaveLength(2);
      expect(keys[1]).toEqual({ kid, retired_at: null });
      expect(keys[0]!.retired_at).not.toBeNull();
    } finally {
      await db.close();
    }
  });

  it.each([
    [
      ['tenant', 'create', '--name', 'X', '--admin-email', 'not-an-address', '--admin-password', 'Correct-Horse-9'],
      2,
      "error: option '--admin-email <email>' argument 'not-an-address' is invalid. It is not an e-mail address",
    ],
    [['app', 'create', '--tenant', 'nowhere.example', '--name', 'X'], 1, "error: No tenant has the id or domain 'nowhere.example'."],
    [
      ['app', 'create', '--tenant', 'contoso.example', '--name', 'X', '--permissions', 'Everything.All'],
      2,
      "error: option '--permissions <list>' argument 'Everything.All' is invalid. 'Everything.All' is not one of: User.Read,",
    ],
    [
      ['app', 'create', '--tenant', 'contoso.example', '--name', 'X', '--permissions', 'user.read'],
      1,
      "error: 'User.Read' is a delegated permission only; it cannot be granted to an app acting as itself.",
    ],
    [
      ['user', 'create', '--tenant', 'contoso.example', '--upn', 'x@gmail.com', '--password', 'Long-Enough-1'],
      1,
      'error: The domain portion of the userPrincipalName property is invalid.',
    ],
    [['tenant', 'create', '--name', 'X'], 2, "error: required option '--admin-email <email>' not specified"],
  ])('refuses %j with exit code %i and a clear message', async (argv, exitCode, message) => {
    const out = io({ ...env, FOYER_USER_PASSWORD: '' });
    expect(await runCli(argv, out)).toBe(exitCode);
    expect(out.stderr.join('\n')).toContain(message);
  });

  it('prints errors as JSON with --json', async () => {
    const out = io(env);
    expect(await runCli(['app', 'create', '--tenant', 'nowhere.example', '--name', 'X', '--json'], out)).toBe(1);
    expect(JSON.parse(out.stderr.join(''))).toEqual({ error: { code: 'tenant.not_found', message: "No tenant has the id or domain 'nowhere.example'." } });
  });

  it('refuses a configuration typo at start', async () => {
    const out = io({ ...env, FOYER_PORT: 'eighty' });
    expect(await runCli(['migrate'], out)).toBe(2);
    expect(out.stderr.join('')).toContain('configuration error: Invalid configuration:\n  FOYER_PORT="eighty"');
  });
});
