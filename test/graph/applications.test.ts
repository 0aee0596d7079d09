/**
 * Graph's `/applications`: app registrations listed, read, created, changed and deleted, their client
 * secrets added and removed, as Entra does it; a removed or expired secret refused at the token endpoint
 * (`invalid_client`) for client credentials and authorization codes alike; audit events under Entra's
 * activity names. The server runs on a clock the test moves, so nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { CLIENT_CACHE_MS } from '../../src/oidc/adapter.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3999/callback';
const MISSING = '00000000-0000-4000-8000-000000000000';

describe.each(backends)('applications on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  const clock = new ManualClock(Date.now());
  const tokens: Record<string, string> = {};
  const appIds: Record<string, string> = {};

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      admin: ['Application.ReadWrite.All', 'AuditLog.Read.All'],
      reader: ['Application.Read.All'],
      owner: ['Application.ReadWrite.OwnedBy'],
      nothing: ['User.Read.All'],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: `${name} tool`, applicationPermissions: permissions });
      appIds[name] = app.id;
      tokens[name] = await appToken(foyer, tenant, app);
    }
  });
  afterAll(() => foyer?.stop());

  /** A token request with a client secret, sent as client_secret_basic or client_secret_post. */
  async function clientCredentials(appId: string, secret: string, method: 'basic' | 'post' = 'post') {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: `${foyer.url}/graph/.default` });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (method === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(appId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', appId);
      form.set('client_secret', secret);
    }
    const res = await fetch(`${foyer.url}/${tenant.id}/oauth2/v2.0/token`, { method: 'POST', headers, body: form });
    return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
  }

  const create = async (body: Record<string, unknown>, token = tokens.admin!) => {
    const res = await graph(foyer, token, 'POST', '/applications', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; appId: string; displayName: string };
  };

  it('creates (201 with Location), reads, lists with $filter and $top, updates (204) and deletes (204) an app', async () => {
    const created = await graph(foyer, tokens.admin!, 'POST', '/applications', {
      displayName: 'Payroll sync',
      web: { redirectUris: ['https://payroll.example/cb'] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${foyer.url}/graph/v1.0/applications/${created.body.id}`);
    expect(created.body).toMatchObject({
      '@odata.context': `${foyer.url}/graph/v1.0/$metadata#applications/$entity`,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      appId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: 'Payroll sync',
      signInAudience: 'AzureADMyOrg',
      isFallbackPublicClient: false,
      web: { redirectUris: ['https://payroll.example/cb'] },
      publicClient: { redirectUris: [] },
      // As in Graph, creating an app makes no secret: addPassword does.
      passwordCredentials: [],
    });
    const { id, appId } = created.body;

    const read = await graph(foyer, tokens.reader!, 'GET', `/applications/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, appId, displayName: 'Payroll sync' });

    const byName = await graph(foyer, tokens.reader!, 'GET', `/applications?$filter=${encodeURIComponent("startswith(displayName,'payroll')")}`);
    expect(byName.body.value.map((a: { id: string }) => a.id)).toEqual([id]);
    const byAppId = await graph(
      foyer,
      tokens.reader!,
      'GET',
      `/applications?$filter=${encodeURIComponent(`appId eq '${appId.toUpperCase()}'`)}&$select=displayName`,
    );
    expect(byAppId.body.value).toEqual([{ id, displayName: 'Payroll sync' }]);
    const firstPage = await graph(foyer, tokens.reader!, 'GET', '/applications?$top=2&$orderby=displayName');
    expect(firstPage.body.value).toHaveLength(2);
    const next = firstPage.body['@odata.nextLink'] as string;
    expect(new URL(next).searchParams.get('$skiptoken')).toBeTruthy();
    const rest = await graph(foyer, tokens.reader!, 'GET', next.slice(`${foyer.url}/graph/v1.0`.length));
    const names = [...firstPage.body.value, ...rest.body.value].map((a: { displayName: string }) => a.displayName);
    expect(names).toEqual([...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
    expect(names).toContain('Payroll sync');

    const patched = await graph(foyer, tokens.admin!, 'PATCH', `/applications/${id}`, {
      displayName: 'Payroll export',
      web: { redirectUris: ['https://payroll.example/v2/cb'] },
    });
    expect(patched.status).toBe(204);
    expect((await graph(foyer, tokens.reader!, 'GET', `/applications/${id}`)).body).toMatchObject({
      displayName: 'Payroll export',
      web: { redirectUris: ['https://payroll.example/v2/cb'] },
    });

    expect((await graph(foyer, tokens.admin!, 'DELETE', `/applications/${id}`)).status).toBe(204);
    const gone = await graph(foyer, tokens.reader!, 'GET', `/applications/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('Request_ResourceNotFound');
  });

  it('registers a public client from publicClient.redirectUris, and refuses to give it a secret', async () => {
    const app = await create({ displayName: 'Desktop app', publicClient: { redirectUris: ['http://localhost:7777/cb'] } });
    const read = await graph(foyer, tokens.reader!, 'GET', `/applications/${app.id}`);
    expect(read.body).toMatchObject({ isFallbackPublicClient: true, publicClient: { redirectUris: ['http://localhost:7777/cb'] }, web: { redirectUris: [] } });
    const add = await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/addPassword`, { passwordCredential: { displayName: 'x' } });
    expect(add.status).toBe(400);
  });

  describe('refusals: the right status, Graph’s error shape, and nothing changed', () => {
    it.each([
      ['GET', `/applications/${MISSING}`, undefined],
      ['GET', '/applications/not-a-guid', undefined],
      ['PATCH', `/applications/${MISSING}`, { displayName: 'x' }],
      ['DELETE', `/applications/${MISSING}`, undefined],
      ['POST', `/applications/${MISSING}/addPassword`, { passwordCredential: { displayName: 'x' } }],
      ['POST', `/applications/${MISSING}/removePassword`, { keyId: MISSING }],
    ])('404 for %s %s', async (method, path, body) => {
      const res = await graph(foyer, tokens.admin!, method, path, body);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'Request_ResourceNotFound', innerError: { code: 'directory.not_found' } });
    });

    it.each([
      ['no displayName', 'POST', '', {}, "Property 'displayName' is required."],
      ['an unknown property', 'POST', '', { displayName: 'x', color: 'red' }, "Property 'color' does not exist as a declared property or extension property."],
      ['an http redirect URI off loopback', 'POST', '', { displayName: 'x', web: { redirectUris: ['http://app.example/cb'] } }, 'must use https'],
      [
        'web and public client redirect URIs together',
        'POST',
        '',
        { displayName: 'x', isFallbackPublicClient: true, web: { redirectUris: ['https://a.example/cb'] } },
        'not both',
      ],
      ['passwordCredentials in PATCH', 'PATCH', '', { passwordCredentials: [] }, 'use addPassword and removePassword'],
      ['an unknown property in PATCH', 'PATCH', '', { color: 'red' }, "Property 'color' does not exist"],
      ['turning a web app into a public client', 'PATCH', '', { isFallbackPublicClient: true }, 'register a new app'],
      ['public client redirect URIs on a web app', 'PATCH', '', { publicClient: { redirectUris: ['http://localhost:1/cb'] } }, 'web.redirectUris'],
      ['an end date in the past', 'POST', '/addPassword', { passwordCredential: { endDateTime: '2020-01-01T00:00:00Z' } }, 'endDateTime must be in the future'],
      ['an end date that is not a date', 'POST', '/addPassword', { passwordCredential: { endDateTime: 'soon' } }, "'passwordCredential.endDateTime'"],
      ['a keyId that is not a GUID', 'POST', '/removePassword', { keyId: 'abc' }, "'keyId'"],
    ])('400 for %s', async (_name, method, suffix, body, message) => {
      const app = await create({ displayName: 'Target' });
      const res = await graph(foyer, tokens.admin!, method, method === 'POST' && !suffix ? '/applications' : `/applications/${app.id}${suffix}`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Request_BadRequest');
      expect(res.body.error.message).toContain(message);
      const after = await graph(foyer, tokens.reader!, 'GET', `/applications/${app.id}`);
      expect(after.body).toMatchObject({ displayName: 'Target', passwordCredentials: [] });
    });

    it('404 for removePassword with a keyId the app does not have', async () => {
      const app = await create({ displayName: 'No such key' });
      const res = await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/removePassword`, { keyId: MISSING });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain(MISSING);
    });

    it.each([
      ['an app without Application permissions', 'nothing', 'GET', ''],
      ['an app without Application permissions', 'nothing', 'POST', ''],
      ['a reader', 'reader', 'POST', ''],
      ['a reader', 'reader', 'PATCH', '/{id}'],
      ['a reader', 'reader', 'DELETE', '/{id}'],
      ['a reader', 'reader', 'POST', '/{id}/addPassword'],
      ['a reader', 'reader', 'POST', '/{id}/removePassword'],
    ])('403 for %s: %s %s', async (_name, who, method, suffix) => {
      const app = await create({ displayName: 'Guarded' });
      const body = suffix.endsWith('removePassword') ? { keyId: MISSING } : method === 'GET' || method === 'DELETE' ? undefined : { displayName: 'Changed' };
      const res = await graph(foyer, tokens[who]!, method, `/applications${suffix.replace('{id}', app.id)}`, body);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('Authorization_RequestDenied');
      expect((await graph(foyer, tokens.reader!, 'GET', `/applications/${app.id}`)).body).toMatchObject({ displayName: 'Guarded', passwordCredentials: [] });
    });

    it('lets Application.ReadWrite.OwnedBy manage the apps it created, and no other', async () => {
      const mine = await create({ displayName: 'Owned one' }, tokens.owner!);
      expect((await graph(foyer, tokens.owner!, 'PATCH', `/applications/${mine.id}`, { displayName: 'Owned one, renamed' })).status).toBe(204);
      expect((await graph(foyer, tokens.owner!, 'POST', `/applications/${mine.id}/addPassword`, {})).status).toBe(200);
      const list = await graph(foyer, tokens.owner!, 'GET', '/applications');
      expect(list.body.value.map((a: { id: string }) => a.id)).toEqual([mine.id]);
      const theirs = await create({ displayName: 'Not owned' });
      for (const [method, path] of [
        ['GET', ''],
        ['DELETE', ''],
        ['POST', '/addPassword'],
      ] as const) {
        const res = await graph(foyer, tokens.owner!, method, `/applications/${theirs.id}${path}`, method === 'POST' ? {} : undefined);
        expect(res.status).toBe(403);
      }
      expect((await graph(foyer, tokens.reader!, 'GET', `/applications/${theirs.id}`)).body.passwordCredentials).toEqual([]);
    });
  });

  it('addPassword → the secret works → removePassword → invalid_client within the client cache time; the secret is never shown again', async () => {
    const app = await create({ displayName: 'Rotating daemon' });
    const added = await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/addPassword`, { passwordCredential: { displayName: 'CI pipeline' } });
    expect(added.status).toBe(200);
    const secret = added.body.secretText as string;
    expect(added.body).toMatchObject({
      '@odata.context': `${foyer.url}/graph/v1.0/$metadata#microsoft.graph.passwordCredential`,
      displayName: 'CI pipeline',
      keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      hint: secret.slice(0, 3),
      customKeyIdentifier: null,
    });
    // Graph's default lifetime: two years from the start.
    expect(Date.parse(added.body.endDateTime) - Date.parse(added.body.startDateTime)).toBe(2 * 365 * 24 * 3600 * 1000);

    for (const method of ['basic', 'post'] as const) {
      const ok = await clientCredentials(app.appId, secret, method);
      expect(ok.status).toBe(200);
      expect(ok.body.access_token).toBeTruthy();
    }

    const read = await graph(foyer, tokens.reader!, 'GET', `/applications/${app.id}`);
    expect(read.body.passwordCredentials).toEqual([
      {
        customKeyIdentifier: null,
        displayName: 'CI pipeline',
        endDateTime: added.body.endDateTime,
        hint: secret.slice(0, 3),
        keyId: added.body.keyId,
        secretText: null,
        startDateTime: added.body.startDateTime,
      },
    ]);
    const list = await graph(foyer, tokens.reader!, 'GET', '/applications');
    expect(JSON.stringify(read.body)).not.toContain(secret);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    expect((await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/removePassword`, { keyId: added.body.keyId })).status).toBe(204);
    // Just past the time each process may keep an app registration it read.
    clock.advance(CLIENT_CACHE_MS + 1);
    for (const method of ['basic', 'post'] as const) {
      const refused = await clientCredentials(app.appId, secret, method);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
    }
    expect((await graph(foyer, tokens.reader!, 'GET', `/applications/${app.id}`)).body.passwordCredentials).toEqual([]);
  });

  it('a removed secret no longer redeems an authorization code, while the app’s other secret does', async () => {
    const app = await create({ displayName: 'Web portal', web: { redirectUris: [REDIRECT] } });
    const add = async (name: string) =>
      (await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/addPassword`, { passwordCredential: { displayName: name } })).body as {
        keyId: string;
        secretText: string;
      };
    const old = await add('old');
    const current = await add('current');
    expect((await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/removePassword`, { keyId: old.keyId })).status).toBe(204);
    // Just past the time each process may keep an app registration it read.
    clock.advance(CLIENT_CACHE_MS + 1);
    const who = { email: 'admin@contoso.example', password: tenant.admin.password };
    await expect(delegatedTokens(foyer, tenant, { appId: app.appId, clientSecret: old.secretText }, REDIRECT, who, 'openid profile')).rejects.toMatchObject({
      error: 'invalid_client',
    });
    const tokensNow = await delegatedTokens(foyer, tenant, { appId: app.appId, clientSecret: current.secretText }, REDIRECT, who, 'openid profile');
    expect(tokensNow.access_token).toBeTruthy();
  });

  it('lets a Global Administrator manage apps through an app with delegated Application.ReadWrite.All, and refuses a member', async () => {
    const console = await foyer.createApp(tenant.id, {
      displayName: 'Admin console',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['User.Read', 'Application.ReadWrite.All'],
    });
    const scope = 'openid profile Application.ReadWrite.All';
    const admin = await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'admin@contoso.example', password: tenant.admin.password }, scope);
    await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'mia@contoso.example', displayName: 'Mia', password: 'Mia-Passphrase-1' });
    const member = await delegatedTokens(foyer, tenant, console, REDIRECT, { email: 'mia@contoso.example', password: 'Mia-Passphrase-1' }, scope);
    expect((await graph(foyer, admin.access_token, 'POST', '/applications', { displayName: 'Made by admin' })).status).toBe(201);
    const refused = await graph(foyer, member.access_token, 'POST', '/applications', { displayName: 'Made by member' });
    expect(refused.status).toBe(403);
    const list = await graph(foyer, tokens.reader!, 'GET', `/applications?$filter=${encodeURIComponent("displayName eq 'Made by member'")}`);
    expect(list.body.value).toEqual([]);
  });

  it('audits every change under Entra’s activity names', async () => {
    const app = await create({ displayName: 'Audited app' });
    const added = await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/addPassword`, {});
    await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/removePassword`, { keyId: added.body.keyId });
    await graph(foyer, tokens.admin!, 'PATCH', `/applications/${app.id}`, { displayName: 'Audited app 2' });
    await graph(foyer, tokens.admin!, 'DELETE', `/applications/${app.id}`);
    const filter = encodeURIComponent("category eq 'ApplicationManagement'");
    const audits = await graph(foyer, tokens.admin!, 'GET', `/auditLogs/directoryAudits?$filter=${filter}&$top=999`);
    expect(audits.status).toBe(200);
    const mine = (audits.body.value as Array<{ activityDisplayName: string; targetResources: Array<{ id: string; type: string }>; operationType: string }>)
      .filter((e) => e.targetResources[0]?.id === app.id)
      .reverse();
    expect(mine.map((e) => e.activityDisplayName)).toEqual([
      'Add application',
      'Update application – Certificates and secrets management',
      'Update application – Certificates and secrets management',
      'Update application',
      'Delete application',
    ]);
    expect(mine.map((e) => e.operationType)).toEqual(['Add', 'Update', 'Update', 'Update', 'Delete']);
    expect(mine.every((e) => e.targetResources[0]!.type === 'Application')).toBe(true);
    expect(JSON.stringify(audits.body)).not.toContain(added.body.secretText);
  });

  it('refuses an expired secret with invalid_client from its endDateTime on, even while the app is cached, and keeps a newer one working', async () => {
    const app = await create({ displayName: 'Expiring daemon' });
    // One second left: shorter than the client cache time, so only the check at each use can catch it.
    const end = new Date(clock.now() + 1000).toISOString();
    const short = await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/addPassword`, {
      passwordCredential: { displayName: 'short', endDateTime: end },
    });
    expect(short.status).toBe(200);
    const long = await graph(foyer, tokens.admin!, 'POST', `/applications/${app.id}/addPassword`, { passwordCredential: { displayName: 'long' } });
    expect((await clientCredentials(app.appId, short.body.secretText)).status).toBe(200);
    clock.advance(1000);
    for (const method of ['basic', 'post'] as const) {
      expect(await clientCredentials(app.appId, short.body.secretText, method)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    }
    expect((await clientCredentials(app.appId, long.body.secretText, 'basic')).status).toBe(200);
    const listed = (await graph(foyer, tokens.reader!, 'GET', `/applications/${app.id}`)).body.passwordCredentials as Array<{
      displayName: string;
      endDateTime: string;
    }>;
    expect(listed.map((c) => c.displayName)).toEqual(['short', 'long']);
    expect(listed[0]!.endDateTime).toBe(end.replace(/\.\d{3}Z$/, 'Z'));
  });
});
