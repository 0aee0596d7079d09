/** The setup most OpenID tests share: a Foyer, the Contoso tenant, its web app, and an OIDC client for it. */
import * as oidc from 'openid-client';
import type { Backend } from './backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from './foyer.js';

export const REDIRECT = 'http://localhost:3999/callback';
export const isCallback = (u: string) => u.startsWith(REDIRECT);

export interface Portal {
  foyer: TestFoyer;
  tenant: TestTenant;
  web: { appId: string; clientSecret?: string };
  client: oidc.Configuration;
}

export async function startPortal(backend: Backend, env: Record<string, string> = {}): Promise<Portal> {
  const foyer = await startTestFoyer({ backend, env });
  const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
  const web = await foyer.createApp(tenant.id, { displayName: 'Portal', redirectUris: [REDIRECT] });
  const client = await oidc.discovery(new URL(tenant.issuer), web.appId, web.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  return { foyer, tenant, web, client };
}
