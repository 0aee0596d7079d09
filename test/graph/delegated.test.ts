/**
 * A person calling the Graph API through an app (delegated permissions): the app's scopes and the
 * person's directory roles must both allow the operation, as in Entra.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, updateUser } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';

describe.each(backends)('delegated Graph calls on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let admin: { access: string; id: string };
  let member: { access: string; id: string };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const console = await foyer.createApp(tenant.id, {
      displayName: 'Admin console',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['User.Read', 'User.Read.All', 'User.ReadWrite.All'],
    });
    const scope = 'openid profile User.Read.All User.ReadWrite.All';
    const a = await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'admin@contoso.example', password: tenant.admin.password }, scope);
    admin = { access: a.access_token, id: tenant.admin.id };
    const m = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'mia@contoso.example', displayName: 'Mia', password: 'Mia-Passphrase-1' });
    const t = await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'mia@contoso.example', password: 'Mia-Passphrase-1' }, scope);
    member = { access: t.access_token, id: m.id };
  });
  afterAll(() => foyer?.stop());

  const body = (local: string) => ({
    accountEnabled: true,
    displayName: local,
    mailNickname: local,
    userPrincipalName: `${local}@contoso.example`,
    passwordProfile: { password: 'Long-Enough-Passphrase-1' },
  });

  it('carries the granted scopes in scp, and the person in oid', () => {
    const claims = JSON.parse(Buffer.from(member.access.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ aud: `${foyer.url}/graph`, tid: tenant.id, oid: member.id, acct: 0, idtyp: 'user' });
    expect(claims.scp.split(' ').sort()).toEqual(['User.Read.All', 'User.ReadWrite.All', 'openid', 'profile']);
  });

  it('lets a Global Administrator create a user through the app', async () => {
    const res = await graph(foyer, admin.access, 'POST', '/users', body('made.by.admin'));
    expect(res.status).toBe(201);
  });

  it('refuses the same call from a member without an administrator role', async () => {
    const res = await graph(foyer, member.access, 'POST', '/users', body('made.by.member'));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('Authorization_RequestDenied');
    expect((await graph(foyer, admin.access, 'GET', `/users/made.by.member@contoso.example`)).status).toBe(404);
  });

  it('lets any member read their own profile and the organization', async () => {
    expect((await graph(foyer, member.access, 'GET', '/me')).body.userPrincipalName).toBe('mia@contoso.example');
    expect((await graph(foyer, member.access, 'GET', '/organization')).status).toBe(200);
  });

  it('accepts permissions written the way MSAL writes them for a custom resource', async () => {
    const app = await foyer.createApp(tenant.id, { displayName: 'Msal', redirectUris: [REDIRECT], delegatedPermissions: ['User.Read.All'] });
    const t = await delegatedTokens(
      foyer,
      tenant,
      app,
      REDIRECT,
      { email: 'admin@contoso.example', password: tenant.admin.password },
      `openid ${foyer.url}/graph/User.Read.All`,
    );
    const claims = JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims.scp.split(' ')).toContain('User.Read.All');
    expect(claims.amr).toEqual(['pwd']);
    expect((await graph(foyer, t.access_token, 'GET', '/users')).status).toBe(200);
  });

  it('does not tell a caller who may not read users whether someone exists', async () => {
    const app = await foyer.createApp(tenant.id, { displayName: 'Profile', redirectUris: [REDIRECT] });
    const t = await delegatedTokens(foyer, tenant, app, REDIRECT, { email: 'admin@contoso.example', password: tenant.admin.password }, 'openid User.Read');
    const existing = await graph(foyer, t.access_token, 'GET', `/users/mia@contoso.example/memberOf`);
    const missing = await graph(foyer, t.access_token, 'GET', `/users/nobody@contoso.example/memberOf`);
    expect(existing.status).toBe(403);
    expect(missing.status).toBe(403);
    expect((await graph(foyer, t.access_token, 'GET', `/users/${tenant.admin.id}/memberOf`)).status).toBe(200);
  });

  it('refuses an ID token presented as an access token', async () => {
    const { delegatedTokens: again } = await import('../support/tokens.js');
    const app = await foyer.createApp(tenant.id, { displayName: 'Other', redirectUris: [REDIRECT] });
    const t = await again(foyer, tenant, app, REDIRECT, { email: 'mia@contoso.example', password: 'Mia-Passphrase-1' }, 'openid');
    const res = await graph(foyer, t.id_token!, 'GET', '/me');
    expect(res.status).toBe(401);
  });

  it('stops honouring the tokens of a person who was disabled', async () => {
    await updateUser(foyer.ctx, tenant.id, member.id, { accountEnabled: false });
    const res = await graph(foyer, member.access, 'GET', '/me');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('The user this token was issued to is disabled or no longer exists.');
  });
});
