/**
 * The external user leave settings through Graph (`policies/externalIdentitiesPolicy`), as an
 * administrator's script uses them: Entra's defaults, a change read back and audited, in one tenant only;
 * bad and unsupported values refused with a clear 400 and nothing stored; who may read and who may change
 * it, with app and delegated tokens. And the pure rule of who may leave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { leaveDecision } from '../../src/governance/index.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const PATH = '/policies/externalIdentitiesPolicy';
const REDIRECT = 'http://localhost:9/callback';

describe('who may leave an organization', () => {
  it.each([
    { allowedByPolicy: true, accountEnabled: true, expected: { allowed: true } },
    { allowedByPolicy: false, accountEnabled: true, expected: { allowed: false, refusal: 'not-allowed' } },
    { allowedByPolicy: true, accountEnabled: false, expected: { allowed: false, refusal: 'disabled' } },
    // The organization's setting is what the guest is told about first.
    { allowedByPolicy: false, accountEnabled: false, expected: { allowed: false, refusal: 'not-allowed' } },
  ])('allowed by policy $allowedByPolicy, account enabled $accountEnabled', ({ expected, ...facts }) => {
    expect(leaveDecision(facts)).toEqual(expected);
  });
});

describe.each(backends)('policies/externalIdentitiesPolicy through Graph on $name', (backend) => {
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let fabrikam: TestTenant;
  let writer: string;
  let reader: string;
  let stranger: string;
  let fabrikamWriter: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    contoso = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    fabrikam = await foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    const app = (tenant: TestTenant, name: string, permissions: string[]) =>
      foyer.createApp(tenant.id, { displayName: name, applicationPermissions: permissions }).then((a) => appToken(foyer, tenant, a));
    writer = await app(contoso, 'Leave settings script', ['Policy.ReadWrite.ExternalIdentities', 'AuditLog.Read.All']);
    reader = await app(contoso, 'Policy reader', ['Policy.Read.All']);
    stranger = await app(contoso, 'User reader', ['User.Read.All']);
    fabrikamWriter = await app(fabrikam, 'Fabrikam script', ['Policy.ReadWrite.ExternalIdentities']);
  });
  afterAll(() => foyer?.stop());

  const read = async (token = writer) => {
    const res = await graph(foyer, token, 'GET', PATH);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('reads Entra’s defaults: guests may leave, and no data removal on request', async () => {
    expect(await read()).toEqual({
      '@odata.context': expect.stringContaining('/$metadata#policies/externalIdentitiesPolicy/$entity'),
      id: 'externalIdentitiesPolicy',
      displayName: 'External Identities Policy',
      description: expect.any(String),
      deletedDateTime: null,
      allowExternalIdentitiesToLeave: true,
      allowDeletedIdentitiesDataRemoval: false,
    });
    expect((await read(reader)).allowExternalIdentitiesToLeave).toBe(true);
  });

  it('a change is read back, audited as "Update policy", and stays in its own tenant', async () => {
    const res = await graph(foyer, writer, 'PATCH', PATH, { allowExternalIdentitiesToLeave: false });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    expect((await read()).allowExternalIdentitiesToLeave).toBe(false);
    expect((await read(fabrikamWriter)).allowExternalIdentitiesToLeave).toBe(true);

    const filter = encodeURIComponent("activityDisplayName eq 'Update policy'");
    const audits = (await graph(foyer, writer, 'GET', `/auditLogs/directoryAudits?$filter=${filter}`)).body.value as Array<Record<string, any>>;
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ category: 'Policy', result: 'success', targetResources: [{ displayName: 'externalIdentitiesPolicy' }] });

    // An empty change keeps what is there; setting the data removal to false (its only value) is accepted.
    expect((await graph(foyer, writer, 'PATCH', PATH, {})).status).toBe(204);
    expect((await graph(foyer, writer, 'PATCH', PATH, { allowDeletedIdentitiesDataRemoval: false })).status).toBe(204);
    expect((await read()).allowExternalIdentitiesToLeave).toBe(false);

    expect((await graph(foyer, writer, 'PATCH', PATH, { allowExternalIdentitiesToLeave: true })).status).toBe(204);
    expect((await read()).allowExternalIdentitiesToLeave).toBe(true);
  });

  it('refuses what Foyer does not support and malformed bodies with 400, changing nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ allowDeletedIdentitiesDataRemoval: true }, /allowDeletedIdentitiesDataRemoval.*not supported/],
      [{ allowExternalIdentitiesToLeave: 'no' }, /allowExternalIdentitiesToLeave/],
      [{ allowExternalIdentitiesToLeave: null }, /allowExternalIdentitiesToLeave/],
      [{ allowGuestsToLeave: false }, /allowGuestsToLeave.*does not exist/],
      [[false], /JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await graph(foyer, writer, 'PATCH', PATH, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await read()).allowExternalIdentitiesToLeave).toBe(true);
  });

  it('apps need Policy.Read.All to read and Policy.ReadWrite.ExternalIdentities to change', async () => {
    expect((await graph(foyer, reader, 'PATCH', PATH, { allowExternalIdentitiesToLeave: false })).status).toBe(403);
    const refused = await graph(foyer, stranger, 'GET', PATH);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('Authorization_RequestDenied');
    expect((await graph(foyer, stranger, 'PATCH', PATH, { allowExternalIdentitiesToLeave: false })).status).toBe(403);
    expect((await read()).allowExternalIdentitiesToLeave).toBe(true);
  });

  it('a signed-in person changes it only as a Global Administrator; a member with the scope may read it', async () => {
    const app = await foyer.createApp(contoso.id, {
      displayName: 'Admin portal',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['Policy.ReadWrite.ExternalIdentities'],
    });
    const scope = 'openid profile Policy.ReadWrite.ExternalIdentities';
    await createMember(foyer.ctx, contoso.id, { userPrincipalName: 'mia@contoso.example', displayName: 'Mia Member', password: 'Granite-Window-42' });
    const member = (await delegatedTokens(foyer, contoso, app, REDIRECT, { email: 'mia@contoso.example', password: 'Granite-Window-42' }, scope)).access_token;
    const admin = (await delegatedTokens(foyer, contoso, app, REDIRECT, { email: contoso.admin.userPrincipalName, password: contoso.admin.password }, scope))
      .access_token;

    expect((await read(member)).allowExternalIdentitiesToLeave).toBe(true);
    expect((await graph(foyer, member, 'PATCH', PATH, { allowExternalIdentitiesToLeave: false })).status).toBe(403);
    expect((await read()).allowExternalIdentitiesToLeave).toBe(true);
    expect((await graph(foyer, admin, 'PATCH', PATH, { allowExternalIdentitiesToLeave: false })).status).toBe(204);
    expect((await read()).allowExternalIdentitiesToLeave).toBe(false);
    expect((await graph(foyer, admin, 'PATCH', PATH, { allowExternalIdentitiesToLeave: true })).status).toBe(204);
  });
});
