/**
 * Administrators are protected from administrators below them and from apps (as in Entra), and a
 * password reset ends the sign-ins made before it.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, assertMayChangeUser, mayResetAuthenticationMethods, type SensitiveChange } from '../../src/directory/protection.js';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createMember } from '../../src/directory/users.js';
import { FoyerError } from '../../src/platform/errors/foyer-error.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { formWith, HttpBrowser, visibleText } from '../support/http-browser.js';
import { appToken, authorizationRequest, delegatedTokens, graph } from '../support/tokens.js';

const GA = directoryRoles.globalAdministrator.id;
const UA = directoryRoles.userAdministrator.id;
const GI = directoryRoles.guestInviter.id;
const AA = directoryRoles.authenticationAdministrator.id;
const PAA = directoryRoles.privilegedAuthenticationAdministrator.id;

describe('who may make a sensitive change to whom', () => {
  const app = (...permissions: string[]): Actor => ({ kind: 'app', permissions: new Set(permissions), roleIds: new Set() });
  const person = (...roles: string[]): Actor => ({ kind: 'user', permissions: new Set(['User.ReadWrite.All']), roleIds: new Set(roles) });
  const cases: Array<[string, Actor, string[], SensitiveChange[], boolean]> = [
    ['a User Administrator resets a member’s password', person(UA), [], ['password'], true],
    ['a User Administrator resets a Guest Inviter’s password', person(UA), [GI], ['password'], true],
    ['a User Administrator resets another User Administrator’s password', person(UA), [UA], ['password'], true],
    ['a User Administrator resets a Global Administrator’s password', person(UA), [GA], ['password'], false],
    ['a User Administrator disables a Global Administrator', person(UA), [GA], ['accountEnabled'], false],
    ['a User Administrator turns a Global Administrator into a guest', person(UA), [GA], ['userType'], false],
    ['a Global Administrator resets another Global Administrator’s password', person(GA), [GA], ['password'], true],
    ['an app with User.ReadWrite.All sets a member’s password', app('User.ReadWrite.All'), [], ['password'], false],
    ['an app with User-PasswordProfile.ReadWrite.All sets a member’s password', app('User-PasswordProfile.ReadWrite.All'), [], ['password'], true],
    ['an app with Directory.ReadWrite.All deletes a User Administrator', app('Directory.ReadWrite.All'), [UA], ['delete'], false],
    ['an app with User.ReadWrite.All renames a member', app('User.ReadWrite.All'), [], ['userPrincipalName'], true],
    ['an app changes a Global Administrator’s display name only', app('User.ReadWrite.All'), [GA], [], true],
    ['a User Administrator resets an Authentication Administrator’s password', person(UA), [AA], ['password'], false],
    ['a User Administrator disables a Privileged Authentication Administrator', person(UA), [PAA], ['accountEnabled'], false],
    ['a Global Administrator resets a Privileged Authentication Administrator’s password', person(GA), [PAA], ['password'], true],
    [
      'an app with User-PasswordProfile.ReadWrite.All sets an Authentication Administrator’s password',
      app('User-PasswordProfile.ReadWrite.All'),
      [AA],
      ['password'],
      false,
    ],
  ];
  it.each(cases)('%s: allowed = %s', (_name, actor, targetRoles, changes, allowed) => {
    const run = () => assertMayChangeUser(actor, new Set(targetRoles), new Set(changes));
    if (allowed) expect(run).not.toThrow();
    else expect(run).toThrow(FoyerError);
  });
});

describe('who may reset whose authentication methods', () => {
  const app: Actor = { kind: 'app', permissions: new Set(['UserAuthenticationMethod.ReadWrite.All']), roleIds: new Set() };
  const person = (...roles: string[]): Actor => ({ kind: 'user', permissions: new Set(['UserAuthenticationMethod.ReadWrite.All']), roleIds: new Set(roles) });
  // Entra's "Who can reset passwords" table (privileged-roles-permissions), for the roles Foyer has.
  const cases: Array<[string, Actor, string[], boolean]> = [
    ['an Authentication Administrator resets a member', person(AA), [], true],
    ['an Authentication Administrator resets a Guest Inviter', person(AA), [GI], true],
    ['an Authentication Administrator resets another Authentication Administrator', person(AA), [AA], true],
    ['an Authentication Administrator resets a Global Administrator', person(AA), [GA], false],
    ['an Authentication Administrator resets a User Administrator', person(AA), [UA], false],
    ['an Authentication Administrator resets a Privileged Authentication Administrator', person(AA), [PAA], false],
    ['an Authentication Administrator resets a Guest Inviter who is also a User Administrator', person(AA), [GI, UA], false],
    ['an Authentication Administrator resets an Authentication Administrator who is also a Global Administrator', person(AA), [AA, GA], false],
    ['a Privileged Authentication Administrator resets a Global Administrator', person(PAA), [GA], true],
    ['a Privileged Authentication Administrator resets another', person(PAA), [PAA], true],
    ['a Privileged Authentication Administrator resets a User Administrator', person(PAA), [UA], true],
    ['a Global Administrator resets a Privileged Authentication Administrator', person(GA), [PAA], true],
    ['a Global Administrator resets another Global Administrator', person(GA), [GA], true],
    ['a User Administrator resets a member', person(UA), [], false],
    ['a Guest Inviter resets a member', person(GI), [], false],
    ['a person without a role resets a member', person(), [], false],
    ['an app resets a member', app, [], true],
    ['an app resets an Authentication Administrator', app, [AA], true],
    ['an app resets a User Administrator', app, [UA], true],
    ['an app resets a Privileged Authentication Administrator', app, [PAA], false],
    ['an app resets a Global Administrator', app, [GA], false],
  ];
  it.each(cases)('%s: allowed = %s', (_name, actor, targetRoles, allowed) => {
    expect(mayResetAuthenticationMethods(actor, new Set(targetRoles))).toBe(allowed);
  });
});

const REDIRECT = 'http://localhost:3999/callback';

describe.each(backends)('protected administrators on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let userAdmin: string;
  let console: { appId: string; clientSecret?: string };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const ua = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'ua@contoso.example', displayName: 'UA', password: 'Ua-Passphrase-1' });
    await assignRole(foyer.ctx, tenant.id, UA, ua.id);
    console = await foyer.createApp(tenant.id, { displayName: 'Console', redirectUris: [REDIRECT], delegatedPermissions: ['User.ReadWrite.All'] });
    userAdmin = (
      await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'ua@contoso.example', password: 'Ua-Passphrase-1' }, 'openid User.ReadWrite.All')
    ).access_token;
  });
  afterAll(() => foyer?.stop());

  it('refuses a User Administrator who tries to take over the Global Administrator, and changes nothing', async () => {
    const reset = await graph(foyer, userAdmin, 'PATCH', `/users/${tenant.admin.id}`, { passwordProfile: { password: 'Taken-Over-Passphrase-1' } });
    expect(reset.status).toBe(403);
    expect(reset.body.error.code).toBe('Authorization_RequestDenied');
    expect((await graph(foyer, userAdmin, 'PATCH', `/users/${tenant.admin.id}`, { userType: 'Guest' })).status).toBe(403);
    expect((await graph(foyer, userAdmin, 'DELETE', `/users/${tenant.admin.id}`)).status).toBe(403);
    // The administrator still signs in with their own password.
    await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'admin@contoso.example', password: tenant.admin.password }, 'openid');
  });

  it('refuses an app that may write users but not passwords', async () => {
    const writer = await foyer.createApp(tenant.id, { displayName: 'Writer', applicationPermissions: ['User.ReadWrite.All'] });
    const token = await appToken(foyer, tenant, writer);
    const res = await graph(foyer, token, 'PATCH', '/users/ua@contoso.example', { passwordProfile: { password: 'Another-Passphrase-1' } });
    expect(res.status).toBe(403);
    expect((await graph(foyer, token, 'PATCH', `/users/${tenant.admin.id}`, { accountEnabled: false })).status).toBe(403);
  });

  it('ends every earlier sign-in of a person whose password an administrator resets', async () => {
    const victim = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'vic@contoso.example', displayName: 'Vic', password: 'Vic-Passphrase-1' });
    const client = await oidc.discovery(new URL(tenant.issuer), console.appId, console.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const browser = new HttpBrowser();
    const first = await authorizationRequest(client, REDIRECT, { scope: 'openid offline_access' });
    const page = await browser.go(first.url, {}, (u) => u.startsWith(REDIRECT));
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'vic@contoso.example' });
    const done = await browser.submit(pw, formWith(pw, 'password'), { password: 'Vic-Passphrase-1' }, (u) => u.startsWith(REDIRECT));
    const tokens = await oidc.authorizationCodeGrant(client, new URL(done.url), { pkceCodeVerifier: first.verifier, expectedState: first.state });

    expect((await graph(foyer, userAdmin, 'PATCH', `/users/${victim.id}`, { passwordProfile: { password: 'Fresh-Passphrase-2' } })).status).toBe(204);

    await expect(oidc.refreshTokenGrant(client, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await authorizationRequest(client, REDIRECT);
    const next = await browser.go(again.url, {}, (u) => u.startsWith(REDIRECT));
    expect(visibleText(next)).toContain('Sign in to Contoso');
  });
});
