/**
 * An administrator's view and reset of a person's second factors over Graph: `users/{id}/authentication/
 * methods`, `…/softwareOathMethods` and `…/fido2Methods` in Graph's shapes (never a secret), deletion
 * audited as "Admin deleted security info", the permissions and the roles that may read and reset whose
 * (an Authentication Administrator does neither to a Global Administrator), and bad ids answered 400 or 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createMember } from '../../src/directory/users.js';
import { listMethods } from '../../src/mfa/methods.js';
import { issueRecoveryCodes, recoveryCodesLeft } from '../../src/mfa/recovery-codes.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { newId } from '../../src/platform/ids.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';
const PASSWORD = 'Long-Enough-Passphrase-1';
const PASSWORD_METHOD = '28c10230-6103-485e-b985-444c60001490';
const AAGUID = 'ee882879-721c-4913-9775-3dfcce97072a';
const R = directoryRoles;

describe.each(backends)('authentication methods over Graph on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  /** People by name: their id, and their token through the console app when they sign in. */
  const people: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let writer: string;
  let reader: string;
  let userWriter: string;
  let auditor: string;

  const signIn = async (email: string, password: string) => {
    const console = await foyer.createApp(tenant.id, {
      displayName: `Console for ${email}`,
      redirectUris: [REDIRECT],
      delegatedPermissions: ['UserAuthenticationMethod.ReadWrite.All', 'UserAuthenticationMethod.Read'],
    });
    const scope = 'openid UserAuthenticationMethod.ReadWrite.All UserAuthenticationMethod.Read';
    return (await delegatedTokens(foyer, tenant, console, REDIRECT, { email, password }, scope)).access_token;
  };

  const member = async (name: string, role?: string) => {
    const user = await createMember(foyer.ctx, tenant.id, { userPrincipalName: `${name}@contoso.example`, displayName: name, password: PASSWORD });
    if (role) await assignRole(foyer.ctx, tenant.id, role, user.id);
    people[name] = user.id;
    return user.id;
  };

  /** Registers an authenticator app the way the security-info page does (a first code from the key); its method id. */
  const totp = async (userId: string, displayName = 'Phone') => {
    const secret = newTotpSecret();
    const added = await addTotpMethod(foyer.ctx, { tenantId: tenant.id, userId, secret, code: totpCodeAt(secret, Date.now()), displayName });
    if (!added.ok) throw new Error(`TOTP registration failed: ${added.reason}`);
    return { id: added.method.id, secret };
  };

  /** A passkey as WebAuthn registration would leave it (the test writes the row: no authenticator here). */
  const passkey = async (userId: string, displayName = 'YubiKey 5', createdAt = Date.now()) => {
    const id = newId();
    await foyer.ctx.db.kysely
      .insertInto('authentication_methods')
      .values({
        id,
        tenant_id: tenant.id,
        user_id: userId,
        kind: 'fido2',
        display_name: displayName,
        created_at: createdAt,
        last_used_at: null,
        totp_secret: null,
        totp_last_step: null,
        credential_id: `cred-${id}`,
        public_key: 'pQECAyYgASFYIA',
        sign_count: 0,
        transports: '["usb"]',
        aaguid: AAGUID,
        backed_up: 0,
      })
      .execute();
    return id;
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    people.ga = tenant.admin.id;
    await member('alice');
    await member('ben');
    await member('gina', R.guestInviter.id);
    await member('ursula', R.userAdministrator.id);
    await member('aaron', R.authenticationAdministrator.id);
    await member('abby', R.authenticationAdministrator.id);
    await member('paula', R.privilegedAuthenticationAdministrator.id);
    const app = async (name: string, applicationPermissions: string[]) =>
      appToken(foyer, tenant, await foyer.createApp(tenant.id, { displayName: name, applicationPermissions }));
    writer = await app('Helpdesk', ['UserAuthenticationMethod.ReadWrite.All']);
    reader = await app('Report', ['UserAuthenticationMethod.Read.All']);
    userWriter = await app('Sync', ['User.ReadWrite.All', 'Directory.ReadWrite.All']);
    auditor = await app('Audit', ['AuditLog.Read.All']);
    tokens.ga = await signIn(tenant.admin.userPrincipalName, tenant.admin.password);
    for (const name of ['alice', 'ursula', 'aaron', 'paula']) tokens[name] = await signIn(`${name}@contoso.example`, PASSWORD);
  });
  afterAll(() => foyer?.stop());

  it("lists a member's password, authenticator app and passkey in Graph's shapes, by id or userPrincipalName, never the key", async () => {
    const app = await totp(people.alice!);
    const key = await passkey(people.alice!, 'YubiKey 5', Date.now() + 60_000);
    for (const who of [people.alice!, 'Alice@Contoso.example']) {
      const res = await graph(foyer, writer, 'GET', `/users/${encodeURIComponent(who)}/authentication/methods`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#users('${people.alice}')/authentication/methods`);
      expect(res.body.value).toEqual([
        { '@odata.type': '#microsoft.graph.passwordAuthenticationMethod', id: PASSWORD_METHOD, password: null, createdDateTime: null },
        { '@odata.type': '#microsoft.graph.softwareOathAuthenticationMethod', id: app.id, secretKey: null },
        {
          '@odata.type': '#microsoft.graph.fido2AuthenticationMethod',
          id: key,
          displayName: 'YubiKey 5',
          createdDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          aaGuid: AAGUID,
          model: null,
          attestationCertificates: [],
          attestationLevel: 'notAttested',
        },
      ]);
      expect(JSON.stringify(res.body)).not.toContain(app.secret);
    }
    const oath = await graph(foyer, reader, 'GET', `/users/${people.alice}/authentication/softwareOathMethods`);
    expect(oath.body).toEqual({
      '@odata.context': `${foyer.url}/graph/v1.0/$metadata#users('${people.alice}')/authentication/softwareOathMethods`,
      value: [{ id: app.id, secretKey: null }],
    });
    const one = await graph(foyer, reader, 'GET', `/users/${people.alice}/authentication/fido2Methods/${key}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ '@odata.context': expect.stringMatching(/authentication\/fido2Methods\/\$entity$/), id: key, aaGuid: AAGUID });
    const viaMethods = await graph(foyer, reader, 'GET', `/users/${people.alice}/authentication/methods/${app.id}`);
    expect(viaMethods.body).toMatchObject({ '@odata.type': '#microsoft.graph.softwareOathAuthenticationMethod', id: app.id });
    expect((await graph(foyer, reader, 'GET', `/users/${people.alice}/authentication/methods/${PASSWORD_METHOD}`)).body.id).toBe(PASSWORD_METHOD);
  });

  it('a person reads their own methods at /me with UserAuthenticationMethod.Read, but not someone else’s, and cannot delete there', async () => {
    const mine = await graph(foyer, tokens.alice!, 'GET', '/me/authentication/methods');
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body['@odata.context']).toContain(`users('${people.alice}')/authentication/methods`);
    expect(mine.body.value.length).toBeGreaterThan(1);
    expect((await graph(foyer, tokens.alice!, 'GET', `/users/${people.alice}/authentication/fido2Methods`)).status).toBe(200);
    const other = await graph(foyer, tokens.alice!, 'GET', `/users/${people.ben}/authentication/methods`);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('Authorization_RequestDenied');
    const key = (await graph(foyer, tokens.alice!, 'GET', '/me/authentication/fido2Methods')).body.value[0].id;
    expect((await graph(foyer, tokens.alice!, 'DELETE', `/me/authentication/fido2Methods/${key}`)).status).toBeGreaterThanOrEqual(400);
    expect((await graph(foyer, tokens.alice!, 'DELETE', `/users/${people.alice}/authentication/fido2Methods/${key}`)).status).toBe(403);
    expect(await listMethods(foyer.ctx.db.kysely, tenant.id, people.alice!)).toHaveLength(2);
    expect((await graph(foyer, writer, 'GET', '/me/authentication/methods')).status).toBe(400);
  });

  it('deletes a passkey and an authenticator app (204), audited as "Admin deleted security info"; the last one takes the recovery codes', async () => {
    const app = await totp(people.ben!);
    const key = await passkey(people.ben!);
    await issueRecoveryCodes(foyer.ctx, tenant.id, people.ben!);
    // The wrong kind's collection does not find it.
    expect((await graph(foyer, writer, 'DELETE', `/users/${people.ben}/authentication/softwareOathMethods/${key}`)).status).toBe(404);
    expect((await graph(foyer, writer, 'DELETE', `/users/${people.ben}/authentication/fido2Methods/${key}`)).status).toBe(204);
    expect((await graph(foyer, writer, 'GET', `/users/${people.ben}/authentication/fido2Methods`)).body.value).toEqual([]);
    expect(await recoveryCodesLeft(foyer.ctx.db.kysely, tenant.id, people.ben!)).toBe(10);
    const again = await graph(foyer, writer, 'DELETE', `/users/${people.ben}/authentication/fido2Methods/${key}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('Request_ResourceNotFound');

    expect((await graph(foyer, tokens.aaron!, 'DELETE', `/users/ben@contoso.example/authentication/softwareOathMethods/${app.id}`)).status).toBe(204);
    expect(await listMethods(foyer.ctx.db.kysely, tenant.id, people.ben!)).toEqual([]);
    expect(await recoveryCodesLeft(foyer.ctx.db.kysely, tenant.id, people.ben!)).toBe(0);
    const methods = await graph(foyer, writer, 'GET', `/users/${people.ben}/authentication/methods`);
    expect(methods.body.value.map((m: { id: string }) => m.id)).toEqual([PASSWORD_METHOD]);

    const filter = encodeURIComponent("activityDisplayName eq 'Admin deleted security info'");
    const audit = await graph(foyer, auditor, 'GET', `/auditLogs/directoryAudits?$filter=${filter}`);
    expect(audit.status).toBe(200);
    const forBen = audit.body.value.filter((e: { targetResources: Array<{ id: string }> }) => e.targetResources[0]!.id === people.ben);
    expect(forBen).toHaveLength(2);
    expect(forBen.map((e: { loggedByService: string }) => e.loggedByService)).toEqual(['Authentication Methods', 'Authentication Methods']);
    const byAaron = forBen.find((e: { initiatedBy: { user: { id: string } | null } }) => e.initiatedBy.user?.id === people.aaron);
    expect(byAaron).toMatchObject({
      category: 'UserManagement',
      operationType: 'Delete',
      targetResources: [{ id: people.ben, userPrincipalName: 'ben@contoso.example', type: 'User' }],
      additionalDetails: expect.arrayContaining([{ key: 'methodType', value: 'softwareOathAuthenticationMethod' }]),
    });
    const byApp = forBen.find((e: { initiatedBy: { app: unknown } }) => e.initiatedBy.app !== null);
    expect(byApp.additionalDetails).toEqual(expect.arrayContaining([{ key: 'methodType', value: 'fido2AuthenticationMethod' }]));
  });

  it('refuses callers without the permission or the role, whatever they ask', async () => {
    const target = people.alice!;
    const key = (await listMethods(foyer.ctx.db.kysely, tenant.id, target)).find((m) => m.kind === 'fido2')!.id;
    const cases: Array<[string, string, string, string, number]> = [
      ['an app with only User.ReadWrite.All reads', userWriter, 'GET', `/users/${target}/authentication/methods`, 403],
      ['an app with only User.ReadWrite.All deletes', userWriter, 'DELETE', `/users/${target}/authentication/fido2Methods/${key}`, 403],
      ['an app with UserAuthenticationMethod.Read.All deletes', reader, 'DELETE', `/users/${target}/authentication/fido2Methods/${key}`, 403],
      ['a User Administrator (no authentication role) reads', tokens.ursula!, 'GET', `/users/${target}/authentication/methods`, 403],
      ['a User Administrator deletes', tokens.ursula!, 'DELETE', `/users/${target}/authentication/fido2Methods/${key}`, 403],
      ['an Authentication Administrator reads', tokens.aaron!, 'GET', `/users/${target}/authentication/fido2Methods`, 200],
      ['a Privileged Authentication Administrator reads', tokens.paula!, 'GET', `/users/${target}/authentication/methods/${key}`, 200],
      ['a Global Administrator reads', tokens.ga!, 'GET', `/users/${target}/authentication/softwareOathMethods`, 200],
    ];
    for (const [what, token, method, path, status] of cases) {
      const res = await graph(foyer, token, method, path);
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
      if (status === 403) expect(res.body.error.code, what).toBe('Authorization_RequestDenied');
    }
    expect(await listMethods(foyer.ctx.db.kysely, tenant.id, target)).toHaveLength(2);
  });

  // Entra's "Who can reset passwords" table, for the roles Foyer has; an app never reaches the top accounts.
  const whoMayReachWhom: Array<[caller: string, target: string, allowed: boolean]> = [
    ['aaron', 'gina', true],
    ['aaron', 'abby', true],
    ['aaron', 'ga', false],
    ['aaron', 'ursula', false],
    ['aaron', 'paula', false],
    ['paula', 'ga', true],
    ['paula', 'aaron', true],
    ['paula', 'ursula', true],
    ['ga', 'paula', true],
    ['app', 'ursula', true],
    ['app', 'abby', true],
    ['app', 'paula', false],
    ['app', 'ga', false],
  ];

  it('lets each administrator read only the methods of whom Entra lets them reset; one’s own stay readable', async () => {
    for (const [by, whom, allowed] of whoMayReachWhom) {
      const token = by === 'app' ? reader : tokens[by]!;
      for (const segment of ['methods', 'fido2Methods', 'softwareOathMethods']) {
        const res = await graph(foyer, token, 'GET', `/users/${people[whom]}/authentication/${segment}`);
        expect(res.status, `${by} reads ${whom}'s ${segment}: ${JSON.stringify(res.body)}`).toBe(allowed ? 200 : 403);
        if (!allowed) expect(res.body.error.code).toBe('Authorization_RequestDenied');
      }
    }
    const key = await passkey(people.ga!, 'Admin key');
    expect((await graph(foyer, tokens.aaron!, 'GET', `/users/${people.ga}/authentication/fido2Methods/${key}`)).status).toBe(403);
    expect((await graph(foyer, tokens.aaron!, 'GET', `/users/${people.ga}/authentication/methods/${key}`)).status).toBe(403);
    // Their own, through /me or their own id, whatever their role.
    for (const name of ['ga', 'aaron', 'ursula', 'paula']) {
      expect((await graph(foyer, tokens[name]!, 'GET', '/me/authentication/methods')).status, name).toBe(200);
      expect((await graph(foyer, tokens[name]!, 'GET', `/users/${people[name]}/authentication/fido2Methods`)).status, name).toBe(200);
    }
    expect((await graph(foyer, tokens.ga!, 'GET', `/users/${people.ga}/authentication/fido2Methods/${key}`)).status).toBe(200);
  });

  it('lets each administrator reset only whom Entra lets them: an Authentication Administrator never a Global Administrator', async () => {
    const cases = whoMayReachWhom;
    for (const [by, whom, allowed] of cases) {
      const key = await passkey(people[whom]!, `${by} → ${whom}`);
      const res = await graph(foyer, by === 'app' ? writer : tokens[by]!, 'DELETE', `/users/${people[whom]}/authentication/fido2Methods/${key}`);
      expect(res.status, `${by} resets ${whom}: ${JSON.stringify(res.body)}`).toBe(allowed ? 204 : 403);
      const left = (await listMethods(foyer.ctx.db.kysely, tenant.id, people[whom]!)).map((m) => m.id);
      expect(left.includes(key), `${by} → ${whom}: the method is ${allowed ? 'gone' : 'still there'}`).toBe(!allowed);
    }
  });

  it('answers bad and unknown ids with 400 or 404, never a 500', async () => {
    const alice = people.alice!;
    const paths: Array<[string, string, number]> = [
      ['GET', `/users/${newId()}/authentication/methods`, 404],
      ['GET', '/users/nobody@contoso.example/authentication/fido2Methods', 404],
      ['GET', '/users/%00/authentication/methods', 400],
      ['GET', `/users/${alice}/authentication/fido2Methods/not-a-guid`, 404],
      ['GET', `/users/${alice}/authentication/fido2Methods/%27%22%3Cx%3E`, 404],
      ['GET', `/users/${alice}/authentication/fido2Methods/%00`, 400],
      ['GET', `/users/${alice}/authentication/softwareOathMethods/${newId()}`, 404],
      ['GET', `/users/${alice}/authentication/methods/${newId()}`, 404],
      ['DELETE', `/users/${alice}/authentication/fido2Methods/${'x'.repeat(400)}`, 404],
      ['DELETE', `/users/${alice}/authentication/softwareOathMethods/%E2%80%AE`, 404],
      ['DELETE', `/users/${newId()}/authentication/fido2Methods/${newId()}`, 404],
      ['GET', `/users/${alice}/authentication/methods?$select=id`, 400],
      ['GET', `/users/${alice}/authentication/fido2Methods?$filter=id eq 'x'`, 400],
    ];
    for (const [method, path, status] of paths) {
      const res = await graph(foyer, writer, method, path);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error.innerError.code, path).toMatch(/^(directory\.not_found|request\.)/);
    }
  });
});
