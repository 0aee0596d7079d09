/**
 * `foyer user mfa list|reset` beside a running server: the operator sees a person's second factors (never
 * a key) and removes them all with the recovery codes, audited with the command line as the actor, after
 * which Graph shows the person with no method left. Unknown people and tenants are clear errors.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createMember } from '../../src/directory/users.js';
import { issueRecoveryCodes } from '../../src/mfa/recovery-codes.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { newId } from '../../src/platform/ids.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const PASSWORD = 'Long-Enough-Passphrase-1';

describe.each(backends)('foyer user mfa on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let noor: string;
  let secret: string;

  const env = () => ({ FOYER_DATABASE_URL: foyer.databaseUrl, FOYER_PUBLIC_URL: foyer.url });
  const run = async (args: string[]) => {
    const out = io(env());
    const code = await runCli(args, out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, {
      displayName: 'Helpdesk',
      applicationPermissions: ['UserAuthenticationMethod.Read.All', 'AuditLog.Read.All'],
    });
    token = await appToken(foyer, tenant, app);
    noor = (await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'noor@contoso.example', displayName: 'Noor', password: PASSWORD })).id;
    secret = newTotpSecret();
    const added = await addTotpMethod(foyer.ctx, { tenantId: tenant.id, userId: noor, secret, code: totpCodeAt(secret, Date.now()), displayName: 'Pixel 8' });
    expect(added.ok).toBe(true);
    await foyer.ctx.db.kysely
      .insertInto('authentication_methods')
      .values({
        id: newId(),
        tenant_id: tenant.id,
        user_id: noor,
        kind: 'fido2',
        display_name: 'Work key',
        created_at: Date.now() + 1000,
        last_used_at: null,
        totp_secret: null,
        totp_last_step: null,
        credential_id: 'cred-work-key',
        public_key: 'pQECAyYgASFYIA',
        sign_count: 0,
        transports: '["usb"]',
        aaguid: '00000000-0000-0000-0000-000000000000',
        backed_up: 0,
      })
      .execute();
    await issueRecoveryCodes(foyer.ctx, tenant.id, noor);
  });
  afterAll(() => foyer?.stop());

  it('lists a person’s second factors as a table and as JSON, with the recovery codes left, never a key', async () => {
    const human = await run(['user', 'mfa', 'list', '--tenant', 'contoso.example', '--user', 'noor@contoso.example']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Second factors of noor@contoso.example');
    expect(human.stdout).toMatch(/KIND\s+NAME\s+ADDED\s+LAST USED\s+ID/);
    expect(human.stdout).toMatch(/authenticator app\s+Pixel 8/);
    expect(human.stdout).toMatch(/passkey\s+Work key\s+\S+\s+never/);
    expect(human.stdout).toContain('Recovery codes left: 10');

    const json = await run(['user', 'mfa', 'list', '--tenant', tenant.id, '--user', noor, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout);
    expect(listed).toMatchObject({
      user: { id: noor, userPrincipalName: 'noor@contoso.example' },
      recoveryCodesLeft: 10,
      methods: [
        { type: 'softwareOathAuthenticationMethod', displayName: 'Pixel 8', createdDateTime: expect.any(String) },
        { type: 'fido2AuthenticationMethod', displayName: 'Work key', lastUsedDateTime: null, aaGuid: '00000000-0000-0000-0000-000000000000', backedUp: false },
      ],
    });
    expect(json.stdout).not.toContain(secret);
    expect(json.stdout).not.toContain('pQECAyYgASFYIA');
  });

  it('resets every method and recovery code (the real foyer command); Graph then shows only the password; audited as the command line', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/entry.ts', 'user', 'mfa', 'reset', '--tenant', 'contoso.example', '--user', 'NOOR@contoso.example', '--json'],
      { env: { ...process.env, ...io(env()).env }, cwd: process.cwd() },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const reset = JSON.parse(stdout);
    expect(reset.user).toEqual({ id: noor, userPrincipalName: 'noor@contoso.example' });
    expect(reset.removed.map((m: { displayName: string }) => m.displayName)).toEqual(['Pixel 8', 'Work key']);

    const methods = await graph(foyer, token, 'GET', `/users/${noor}/authentication/methods`);
    expect(methods.body.value.map((m: { '@odata.type': string }) => m['@odata.type'])).toEqual(['#microsoft.graph.passwordAuthenticationMethod']);
    const listed = await run(['user', 'mfa', 'list', '--tenant', 'contoso.example', '--user', noor]);
    expect(listed.stdout).toBe('noor@contoso.example has no second factor registered: they register one at their next sign-in that asks for MFA.');
    const codes = JSON.parse((await run(['user', 'mfa', 'list', '--tenant', 'contoso.example', '--user', noor, '--json'])).stdout);
    expect(codes.recoveryCodesLeft).toBe(0);

    const filter = encodeURIComponent("activityDisplayName eq 'Admin deleted security info'");
    const audit = await graph(foyer, token, 'GET', `/auditLogs/directoryAudits?$filter=${filter}`);
    expect(audit.body.value).toHaveLength(2);
    for (const event of audit.body.value) {
      expect(event).toMatchObject({
        loggedByService: 'Authentication Methods',
        initiatedBy: { user: null, app: { displayName: 'foyer command line' } },
        targetResources: [{ id: noor, userPrincipalName: 'noor@contoso.example' }],
      });
    }
    // One reset, one correlation id.
    expect(new Set(audit.body.value.map((e: { correlationId: string }) => e.correlationId)).size).toBe(1);

    const again = await run(['user', 'mfa', 'reset', '--tenant', 'contoso.example', '--user', noor]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Removed 0 second factors');
  });

  it('refuses an unknown person or tenant with a clear error, and a missing --user as a usage error', async () => {
    const nobody = await run(['user', 'mfa', 'reset', '--tenant', 'contoso.example', '--user', 'nobody@contoso.example', '--json']);
    expect(nobody.code).toBe(1);
    expect(JSON.parse(nobody.stderr).error.code).toBe('directory.not_found');
    const elsewhere = await run(['user', 'mfa', 'list', '--tenant', 'fabrikam.example', '--user', noor]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/^error: .*fabrikam\.example/);
    const missing = await run(['user', 'mfa', 'reset', '--tenant', 'contoso.example']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--user');
  });
});
