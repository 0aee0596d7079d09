/**
 * The Graph-compatible API over HTTP, with app tokens: users, groups, organization, directory roles;
 * the official Microsoft Graph JavaScript client pointed at Foyer; and every kind of bad input a client
 * can send, each answered in Graph's error shape and changing nothing.
 */
import { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryRoles } from '../../src/directory/roles.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('Graph API on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      reader: ['User.Read.All'],
      writer: ['User.ReadWrite.All'],
      groups: ['Group.ReadWrite.All'],
      roles: ['RoleManagement.ReadWrite.Directory', 'Directory.Read.All'],
      org: ['Organization.ReadWrite.All'],
      nothing: [],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: name, applicationPermissions: permissions });
      tokens[name] = await appToken(foyer, tenant, app);
    }
  });
  afterAll(() => foyer?.stop());

  const userCount = async () => (await graph(foyer, tokens.reader!, 'GET', '/users?$count=true&$top=1')).body['@odata.count'] as number;

  const newUser = (local: string, extra: Record<string, unknown> = {}) => ({
    accountEnabled: true,
    displayName: local,
    mailNickname: local,
    userPrincipalName: `${local}@contoso.example`,
    passwordProfile: { password: 'Long-Enough-Passphrase-1', forceChangePasswordNextSignIn: false },
    ...extra,
  });

  describe('with the official Microsoft Graph client', () => {
    it('creates a user, reads it back by UPN, and lists users', async () => {
      // The client attaches tokens itself only to https hosts; the test server is plain http on loopback,
      // so the token goes in the default fetch options instead.
      const client = Client.init({
        baseUrl: `${foyer.url}/graph/`,
        defaultVersion: 'v1.0',
        fetchOptions: { headers: { authorization: `Bearer ${tokens.writer!}` } },
        authProvider: (done) => done(null, tokens.writer!),
      });
      const created = await client.api('/users').post(newUser('sdk.user', { jobTitle: 'Engineer' }));
      expect(created).toMatchObject({ userPrincipalName: 'sdk.user@contoso.example', jobTitle: 'Engineer' });
      const read = await client.api('/users/sdk.user@contoso.example').select('id,userType,accountEnabled').get();
      expect(read).toMatchObject({ id: created.id, userType: 'Member', accountEnabled: true });
      const list = await client.api('/users').filter("startswith(displayName,'sdk')").get();
      expect(list.value.map((u: { id: string }) => u.id)).toEqual([created.id]);
      await client.api(`/users/${created.id}`).delete();
      await expect(client.api(`/users/${created.id}`).get()).rejects.toMatchObject({ statusCode: 404, code: 'Request_ResourceNotFound' });
    });
  });

  describe('users', () => {
    it('creates (201 with Location), updates (204), reads, and deletes (204) a member', async () => {
      const created = await graph(foyer, tokens.writer!, 'POST', '/users', newUser('carol', { givenName: 'Carol', surname: 'Danvers' }));
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`${foyer.url}/graph/v1.0/users/${created.body.id}`);
      expect(created.body['@odata.context']).toBe(`${foyer.url}/graph/v1.0/$metadata#users/$entity`);
      expect(created.body).not.toHaveProperty('passwordProfile');

      const patched = await graph(foyer, tokens.writer!, 'PATCH', `/users/${created.body.id}`, { jobTitle: 'Captain', accountEnabled: false });
      expect(patched.status).toBe(204);
      const read = await graph(foyer, tokens.reader!, 'GET', `/users/${created.body.id}?$select=jobTitle,accountEnabled,createdDateTime,identities`);
      expect(read.body).toMatchObject({ jobTitle: 'Captain', accountEnabled: false });
      expect(read.body.createdDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(read.body.identities).toEqual([{ signInType: 'userPrincipalName', issuer: tenant.initialDomain, issuerAssignedId: 'carol@contoso.example' }]);

      expect((await graph(foyer, tokens.writer!, 'DELETE', `/users/${created.body.id}`)).status).toBe(204);
      const gone = await graph(foyer, tokens.reader!, 'GET', `/users/${created.body.id}`);
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('Request_ResourceNotFound');
      expect(gone.body.error.innerError['request-id']).toBe(gone.headers.get('request-id'));
    });

    it('pages with @odata.nextLink, keeping the filter, until every match was seen once', async () => {
      for (let i = 0; i < 7; i++) {
        expect((await graph(foyer, tokens.writer!, 'POST', '/users', newUser(`pager${i}`))).status).toBe(201);
      }
      const seen: string[] = [];
      // `$filter` with `$orderby` is an advanced query: Graph wants `$count=true` and `ConsistencyLevel: eventual`.
      let next: string | undefined =
        `/users?$filter=${encodeURIComponent("startswith(userPrincipalName,'pager')")}&$top=3&$orderby=displayName desc&$select=displayName&$count=true`;
      let pages = 0;
      while (next) {
        const page = await graph(foyer, tokens.reader!, 'GET', next, undefined, { ConsistencyLevel: 'eventual' });
        expect(page.status).toBe(200);
        seen.push(...page.body.value.map((u: { displayName: string }) => u.displayName));
        const link = page.body['@odata.nextLink'] as string | undefined;
        if (link) expect(link.startsWith(`${foyer.url}/graph/v1.0/users?`)).toBe(true);
        next = link?.slice(`${foyer.url}/graph/v1.0`.length);
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(['pager6', 'pager5', 'pager4', 'pager3', 'pager2', 'pager1', 'pager0']);
    });

    it('addresses a user by id or by user principal name', async () => {
      const byUpn = await graph(foyer, tokens.reader!, 'GET', `/users/${encodeURIComponent('ADMIN@contoso.example')}`);
      expect(byUpn.body.id).toBe(tenant.admin.id);
    });
  });

  describe('groups, organization and directory roles', () => {
    it('creates a group, adds and removes a member by reference, and deletes it', async () => {
      const group = await graph(foyer, tokens.groups!, 'POST', '/groups', {
        displayName: 'Partners',
        mailNickname: 'partners',
        mailEnabled: false,
        securityEnabled: true,
      });
      expect(group.status).toBe(201);
      const ref = { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${tenant.admin.id}` };
      expect((await graph(foyer, tokens.groups!, 'POST', `/groups/${group.body.id}/members/$ref`, ref)).status).toBe(204);
      const again = await graph(foyer, tokens.groups!, 'POST', `/groups/${group.body.id}/members/$ref`, ref);
      expect(again.status).toBe(400);
      expect(again.body.error.message).toBe("One or more added object references already exist for the following modified properties: 'members'.");
      const members = await graph(foyer, tokens.groups!, 'GET', `/groups/${group.body.id}/members`);
      expect(members.body.value.map((m: { id: string }) => m.id)).toEqual([tenant.admin.id]);
      expect((await graph(foyer, tokens.groups!, 'DELETE', `/groups/${group.body.id}/members/${tenant.admin.id}/$ref`)).status).toBe(204);
      expect((await graph(foyer, tokens.groups!, 'DELETE', `/groups/${group.body.id}`)).status).toBe(204);
      expect((await graph(foyer, tokens.groups!, 'GET', `/groups/${group.body.id}`)).status).toBe(404);
    });

    it('shows the organization with its verified domains, and updates its privacy profile and branding', async () => {
      const org = await graph(foyer, tokens.org!, 'GET', '/organization');
      expect(org.body.value[0]).toMatchObject({ id: tenant.id, displayName: 'Contoso' });
      expect(org.body.value[0].verifiedDomains.map((d: { name: string }) => d.name).sort()).toEqual(['contoso.example', tenant.initialDomain].sort());
      const patch = await graph(foyer, tokens.org!, 'PATCH', `/organization/${tenant.id}`, {
        privacyProfile: { statementUrl: 'https://contoso.example/privacy', contactEmail: 'privacy@contoso.example' },
      });
      expect(patch.status).toBe(204);
      expect((await graph(foyer, tokens.org!, 'GET', `/organization/${tenant.id}`)).body.privacyProfile).toEqual({
        statementUrl: 'https://contoso.example/privacy',
        contactEmail: 'privacy@contoso.example',
      });
      expect((await graph(foyer, tokens.org!, 'PATCH', `/organization/${tenant.id}/branding`, { backgroundColor: '#1f4e79' })).status).toBe(204);
      expect((await graph(foyer, tokens.org!, 'GET', `/organization/${tenant.id}/branding`)).body.backgroundColor).toBe('#1f4e79');
      const bad = await graph(foyer, tokens.org!, 'PATCH', `/organization/${tenant.id}/branding`, { bannerLogoUrl: 'javascript:alert(1)' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe("Invalid value for property 'bannerLogoUrl': an absolute https URL is expected.");
    });

    it('assigns the Guest Inviter role by reference', async () => {
      const path = `/directoryRoles/${directoryRoles.guestInviter.id}/members`;
      expect(
        (await graph(foyer, tokens.roles!, 'POST', `${path}/$ref`, { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${tenant.admin.id}` })).status,
      ).toBe(204);
      expect((await graph(foyer, tokens.roles!, 'GET', path)).body.value.map((u: { id: string }) => u.id)).toEqual([tenant.admin.id]);
      const roles = await graph(foyer, tokens.roles!, 'GET', '/directoryRoles');
      expect(roles.body.value.map((r: { displayName: string }) => r.displayName)).toEqual([
        'Global Administrator',
        'User Administrator',
        'Guest Inviter',
        'Authentication Administrator',
        'Privileged Authentication Administrator',
        'Security Administrator',
        'Conditional Access Administrator',
        'Global Reader',
        'Reports Reader',
        'Security Reader',
      ]);
    });
  });

  describe('refusals: the right status, Graph’s error shape, and nothing changed', () => {
    it.each([
      ['no token', {}, 401, 'InvalidAuthenticationToken', 'Access token is empty.'],
      ['a malformed header', { authorization: 'Basic abc' }, 401, 'InvalidAuthenticationToken', 'The Authorization header must be "Bearer <access token>".'],
      ['a token that is not a JWT', { authorization: 'Bearer not.a.jwt' }, 401, 'InvalidAuthenticationToken', 'Access token is not a valid JWT.'],
    ])('%s', async (_name, headers, status, code, message) => {
      const res = await fetch(`${foyer.url}/graph/v1.0/users`, { headers });
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { innerError: Record<string, string> } & Record<string, unknown> };
      expect(body.error).toMatchObject({ code, message });
      expect(body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
    });

    it('refuses a token whose signature was tampered with', async () => {
      const [h, p] = tokens.writer!.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
      payload.roles = ['Directory.ReadWrite.All'];
      const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${tokens.writer!.split('.')[2]}`;
      const res = await graph(foyer, forged, 'GET', '/users');
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('Access token signature validation failed.');
    });

    it('refuses an app without the permission, naming no detail, and creates nothing', async () => {
      const before = await userCount();
      const res = await graph(foyer, tokens.reader!, 'POST', '/users', newUser('sneaky'));
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
      expect(res.body.error.innerError.code).toBe('auth.insufficient_privileges');
      expect((await graph(foyer, tokens.nothing!, 'GET', '/users')).status).toBe(403);
      expect(await userCount()).toBe(before);
    });

    it.each([
      ['junk JSON', '{"displayName": ', 'application/json', 400, 'BadRequest', 'request.invalid_json', 'The request body is not valid JSON.'],
      ['a JSON array', '[1,2]', 'application/json', 400, 'BadRequest', 'request.invalid_json', 'The request body must be a JSON object.'],
      ['plain text', 'hello', 'text/plain', 415, 'BadRequest', 'request.unsupported_media_type', 'The request body must be application/json.'],
      [
        'a form',
        'displayName=x',
        'application/x-www-form-urlencoded',
        415,
        'BadRequest',
        'request.unsupported_media_type',
        'The request body must be application/json.',
      ],
      [
        'a NUL character',
        JSON.stringify(newUser('x0', { displayName: 'a\u0000b' })),
        'application/json',
        400,
        'BadRequest',
        'request.malformed',
        "Property 'displayName' contains a NUL character.",
      ],
      [
        'an invalid address in otherMails',
        JSON.stringify(newUser('x7', { otherMails: ['a"b'] })),
        'application/json',
        400,
        'Request_BadRequest',
        'request.invalid_body',
        "'a\"b' in otherMails is not a valid e-mail address.",
      ],
      [
        'forceChangePasswordNextSignInWithMfa (Foyer has no MFA)',
        JSON.stringify(newUser('x8', { passwordProfile: { password: 'Long-Enough-Passphrase-1', forceChangePasswordNextSignInWithMfa: true } })),
        'application/json',
        400,
        'Request_UnsupportedQuery',
        'request.invalid_query',
        "Property 'passwordProfile.forceChangePasswordNextSignInWithMfa' set to true is not supported by Foyer (its second factor is asked for by Conditional Access policies, after the new password); use forceChangePasswordNextSignIn.",
      ],
      ['XML', '<user/>', 'application/xml', 415, 'BadRequest', 'request.unsupported_media_type', 'The request body must be application/json.'],
      [
        'an unknown property',
        JSON.stringify({ ...newUser('x1'), shoeSize: 44 }),
        'application/json',
        400,
        'Request_BadRequest',
        'request.invalid_body',
        "Property 'shoeSize' does not exist as a declared property or extension property.",
      ],
      [
        'a wrong type',
        JSON.stringify({ ...newUser('x2'), accountEnabled: 'yes' }),
        'application/json',
        400,
        'Request_BadRequest',
        'request.invalid_body',
        "Invalid value for property 'accountEnabled': Invalid input: expected boolean, received string.",
      ],
      [
        'a missing property',
        JSON.stringify({ displayName: 'x3', userPrincipalName: 'x3@contoso.example' }),
        'application/json',
        400,
        'Request_BadRequest',
        'request.invalid_body',
        "Property 'passwordProfile' is required.",
      ],
      [
        'a UPN on a foreign domain',
        JSON.stringify(newUser('x4', { userPrincipalName: 'x4@gmail.com' })),
        'application/json',
        400,
        'Request_BadRequest',
        'directory.domain_not_verified',
        undefined,
      ],
      [
        'a weak password',
        JSON.stringify(newUser('x5', { passwordProfile: { password: 'short' } })),
        'application/json',
        400,
        'Request_BadRequest',
        'directory.password_too_short',
        'The password must be at least 8 characters long.',
      ],
      [
        'a duplicate UPN',
        JSON.stringify(newUser('admin')),
        'application/json',
        400,
        'Request_BadRequest',
        'directory.conflict',
        'Another object with the same value for property userPrincipalName already exists.',
      ],
      [
        'an oversize body',
        JSON.stringify(newUser('x6', { displayName: 'x'.repeat(2 * 1024 * 1024) })),
        'application/json',
        413,
        'RequestEntityTooLarge',
        'request.too_large',
        'The request body is too large.',
      ],
    ])('POST /users with %s', async (_name, body, contentType, status, code, innerCode, message) => {
      const before = await userCount();
      const res = await graph(foyer, tokens.writer!, 'POST', '/users', body, { 'content-type': contentType });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.innerError.code).toBe(innerCode);
      if (message) expect(res.body.error.message).toBe(message);
      expect(await userCount()).toBe(before);
    });

    it.each([
      ["/users?$filter=displayName eq 'unterminated", 'Invalid filter clause: Unterminated string literal at position 15.'],
      ['/users?$filter=shoeSize eq 44', "Invalid filter clause: Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."],
      ['/users?$top=5000', "Invalid page size specified: '5000'. Must be between 1 and 999 inclusive."],
      ['/users?$select=passwordHash', "Could not find a property named 'passwordHash' on type 'microsoft.graph.user'."],
      [
        '/users?$orderby=jobTitle',
        "Sorting by 'jobTitle' is not supported. Sortable properties: displayName, userPrincipalName, createdDateTime, signInActivity/lastSignInDateTime, signInActivity/lastSuccessfulSignInDateTime, id.",
      ],
      ['/users?$skiptoken=abc', 'The $skiptoken is not valid for this query. Follow @odata.nextLink as returned, without changing it.'],
    ])('GET %s', async (path, message) => {
      const [p, q] = path.split('?');
      const params = new URLSearchParams(q);
      const res = await graph(foyer, tokens.reader!, 'GET', `${p}?${params.toString()}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'Request_UnsupportedQuery', message });
    });

    it('refuses a token whose header is not JSON with 401, not 500', async () => {
      const payload = tokens.reader!.split('.')[1];
      const res = await graph(foyer, `${Buffer.from('not json').toString('base64url')}.${payload}.sig`, 'GET', '/users');
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('Access token is not a valid JWT.');
    });

    it.each([
      ['/users/a%00b', 400, 'request.malformed', 'The URL contains a NUL character.'],
      [`/users?$filter=${encodeURIComponent("displayName eq 'a\u0000'")}`, 400, 'request.malformed', 'The URL contains a NUL character.'],
      [`/users/${'x'.repeat(600)}`, 414, 'request.uri_too_long', 'A path segment of the URL is too long.'],
      ['/users/%E0%A4%A', 400, 'request.malformed', 'The URL is not valid percent-encoding.'],
      [
        `/users?$filter=${encodeURIComponent("identities/any(i:displayName eq 'x')")}`,
        400,
        'request.invalid_query',
        "Invalid filter clause: Inside 'identities/any(i: …)' only the lambda variable 'i' may be used; found 'displayName'.",
      ],
      [`/users?$filter=${encodeURIComponent('otherMails/any(m:accountEnabled eq true)')}`, 400, 'request.invalid_query', undefined],
      [
        `/users?$orderby=createdDateTime&$skiptoken=${Buffer.from(JSON.stringify(['createdDateTime', 'yesterday', 'x'])).toString('base64url')}`,
        400,
        'request.invalid_query',
        undefined,
      ],
      [
        `/users?$orderby=createdDateTime&$skiptoken=${Buffer.from(JSON.stringify(['createdDateTime', 1e300, 'x'])).toString('base64url')}`,
        400,
        'request.invalid_query',
        undefined,
      ],
    ])('GET %s answers %i in Graph’s shape', async (path, status, innerCode, message) => {
      const res = await graph(foyer, tokens.reader!, 'GET', path);
      expect(res.status).toBe(status);
      expect(res.body.error.innerError.code).toBe(innerCode);
      if (message) expect(res.body.error.message).toBe(message);
    });

    it('refuses client credentials without the {resource}/.default scope, as Entra does', async () => {
      const app = await foyer.createApp(tenant.id, { displayName: 'Sloppy', applicationPermissions: ['User.Read.All'] });
      for (const scope of [undefined, 'User.Read.All']) {
        const res = await fetch(`${foyer.url}/${tenant.id}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.appId, client_secret: app.clientSecret!, ...(scope ? { scope } : {}) }),
        });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: 'invalid_scope' });
      }
    });

    it('answers an unknown resource with Graph’s segment error', async () => {
      const res = await graph(foyer, tokens.reader!, 'GET', '/contacts');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'BadRequest', message: "Resource not found for the segment 'contacts'." });
    });

    it('echoes client-request-id and gives every response a request-id', async () => {
      const res = await graph(foyer, tokens.reader!, 'GET', '/users/nobody@contoso.example', undefined, { 'client-request-id': 'abc-123' });
      expect(res.status).toBe(404);
      expect(res.headers.get('client-request-id')).toBe('abc-123');
      expect(res.body.error.innerError['client-request-id']).toBe('abc-123');
      expect(res.headers.get('content-type')).toContain('application/json');
    });
  });
});
