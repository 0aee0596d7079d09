/** Getting tokens the way scripts and SDKs do, over HTTP. */
import type { TestFoyer, TestTenant } from './foyer.js';

export async function appToken(foyer: TestFoyer, tenant: TestTenant | string, app: { appId: string; clientSecret?: string }): Promise<string> {
  const tenantId = typeof tenant === 'string' ? tenant : tenant.id;
  const res = await fetch(`${foyer.url}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: app.appId,
      client_secret: app.clientSecret ?? '',
      scope: `${foyer.url}/graph/.default`,
    }),
  });
  const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function graph(
  foyer: TestFoyer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${foyer.url}/graph/v1.0${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/**
 * Tokens for a person: the authorization code flow with PKCE through the real sign-in pages, driven by
 * HttpBrowser, redeemed by openid-client.
 */
export async function delegatedTokens(
  _foyer: TestFoyer,
  tenant: TestTenant,
  app: { appId: string; clientSecret?: string },
  redirectUri: string,
  who: { email: string; password: string },
  scope: string,
) {
  const oidc = await import('openid-client');
  const { HttpBrowser, formWith } = await import('./http-browser.js');
  const config = await oidc.discovery(new URL(tenant.issuer), app.appId, app.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const { url, verifier, state } = await authorizationRequest(config, redirectUri, { scope });
  const browser = new HttpBrowser();
  const stop = (u: string) => u.startsWith(redirectUri);
  const page = await browser.go(url, {}, stop);
  const pw = await browser.submit(page, formWith(page, 'email'), { email: who.email });
  const done = await browser.submit(pw, formWith(pw, 'password'), { password: who.password }, stop);
  if (!stop(done.url)) throw new Error(`sign-in did not reach the app:\n${done.body.slice(0, 2000)}`);
  return oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
}

/** The authorization request an app makes: code flow, PKCE S256, the given scope and extra parameters. */
export async function authorizationRequest(
  client: import('openid-client').Configuration,
  redirectUri: string,
  params: Record<string, string> = {},
): Promise<{ url: string; verifier: string; state: string }> {
  const oidc = await import('openid-client');
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(client, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  return { url: url.toString(), verifier, state };
}
