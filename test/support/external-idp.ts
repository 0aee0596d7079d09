/**
 * A second, independent OpenID provider on loopback (bare oidc-provider with its development login
 * form), standing in for a partner's or a social identity provider. Whatever login name is typed becomes
 * the subject; the e-mail claim is the login name too, unless `emails` maps it elsewhere.
 */
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './foyer.js';

export interface ExternalIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** login name → the e-mail the provider vouches for (default: the login name). */
  emails: Map<string, string>;
  close(): Promise<void>;
}

export async function startExternalIdp(redirectUri: string): Promise<ExternalIdp> {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const emails = new Map<string, string>();
  const clientId = 'foyer-guests';
  const clientSecret = 'a-long-client-secret-for-the-partner-idp-0123456789';
  const provider = new Provider(issuer, {
    clients: [
      { client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] },
    ],
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        claims: () => ({ sub, email: emails.get(sub) ?? sub, email_verified: true, name: `Partner ${sub.split('@')[0]}` }),
      };
    },
    cookies: { keys: ['external-idp-test-cookie-key'] },
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, clientId, clientSecret, emails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
