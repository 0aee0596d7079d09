/**
 * A minimal web app that signs people in with Foyer through openid-client: it starts the authorization
 * code flow with PKCE, receives the callback on a real loopback port, redeems the code and shows the
 * validated ID token's claims as JSON. Browser tests end on its page.
 */
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { freePort, type TestFoyer } from './foyer.js';

export interface RelyingParty {
  url: string;
  redirectUri: string;
  /** Sign-ins completed, newest last, with the validated ID token claims and the tokens. */
  results: Array<{ claims: oidc.IDToken; tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers }>;
  close(): Promise<void>;
}

/** A port and the redirect URI the app will have there, to register before the app starts. */
export async function reserveRelyingParty(): Promise<{ port: number; redirectUri: string }> {
  const port = await freePort();
  return { port, redirectUri: `http://localhost:${port}/callback` };
}

export async function startRelyingParty(
  issuer: string,
  client: { appId: string; clientSecret?: string },
  at: { port: number; redirectUri: string },
  scope = 'openid profile email',
): Promise<RelyingParty> {
  const { port, redirectUri } = at;
  const url = `http://localhost:${port}`;
  const config = await oidc.discovery(new URL(issuer), client.appId, client.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const pending = new Map<string, string>();
  const results: RelyingParty['results'] = [];
  const server: Server = createServer(async (req, res) => {
    try {
      const here = new URL(req.url ?? '/', url);
      if (here.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        pending.set(state, verifier);
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope,
          state,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          ...Object.fromEntries(here.searchParams),
        });
        res.writeHead(302, { location: target.toString() }).end();
        return;
      }
      if (here.pathname === '/callback') {
        const state = here.searchParams.get('state') ?? '';
        const verifier = pending.get(state);
        if (here.searchParams.get('error') || !verifier) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(here.searchParams)));
          return;
        }
        const tokens = await oidc.authorizationCodeGrant(config, here, { pkceCodeVerifier: verifier, expectedState: state });
        const claims = tokens.claims()!;
        results.push({ claims, tokens });
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            `<!doctype html><title>Signed in</title><h1>Signed in as ${String(claims.email ?? claims.sub)}</h1><pre id="claims">${JSON.stringify(claims)}</pre>`,
          );
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url, redirectUri, results, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An app registered in `tenant` for a relying party on a free loopback port, and that party started. */
export async function startTenantApp(
  foyer: Pick<TestFoyer, 'createApp'>,
  tenant: { id: string; issuer: string },
  displayName: string,
  scope?: string,
): Promise<RelyingParty> {
  const at = await reserveRelyingParty();
  const app = await foyer.createApp(tenant.id, { displayName, redirectUris: [at.redirectUri] });
  return startRelyingParty(tenant.issuer, app, at, scope);
}
