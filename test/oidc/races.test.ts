/**
 * What simultaneous requests must not break: a code or refresh token used at once by several requests
 * works for one; a burst of password guesses meets the limit as a sequence would; two requests creating
 * the same thing get one success and one clear refusal (never a 500); the last Global Administrator
 * survives two administrators disabling each other at the same moment.
 */
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createMember, findUser, updateUser } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import type { TestFoyer, TestTenant } from '../support/foyer.js';
import { formWith, HttpBrowser } from '../support/http-browser.js';
import { isCallback, type Portal, REDIRECT, startPortal } from '../support/portal.js';
import { appToken, authorizationRequest, graph } from '../support/tokens.js';

describe.each(backends)('simultaneous requests on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let web: Portal['web'];
  let client: oidc.Configuration;

  beforeAll(async () => {
    ({ foyer, tenant, web, client } = await startPortal(backend, { FOYER_SIGNIN_ATTEMPT_LIMIT: '3' }));
  });
  afterAll(() => foyer?.stop());

  async function code(): Promise<{ code: string; verifier: string }> {
    const browser = new HttpBrowser();
    const req = await authorizationRequest(client, REDIRECT, { scope: 'openid offline_access' });
    const page = await browser.go(req.url, {}, isCallback);
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'admin@contoso.example' });
    const done = await browser.submit(pw, formWith(pw, 'password'), { password: tenant.admin.password }, isCallback);
    return { code: new URL(done.url).searchParams.get('code')!, verifier: req.verifier };
  }

  const tokenRequest = (form: Record<string, string>) =>
    fetch(`${foyer.url}/${tenant.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: web.appId, client_secret: web.clientSecret!, ...form }),
    });

  it('redeems a code once when ten requests present it together', async () => {
    const { code: c, verifier } = await code();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => tokenRequest({ grant_type: 'authorization_code', code: c, code_verifier: verifier, redirect_uri: REDIRECT })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
  });

  it('rotates a refresh token once when ten requests present it together, and revokes the grant', async () => {
    const { code: c, verifier } = await code();
    const first = (await (await tokenRequest({ grant_type: 'authorization_code', code: c, code_verifier: verifier, redirect_uri: REDIRECT })).json()) as {
      refresh_token: string;
    };
    const responses = await Promise.all(Array.from({ length: 10 }, () => tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token })));
    const winners = responses.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const { refresh_token: next } = (await winners[0]!.json()) as { refresh_token: string };
    // The replays revoked the grant, so even the winner's new refresh token is dead.
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: next })).status).toBe(400);
  });

  it('checks no more passwords than the limit allows, however many guesses arrive at once', async () => {
    await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'burst@contoso.example', displayName: 'Burst', password: 'Storm-Passphrase-1' });
    const browser = new HttpBrowser();
    const req = await authorizationRequest(client, REDIRECT);
    const page = await browser.go(req.url, {}, isCallback);
    const pw = await browser.submit(page, formWith(page, 'email'), { email: 'burst@contoso.example' });
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => browser.submit(pw, formWith(pw, 'password'), { password: `guess-${i}` }, isCallback)),
    );
    const checked = guesses.filter((g) => g.status === 400).length;
    expect(checked).toBeLessThanOrEqual(3);
    expect(guesses.filter((g) => g.status === 429)).toHaveLength(20 - checked);
  });

  it('creates a user once when ten requests create it together; the others get a clear conflict', async () => {
    const writer = await foyer.createApp(tenant.id, {
      displayName: 'Writer',
      applicationPermissions: ['User.ReadWrite.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All'],
    });
    const token = await appToken(foyer, tenant, writer);
    const body = {
      accountEnabled: true,
      displayName: 'Twin',
      mailNickname: 'twin',
      userPrincipalName: 'twin@contoso.example',
      passwordProfile: { password: 'Mirror-Passphrase-1' },
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => graph(foyer, token, 'POST', '/users', body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(400);
      expect(r.body.error.innerError.code).toBe('directory.conflict');
    }

    const group = await graph(foyer, token, 'POST', '/groups', { displayName: 'Twins', mailNickname: 'twins' });
    const ref = { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${results.find((r) => r.status === 201)!.body.id}` };
    const adds = await Promise.all(Array.from({ length: 10 }, () => graph(foyer, token, 'POST', `/groups/${group.body.id}/members/$ref`, ref)));
    expect(adds.filter((r) => r.status === 204)).toHaveLength(1);
    expect(adds.filter((r) => r.status === 400)).toHaveLength(9);
  });

  it('keeps one enabled Global Administrator when two disable each other at the same moment', async () => {
    const deputy = await createMember(foyer.ctx, tenant.id, {
      userPrincipalName: 'deputy@contoso.example',
      displayName: 'Deputy',
      password: 'Second-Passphrase-1',
    });
    await assignRole(foyer.ctx, tenant.id, directoryRoles.globalAdministrator.id, deputy.id);
    const outcomes = await Promise.allSettled([
      updateUser(foyer.ctx, tenant.id, tenant.admin.id, { accountEnabled: false }),
      updateUser(foyer.ctx, tenant.id, deputy.id, { accountEnabled: false }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const enabled = await Promise.all([findUser(foyer.ctx.db.kysely, tenant.id, tenant.admin.id), findUser(foyer.ctx.db.kysely, tenant.id, deputy.id)]);
    expect(enabled.filter((u) => u?.accountEnabled)).toHaveLength(1);
  });
});
