/**
 * `foyer invite` for one address and for a CSV in Entra's bulk-invite format (progress, per-row
 * results, bad rows that do not stop the batch), and `foyer invitation show|list` with delivery state.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';

describe.each(backends)('foyer invite on $name', (backend) => {
  const url = backend.freshUrl();
  const env = { FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080' };
  const dir = mkdtempSync(join(tmpdir(), 'foyer-bulk-'));
  let tenantId: string;
  afterAll(() => backend.drop(url));

  const run = async (args: string[]) => {
    const out = io(env);
    const code = await runCli(args, out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  };

  beforeAll(async () => {
    const out = io({ ...env, FOYER_ADMIN_PASSWORD: 'Correct-Horse-9' });
    expect(
      await runCli(['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example', '--json'], out),
    ).toBe(0);
    tenantId = JSON.parse(out.stdout.join('\n')).id;
  });

  it('invites one address, names the inviter, and shows the queued e-mail', async () => {
    const made = await run([
      'invite',
      '--tenant',
      'contoso.example',
      '--email',
      'ada@fabrikam.example',
      '--redirect-url',
      'https://apps.contoso.example/',
      '--send',
      '--message',
      'Hello Ada',
      '--inviter',
      'admin@contoso.example',
      '--json',
    ]);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const inv = JSON.parse(made.stdout);
    expect(inv).toMatchObject({ status: 'PendingAcceptance', invitedUser: { userPrincipalName: 'ada_fabrikam.example#EXT#@contoso.localhost' } });
    expect(inv.inviteRedeemUrl).toMatch(/^http:\/\/localhost:8080\/redeem\?tenant=/);

    const shown = await run(['invitation', 'show', inv.id, '--tenant', tenantId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('e-mail:  queued'); // no server runs here to deliver it
    const json = JSON.parse((await run(['invitation', 'show', inv.id, '--tenant', tenantId, '--json'])).stdout);
    expect(json.messageDeliveryStatus).toMatchObject({ state: 'queued', attempts: 0 });
    expect(JSON.stringify(json)).not.toContain(new URL(inv.inviteRedeemUrl).searchParams.get('ticket'));
  });

  it('refuses with a clear message and exit code 1', async () => {
    const res = await run(['invite', '--tenant', tenantId, '--email', 'bad+tag@fabrikam.example', '--redirect-url', 'https://apps.contoso.example/']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("error: The invitedUserEmailAddress 'bad+tag@fabrikam.example' is not a valid e-mail address");
  });

  it('bulk-invites from an Entra template, writing a results row for every row and going on past bad ones', async () => {
    const csv = join(dir, 'guests.csv');
    writeFileSync(
      csv,
      [
        'version:v1.0',
        'Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,Send invitation message (true or false) [sendEmail],Customized invitation message [customizedMessageBody]',
        'Example: someone@example.com,https://myapps.microsoft.com,true,Hello',
        'bo@fabrikam.example,https://apps.contoso.example/,false,',
        'not-an-address,https://apps.contoso.example/,false,',
        'cy@fabrikam.example,http://insecure.example/,false,',
        'di@fabrikam.example,https://apps.contoso.example/,maybe,',
        'admin@contoso.example,https://apps.contoso.example/,false,',
        '"ed@fabrikam.example",https://apps.contoso.example/,true,"Hi Ed, welcome"',
      ].join('\r\n'),
    );
    writeFileSync(join(dir, 'guests.results.csv'), 'from an earlier run\n', { mode: 0o644 }); // readable by all
    const res = await run(['invite', '--tenant', tenantId, '--csv', csv, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ rows: 6, invited: 2, failed: 4, resultsFile: join(dir, 'guests.results.csv') });
    const resultsPath = join(dir, 'guests.results.csv');
    expect(statSync(resultsPath).mode & 0o077).toBe(0); // redeem links inside: owner only
    const rows = parse(readFileSync(resultsPath, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => [r['Email address to invite'], r.Result])).toEqual([
      ['bo@fabrikam.example', 'invited'],
      ['not-an-address', 'failed'],
      ['cy@fabrikam.example', 'failed'],
      ['di@fabrikam.example', 'failed'],
      ['admin@contoso.example', 'failed'],
      ['ed@fabrikam.example', 'invited'],
    ]);
    expect(rows[0]!['Redeem URL']).toMatch(/ticket=/);
    expect(rows[1]!.Error).toContain('not a valid e-mail address');
    expect(rows[2]!.Error).toContain('absolute https URL');
    expect(rows[3]!.Error).toContain('must be true or false');
    expect(rows[4]!.Error).toContain('a verified domain of Contoso');
    expect(rows[5]!.Line).toBe('9');

    const list = JSON.parse((await run(['invitation', 'list', '--tenant', tenantId, '--json'])).stdout) as Array<{
      invitedUserEmailAddress: string;
      messageDeliveryStatus: unknown;
    }>;
    // rows are invited concurrently, so the list's order among them is not the file's order
    expect(
      list
        .slice(0, 2)
        .map((i) => i.invitedUserEmailAddress)
        .sort(),
    ).toEqual(['bo@fabrikam.example', 'ed@fabrikam.example']);
    expect(list.find((i) => i.invitedUserEmailAddress === 'ed@fabrikam.example')?.messageDeliveryStatus).toMatchObject({ state: 'queued' });
    expect(list.find((i) => i.invitedUserEmailAddress === 'bo@fabrikam.example')?.messageDeliveryStatus).toBeNull();
  });

  it('refuses a file without the required columns, naming the missing one', async () => {
    const csv = join(dir, 'wrong.csv');
    writeFileSync(csv, 'Email address to invite,Name\nx@fabrikam.example,X\n');
    const res = await run(['invite', '--tenant', tenantId, '--csv', csv]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Redirection url');
  });
});
