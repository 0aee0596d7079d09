/**
 * A directory to test Graph against, made the way a script would make it: the tenant Contoso
 * (contoso.example) with an app's client-credentials token, then users and groups created over Graph.
 */
import { expect } from 'vitest';
import type { TestFoyer, TestTenant } from './foyer.js';
import { appToken, graph } from './tokens.js';

/** The password every test user is created with: long enough for Foyer's password rules. */
export const TEST_PASSWORD = 'Long-Enough-Passphrase-1';

/** The tenant Contoso (domain contoso.example) and a token of an app there with these application permissions. */
export async function contosoWithApp(foyer: TestFoyer, displayName: string, applicationPermissions: string[]): Promise<{ tenant: TestTenant; token: string }> {
  const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
  const app = await foyer.createApp(tenant.id, { displayName, applicationPermissions });
  return { tenant, token: await appToken(foyer, tenant, app) };
}

/** `POST /users`: an enabled member `local@contoso.example`, named and aliased `local`, with any further properties; its id. */
export async function createUser(foyer: TestFoyer, token: string, local: string, properties: Record<string, unknown> = {}): Promise<string> {
  const res = await graph(foyer, token, 'POST', '/users', {
    accountEnabled: true,
    displayName: local,
    mailNickname: local,
    userPrincipalName: `${local}@contoso.example`,
    passwordProfile: { password: TEST_PASSWORD },
    ...properties,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** `POST /groups`: a security group (not mail-enabled) named and aliased `name`; its id. */
export async function createSecurityGroup(foyer: TestFoyer, token: string, name: string): Promise<string> {
  const res = await graph(foyer, token, 'POST', '/groups', { displayName: name, mailNickname: name, securityEnabled: true, mailEnabled: false });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}
