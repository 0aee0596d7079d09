/**
 * `foyer app …` as an operator uses it to rotate a client secret: list, show, update, `secret add`,
 * `secret remove`, delete; `--json` in Graph's names; the secret printed once and never again; the
 * changes audited; and a secret removed from the command line refused by the running server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { CLIENT_CACHE_MS } from '../../src/oidc/adapter.js';
import { ManualClock } from '../../src/platform/clock.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { graph } from '../support/tokens.js';

describe.each(backends)('foyer app on $name', (backend) => {
  const url = backend.freshUrl();
  const env = { FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080' };
  const clock = new ManualClock(Date.now());
  let foyer: TestFoyer;
  let tenantId: string;

  /** Runs `foyer …args`; returns the exit code and what it printed. */
  async function foyerCli(...args: string[]) {
    const out = io(env);
    const code = await runCli(args, out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  }
  const json = async (...args: string[]) => {
    const r = await foyerCli(...args, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    const out = io({ ...env, FOYER_ADMIN_PASSWORD: 'Correct-Horse-9' });
    expect(
      await runCli(['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example', '--json'], out),
    ).toBe(0);
    tenantId = JSON.parse(out.stdout.join('')).id;
    // A server on the same database, as in production: the command line changes what it accepts.
    foyer = await startTestFoyer({ backend, databaseUrl: url, clock });
  });
  afterAll(async () => {
    await foyer?.stop();
    await backend.drop(url);
  });

  async function token(appId: string, secret: string) {
    const res = await fetch(`${foyer.url}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: `${foyer.url}/graph/.default` }),
    });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  }

  it('rotates a secret: add a new one, remove the old one, and the old one is refused while the new one works', async () => {
    // The command line runs on the system clock; the server's starts there too.
    clock.set(Date.now());
    const created = await json('app', 'create', '--tenant', 'contoso.example', '--name', 'Nightly sync', '--permissions', 'User.Read.All');
    const first = created.clientSecret as string;
    expect((await token(created.appId, first)).status).toBe(200);

    const shown = await json('app', 'show', '--tenant', 'contoso.example', '--app', created.appId);
    expect(shown).toMatchObject({
      id: created.id,
      appId: created.appId,
      displayName: 'Nightly sync',
      passwordCredentials: [{ keyId: expect.stringMatching(/^[0-9a-f-]{36}$/), hint: first.slice(0, 3), secretText: null }],
    });
    const oldKeyId = shown.passwordCredentials[0].keyId as string;

    const added = await json(
      'app',
      'secret',
      'add',
      '--tenant',
      'contoso.example',
      '--app',
      created.id,
      '--display-name',
      'rotation 2027',
      '--end',
      '2099-12-31',
    );
    expect(added).toMatchObject({ displayName: 'rotation 2027', endDateTime: '2099-12-31T00:00:00Z', keyId: expect.any(String), customKeyIdentifier: null });
    const second = added.secretText as string;
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(added.hint).toBe(second.slice(0, 3));

    const removed = await foyerCli('app', 'secret', 'remove', '--tenant', 'contoso.example', '--app', created.appId, '--key-id', oldKeyId);
    expect(removed).toMatchObject({ code: 0, stdout: `Removed secret ${oldKeyId} from Nightly sync.` });
    clock.advance(CLIENT_CACHE_MS + 1);
    expect(await token(created.appId, first)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await token(created.appId, second)).status).toBe(200);

    // The secret was printed by `secret add` and is shown nowhere after.
    const human = await foyerCli('app', 'show', '--tenant', 'contoso.example', '--app', created.appId);
    const list = await foyerCli('app', 'list', '--tenant', 'contoso.example', '--json');
    for (const output of [human.stdout, list.stdout]) {
      expect(output).not.toContain(second);
      expect(output).toContain('Nightly sync');
    }
    expect(human.stdout).toContain(`secret ${added.keyId}  ${second.slice(0, 3)}…  rotation 2027`);
    expect(human.stdout).not.toContain(oldKeyId);
  });

  it('lists, updates and deletes apps, with Graph property names in --json', async () => {
    const created = await json('app', 'create', '--tenant', 'contoso.example', '--name', 'Portal', '--redirect-uri', 'https://portal.contoso.example/cb');
    const list = await json('app', 'list', '--tenant', 'contoso.example');
    expect(list.map((a: { displayName: string }) => a.displayName)).toEqual(['Nightly sync', 'Portal']);
    expect(list[1]).toMatchObject({
      id: created.id,
      appId: created.appId,
      web: { redirectUris: ['https://portal.contoso.example/cb'] },
      isFallbackPublicClient: false,
    });

    const updated = await json(
      'app',
      'update',
      '--tenant',
      'contoso.example',
      '--app',
      created.id,
      '--name',
      'Partner portal',
      '--redirect-uri',
      'https://partners.contoso.example/cb',
      '--scopes',
      'User.Read,User.Read.All',
    );
    expect(updated).toMatchObject({ id: created.id, displayName: 'Partner portal', web: { redirectUris: ['https://partners.contoso.example/cb'] } });
    const human = await foyerCli('app', 'show', '--tenant', 'contoso.example', '--app', created.appId);
    expect(human.stdout).toContain('delegated:          User.Read, User.Read.All');

    expect(await json('app', 'delete', '--tenant', 'contoso.example', '--app', created.appId)).toEqual({
      id: created.id,
      appId: created.appId,
      displayName: 'Partner portal',
    });
    const gone = await foyerCli('app', 'show', '--tenant', 'contoso.example', '--app', created.appId);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`error: Resource '${created.appId}' does not exist`);
    expect((await token(created.appId, created.clientSecret)).body.error).toBe('invalid_client');
  });

  it('audits what the command line changed under Entra’s activity names', async () => {
    const db = openDatabase(url);
    try {
      const rows = await db.kysely
        .selectFrom('audit_events')
        .select(['activity', 'actor', 'targets'])
        .where('tenant_id', '=', tenantId)
        .where('category', '=', 'ApplicationManagement')
        .where('activity', '!=', 'Add service principal')
        .orderBy('activity_at')
        .orderBy('id')
        .execute();
      const portal = rows.filter((r) => JSON.parse(r.targets)[0].displayName.includes('ortal')).map((r) => r.activity);
      expect(portal).toEqual(['Add application', 'Update application – Certificates and secrets management', 'Update application', 'Delete application']);
      const sync = rows.filter((r) => JSON.parse(r.targets)[0].displayName === 'Nightly sync').map((r) => r.activity);
      expect(sync).toEqual([
        'Add application',
        'Update application – Certificates and secrets management',
        'Update application – Certificates and secrets management',
        'Update application – Certificates and secrets management',
      ]);
      expect(rows.every((r) => JSON.parse(r.actor).kind === 'cli')).toBe(true);
    } finally {
      await db.close();
    }
  });

  it.each([
    [['app', 'update', '--tenant', 'contoso.example', '--app', '00000000-0000-4000-8000-000000000000'], 2, 'error: nothing to change: give --name'],
    [['app', 'secret', 'add', '--tenant', 'contoso.example', '--app', 'x', '--end', 'next year'], 2, "error: --end 'next year' is not an ISO 8601 date"],
    [['app', 'secret', 'add', '--tenant', 'contoso.example', '--app', '00000000-0000-4000-8000-000000000000'], 1, 'does not exist'],
    [['app', 'secret', 'remove', '--tenant', 'contoso.example', '--app', 'x'], 2, "error: required option '--key-id <keyId>' not specified"],
    [['app', 'show', '--tenant', 'contoso.example'], 2, "error: required option '--app <app>' not specified"],
  ])('refuses %j with exit code %i and a clear message', async (argv, exitCode, message) => {
    const r = await foyerCli(...argv);
    expect(r.code).toBe(exitCode);
    expect(r.stderr).toContain(message);
  });

  it('reads --end without a zone as UTC, whatever the local time zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const created = await json('app', 'create', '--tenant', 'contoso.example', '--name', 'Zone check');
      const at = (end: string) => json('app', 'secret', 'add', '--tenant', 'contoso.example', '--app', created.appId, '--end', end);
      expect((await at('2099-06-30T12:00')).endDateTime).toBe('2099-06-30T12:00:00Z');
      expect((await at('2099-06-30T12:00:30')).endDateTime).toBe('2099-06-30T12:00:30Z');
      expect((await at('2099-06-30T12:00+02:00')).endDateTime).toBe('2099-06-30T10:00:00Z');
      expect((await at('2099-06-30')).endDateTime).toBe('2099-06-30T00:00:00Z');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    const help = await foyerCli('app', 'secret', 'add', '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('read as UTC unless it has an offset');
  });

  it('shows which app owns an app registered through Graph with Application.ReadWrite.OwnedBy', async () => {
    const tool = await json('app', 'create', '--tenant', 'contoso.example', '--name', 'Self-service tool', '--permissions', 'Application.ReadWrite.OwnedBy');
    const res = await token(tool.appId, tool.clientSecret);
    expect(res.status).toBe(200);
    const made = await graph(foyer, (res.body as { access_token: string }).access_token, 'POST', '/applications', { displayName: 'Made by the tool' });
    expect(made.status).toBe(201);
    const human = await foyerCli('app', 'show', '--tenant', 'contoso.example', '--app', made.body.appId);
    expect(human.stdout).toContain(`owner:              Self-service tool (appId ${tool.appId})`);
    const shown = await json('app', 'show', '--tenant', 'contoso.example', '--app', made.body.id);
    expect(shown.owners).toEqual([{ '@odata.type': '#microsoft.graph.servicePrincipal', id: tool.id, appId: tool.appId, displayName: 'Self-service tool' }]);
    expect((await json('app', 'show', '--tenant', 'contoso.example', '--app', tool.appId)).owners).toEqual([]);
    expect((await foyerCli('app', 'show', '--tenant', 'contoso.example', '--app', tool.appId)).stdout).toContain('owner:              (none');
  });
});
