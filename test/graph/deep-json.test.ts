/**
 * Deeply nested JSON (`{"a":` × 20,000, 100 KB, well under the size limit) used to overflow the stack
 * in the walk over Graph bodies and answer 500. Every route family a client can reach refuses it with
 * 400 before anything walks it, in that family's error shape, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/platform/json-body.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const nested = (levels: number, inner = '1') => '{"a":'.repeat(levels) + inner + '}'.repeat(levels);
const DEEP = nested(20_000);
const DEEP_ARRAY = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;

describe.each(backends)('deeply nested JSON on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'script', applicationPermissions: ['User.ReadWrite.All', 'User.Invite.All'] });
    token = await appToken(foyer, tenant, app);
  });
  afterAll(() => foyer?.stop());

  const users = async () =>
    ((await graph(foyer, token, 'GET', '/users?$select=userPrincipalName,jobTitle')).body.value as Array<{ userPrincipalName: string }>).map(
      (u) => u.userPrincipalName,
    );
  const tooDeep = {
    code: 'BadRequest',
    message: `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep.`,
    innerError: { code: 'request.too_deep' },
  };

  it('the Graph API answers 400 in Graph’s error shape and creates or changes no user', async () => {
    const before = await users();
    const created = await graph(foyer, token, 'POST', '/users', DEEP);
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject(tooDeep);
    expect(created.body.error.innerError['request-id']).toBe(created.headers.get('request-id'));
    // Deep inside a declared property, and deep arrays.
    const inProperty = `{"displayName":"Deep","mailNickname":"deep","userPrincipalName":"deep@contoso.example","accountEnabled":true,"jobTitle":${DEEP_ARRAY}}`;
    expect((await graph(foyer, token, 'POST', '/users', inProperty)).body.error).toMatchObject(tooDeep);
    const patched = await graph(foyer, token, 'PATCH', `/users/${tenant.admin.id}`, `{"jobTitle":${nested(20_000, '"x"')}}`);
    expect(patched.status).toBe(400);
    expect(patched.body.error).toMatchObject(tooDeep);
    expect(await users()).toEqual(before);
    expect((await graph(foyer, token, 'GET', `/users/${tenant.admin.id}?$select=jobTitle`)).body.jobTitle).toBeNull();
  });

  it(`${MAX_JSON_DEPTH} levels are still read (and judged by the schema); ${MAX_JSON_DEPTH + 1} are not`, async () => {
    const atLimit = await graph(foyer, token, 'PATCH', `/users/${tenant.admin.id}`, `{"jobTitle":${nested(MAX_JSON_DEPTH - 1)}}`);
    expect(atLimit.status).toBe(400);
    expect(atLimit.body.error.innerError.code).toBe('request.invalid_body');
    const over = await graph(foyer, token, 'PATCH', `/users/${tenant.admin.id}`, `{"jobTitle":${nested(MAX_JSON_DEPTH)}}`);
    expect(over.body.error.innerError.code).toBe('request.too_deep');
    // Brackets inside strings are text, not nesting, also after escaped quotes and backslashes.
    const text = '"\\{['.repeat(20);
    const ok = await graph(foyer, token, 'PATCH', `/users/${tenant.admin.id}`, { jobTitle: text });
    expect(ok.status).toBe(204);
    expect((await graph(foyer, token, 'GET', `/users/${tenant.admin.id}?$select=jobTitle`)).body.jobTitle).toBe(text);
    await graph(foyer, token, 'PATCH', `/users/${tenant.admin.id}`, { jobTitle: null });
  });

  it('invitations answer 400 and create no guest', async () => {
    const before = await users();
    const deepMessage = `{"invitedUserEmailAddress":"deep@fabrikam.example","inviteRedirectUrl":"https://apps.contoso.example","invitedUserMessageInfo":${DEEP}}`;
    for (const body of [DEEP, deepMessage]) {
      const res = await graph(foyer, token, 'POST', '/invitations', body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject(tooDeep);
    }
    expect(await users()).toEqual(before);
  });

  it('the OAuth endpoints answer OAuth errors, not 500, to deep JSON and deep form bodies', async () => {
    const token = `${foyer.url}/${tenant.id}/oauth2/v2.0/token`;
    const asJson = await fetch(token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: DEEP });
    expect(asJson.status).toBe(400);
    expect(await asJson.json()).toMatchObject({ error: 'invalid_request' });
    const form = `grant_type=client_credentials&${'a['.repeat(5_000)}${']'.repeat(5_000)}=1`;
    const asForm = await fetch(token, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(asForm.status).toBe(400);
    expect(((await asForm.json()) as { error: string }).error).toMatch(/^invalid_/);
    const userinfo = await fetch(`${foyer.url}/${tenant.id}/openid/userinfo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: DEEP });
    expect(userinfo.status).toBe(400);
  });

  it('pages answer a 400 page (before any CSRF or form handling)', async () => {
    for (const path of ['/redeem', `/${tenant.id}/login/anything/password`, '/invitations/block']) {
      const res = await fetch(`${foyer.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: DEEP });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('request.too_deep');
    }
  });
});
