// Bare oidc-provider, as the baseline for Foyer's token endpoint: the same library and version, an
// in-memory adapter, one static confidential client, client credentials with an RS256 JWT access token
// for one resource. Started by bench/run.ts as its own process: node bench/bare-oidc-provider.mjs PORT
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://localhost:${port}`;
const resource = `${issuer}/graph`;
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{ client_id: 'bench', client_secret: 'bench-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      getResourceServerInfo: () => ({ audience: resource, scope: `${resource}/.default`, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});
provider.proxy = true;
createServer(provider.callback()).listen(port, '127.0.0.1', () => process.send?.('ready'));
