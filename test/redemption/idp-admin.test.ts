/**
 * Managing external identity providers: `foyer idp add|list|remove` and Graph's
 * `identity/identityProviders` (secret never shown, bad input refused with nothing stored, audited),
 * and the two redemption policies' Graph resources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { HttpBrowser, visibleText } from '../support/http-browser.js';
import { graph } from '../support/tokens.js';

describe.each(backends)('identity providers and redemption policies on $name', (backend) => {
  let w: GuestWorld;
  beforeAll(async () => {
    w = await startGuestWorld(backend);
  });
  afterAll(() => w?.close());

  const run = async (args: string[], env: Record<string, string> = {}) => {
    const out = io({ FOYER_DATABASE_URL: w.foyer.databaseUrl, FOYER_PUBLIC_URL: w.foyer.url, ...env });
    const code = await runCli(args, out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  };
  const list = async () => (await graph(w.foyer, w.admin, 'GET', '/identity/identityProviders')).body.value;

  it('adds, lists and removes a provider from the command line, the secret from the environment; Graph sees the same, without the secret', async () => {
    const added = await run(
      [
        'idp',
        'add',
        '--tenant',
        'contoso.example',
        '--name',
        'Partner',
        '--issuer',
        'https://login.partner.example/',
        '--client-id',
        'foyer',
        '--domain',
        'partner.example,*.partner.example',
        '--json',
      ],
      { FOYER_IDP_CLIENT_SECRET: 'top-secret-value' },
    );
    expect(added.code, added.stderr).toBe(0);
    const created = JSON.parse(added.stdout);
    expect(created).toMatchObject({ issuer: 'https://login.partner.example', domains: ['partner.example', '*.partner.example'] });
    const seen = await list();
    expect(seen).toEqual([expect.objectContaining({ id: created.id, '@odata.type': '#microsoft.graph.oidcIdentityProvider', clientId: 'foyer' })]);
    expect(JSON.stringify(seen)).not.toContain('top-secret-value');
    const stored = await w.foyer.ctx.db.kysely.selectFrom('identity_providers').select('client_secret').executeTakeFirstOrThrow();
    expect(stored.client_secret).not.toContain('top-secret-value');

    expect((await run(['idp', 'list', '--tenant', 'contoso.example'])).stdout).toContain('Partner');
    expect((await run(['idp', 'remove', '--tenant', 'contoso.example', '--id', created.id])).code).toBe(0);
    expect(await list()).toEqual([]);
    const audit = await graph(w.foyer, w.admin, 'GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent("category eq 'Policy'")}`);
    const names = audit.body.value.map((e: { activityDisplayName: string }) => e.activityDisplayName);
    expect(names).toEqual(expect.arrayContaining(['Add identity provider', 'Delete identity provider']));
  });

  it('refuses bad providers through Graph with a clear 400, and stores nothing', async () => {
    const base = {
      '@odata.type': '#microsoft.graph.oidcIdentityProvider',
      displayName: 'X',
      issuer: 'https://idp.example',
      clientId: 'c',
      domains: ['x.example'],
    };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, issuer: 'http://idp.example' }, 'must be an https URL'],
      [{ ...base, issuer: 'https://idp.example/?a=1' }, 'without query or fragment'],
      [{ ...base, domains: [] }, 'at least one domain'],
      [{ ...base, domains: ['not a domain'] }, "domains[0] 'not a domain'"],
      [{ ...base, domains: ['contoso.example'] }, 'is a verified domain of this tenant'],
      [{ ...base, scope: 'profile email' }, "scope must include 'openid'"],
      [{ ...base, clientSecret: 'x' }, 'clientSecret'],
    ];
    for (const [body, message] of cases) {
      const res = await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect(await list()).toEqual([]);
    expect((await graph(w.foyer, w.admin, 'DELETE', '/identity/identityProviders/01a00000-0000-7000-8000-000000000000')).status).toBe(404);
  });

  it('an unreachable provider gets a page that says so, and the invitation stays pending', async () => {
    const { freePort } = await import('../support/foyer.js');
    const created = await graph(w.foyer, w.admin, 'POST', '/identity/identityProviders', {
      displayName: 'Down',
      issuer: `http://localhost:${await freePort()}`,
      clientId: 'c',
      domains: ['down.example'],
    });
    expect(created.status).toBe(201);
    try {
      const inv = await w.invite('dora@down.example', { sendInvitationMessage: false });
      const b = new HttpBrowser();
      const page = await b.press(await b.go(inv.redeemUrl), 'Next');
      expect(page.status).toBe(502);
      expect(visibleText(page)).toContain('Sign-in with your provider didn’t work');
      expect((await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState`)).body.externalUserState).toBe('PendingAcceptance');
    } finally {
      await graph(w.foyer, w.admin, 'DELETE', `/identity/identityProviders/${created.body.id}`);
    }
  });

  it('reads and changes the redemption order and the e-mail passcode setting, refusing unknown values', async () => {
    const read = await graph(w.foyer, w.admin, 'GET', '/policies/crossTenantAccessPolicy/default');
    expect(read.body).toMatchObject({
      isServiceDefault: true,
      invitationRedemptionIdentityProviderConfiguration: {
        primaryIdentityProviderPrecedenceOrder: ['azureActiveDirectory', 'externalFederation', 'socialIdentityProviders'],
        fallbackIdentityProvider: 'defaultConfiguredIdp',
      },
    });
    const bad = await graph(w.foyer, w.admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', {
      invitationRedemptionIdentityProviderConfiguration: { primaryIdentityProviderPrecedenceOrder: ['externalFederation', 'externalFederation'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('each identity provider may appear once');
    const ok = await graph(w.foyer, w.admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', {
      invitationRedemptionIdentityProviderConfiguration: { primaryIdentityProviderPrecedenceOrder: ['externalFederation', 'azureActiveDirectory'] },
    });
    expect(ok.status).toBe(204);
    expect((await graph(w.foyer, w.admin, 'GET', '/policies/crossTenantAccessPolicy/default')).body).toMatchObject({
      isServiceDefault: false,
      invitationRedemptionIdentityProviderConfiguration: {
        primaryIdentityProviderPrecedenceOrder: ['externalFederation', 'azureActiveDirectory'],
        fallbackIdentityProvider: 'defaultConfiguredIdp',
      },
    });

    const path = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email';
    expect((await graph(w.foyer, w.admin, 'GET', path)).body).toMatchObject({ id: 'Email', allowExternalIdToUseEmailOtp: 'default' });
    expect((await graph(w.foyer, w.admin, 'PATCH', path, { allowExternalIdToUseEmailOtp: 'sometimes' })).status).toBe(400);
    expect(
      (
        await graph(w.foyer, w.admin, 'PATCH', path, {
          '@odata.type': '#microsoft.graph.emailAuthenticationMethodConfiguration',
          allowExternalIdToUseEmailOtp: 'disabled',
        })
      ).status,
    ).toBe(204);
    expect((await graph(w.foyer, w.admin, 'GET', path)).body.allowExternalIdToUseEmailOtp).toBe('disabled');
  });
});
