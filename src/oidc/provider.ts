/**
 * One `oidc-provider` instance per tenant (the library is certified; Foyer writes no OAuth protocol code).
 * This file is its whole configuration: routes at Entra's paths, database adapter, per-tenant cookies,
 * the Graph API as the one resource server, the claims Foyer promises, and hashed client secrets.
 */
import Provider, { type Configuration, type ErrorOut, errors, interactionPolicy, type JWKS, type KoaContextWithOIDC } from 'oidc-provider';
import { secretMatches } from '../directory/applications.js';
import { issuerFor } from '../directory/issuers.js';
import type { StoredKey } from '../directory/signing-keys.js';
import { findUser } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { type AccountClaims, accountClaims, graphAudience } from './accounts.js';
import { clientExtraProperties, createAdapterFactory, type FoyerClientExtras } from './adapter.js';
import { SIGN_IN_CHECK_REASON, signInNeedsAnotherLook } from './sign-in-checks.js';

/** Paths below `/{tenant}`, as Entra lays them out. Discovery sits at `/v2.0/.well-known/…` (see mount.ts). */
export const oidcRoutes = {
  authorization: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  end_session: '/oauth2/v2.0/logout',
  revocation: '/oauth2/v2.0/revoke',
  userinfo: '/openid/userinfo',
  jwks: '/discovery/v2.0/keys',
} as const;

/** OIDC scopes; every other scope names a Graph permission. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** The pages feature renders what the provider shows people. Passed in to keep oidc/ free of HTML. */
export interface ProviderViews {
  error(ctx: KoaContextWithOIDC, out: ErrorOut, tenantId: string): void | Promise<void>;
  logout(ctx: KoaContextWithOIDC, form: string, tenantId: string): void | Promise<void>;
  loggedOut(ctx: KoaContextWithOIDC, tenantId: string): void | Promise<void>;
  /** After RP-initiated logout succeeded: end Foyer's own browser session too. */
  signedOut?(ctx: KoaContextWithOIDC): Promise<void>;
}

export interface TenantProviderInput {
  tenantId: string;
  keys: StoredKey[];
  cookieKeys: string[];
  views: ProviderViews;
}

export function createTenantProvider(ctx: AppContext, input: TenantProviderInput): Provider {
  const { config } = ctx;
  const { tenantId } = input;
  const audience = graphAudience(config.publicUrl);
  const defaultScope = `${audience}/.default`;

  const configuration: Configuration = {
    adapter: createAdapterFactory(ctx.db, ctx.clock, tenantId),
    // The newest key signs; retired keys are published (verify only) until they expire.
    jwks: {
      keys: input.keys.map((k, i) => (i === 0 ? k.privateJwk : { ...k.privateJwk, key_ops: ['verify'] })),
    } as JWKS,
    cookies: {
      keys: input.cookieKeys,
      // Distinct names per tenant: with one shared name, signing in to a second tenant would overwrite
      // the first tenant's session cookie in the same browser.
      names: {
        session: `_session.${tenantId}`,
        interaction: `_interaction.${tenantId}`,
        resume: `_interaction_resume.${tenantId}`,
      },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    routes: oidcRoutes,
    responseTypes: ['code'],
    // client_secret_jwt would need the secret in clear (it is an HMAC key); Foyer keeps only hashes.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      id_token_signed_response_alg: 'RS256',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    scopes: [...OIDC_SCOPES],
    claims: {
      // `groups` only for apps whose groupMembershipClaims asks for it (accounts.ts).
      openid: ['sub', 'tid', 'oid', 'idp', 'acct', 'acr', 'amr', 'auth_time', 'groups'],
      profile: ['name', 'preferred_username', 'given_name', 'family_name'],
      email: ['email'],
    },
    // Entra puts name and preferred_username in the ID token, not only behind userinfo.
    conformIdTokenClaims: false,
    extraClientMetadata: { properties: [...clientExtraProperties] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (koa, form) => input.views.logout(koa, form, tenantId),
        postLogoutSuccessSource: (koa) => input.views.loggedOut(koa, tenantId),
      },
      resourceIndicators: {
        enabled: true,
        // The Graph API is the one resource: Entra-style `{resource}/.default` scopes, resource-qualified
        // and bare Graph permission names all mean it, and so does a plain sign-in (its access token
        // calls userinfo).
        defaultResource(koa) {
          const scopes = String(koa.oidc.params?.scope ?? '').split(' ');
          for (const s of scopes) {
            const m = /^(https?:\/\/.+)\/\.default$/.exec(s);
            if (m) return m[1]!;
          }
          return audience;
        },
        getResourceServerInfo(koa, indicator, client) {
          if (indicator !== audience) {
            throw new errors.InvalidTarget(`this tenant serves one resource: ${audience}`);
          }
          const extras = client as unknown as FoyerClientExtras;
          const clientCredentials = koa.oidc.params?.grant_type === 'client_credentials';
          if (
            clientCredentials &&
            !String(koa.oidc.params?.scope ?? '')
              .split(' ')
              .includes(defaultScope)
          ) {
            // As Entra: an app acting as itself asks for everything it was granted, as `{resource}/.default`.
            throw new errors.InvalidScope(`client credentials need scope=${defaultScope}`, String(koa.oidc.params?.scope ?? ''));
          }
          // Delegated permissions by name, and resource-qualified as MSAL writes them for a custom
          // resource (`{audience}/User.Read`); `scp` carries the names (see extraTokenClaims).
          const delegated = ['User.Read', ...(extras.foyer_delegated_permissions ?? [])];
          return {
            audience,
            scope: clientCredentials ? defaultScope : [...delegated, ...delegated.map((p) => `${audience}/${p}`)].join(' '),
            accessTokenFormat: 'jwt',
            accessTokenTTL: config.accessTokenTtlSeconds,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
        useGrantedResource: () => true,
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      ClientCredentials: config.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: config.sessionTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
      // A grant caps every refresh token issued under it, counted from its creation.
      Grant: config.refreshTokenTtlSeconds,
    },
    async findAccount(koa, sub) {
      const client = koa.oidc?.client as unknown as (FoyerClientExtras & { clientId: string }) | undefined;
      const forClient = client ? { clientId: client.clientId, groupMembershipClaims: client.foyer_group_membership_claims ?? null } : undefined;
      const claims = await accountClaims(ctx.db.kysely, config.publicUrl, tenantId, sub, forClient);
      if (!claims) return undefined;
      return { accountId: sub, claims: () => ({ ...claims }) };
    },
    async extraTokenClaims(koa, token) {
      const client = koa.oidc.client as unknown as FoyerClientExtras | undefined;
      if (token.kind === 'ClientCredentials') {
        return { tid: tenantId, roles: client?.foyer_application_permissions ?? [], idtyp: 'app' };
      }
      // The token endpoint has usually loaded the account already (findAccount); reuse its claims.
      const loaded = koa.oidc.account;
      const claims =
        loaded && loaded.accountId === token.accountId
          ? ((await loaded.claims('id_token', '', {}, [])) as unknown as AccountClaims)
          : token.accountId
            ? await accountClaims(
                ctx.db.kysely,
                config.publicUrl,
                tenantId,
                token.accountId,
                client ? { clientId: koa.oidc.client!.clientId, groupMembershipClaims: client.foyer_group_membership_claims ?? null } : undefined,
              )
            : undefined;
      // Like Entra's Graph tokens, `scp` lists the OpenID scopes the person granted as well as the
      // Graph permissions (the JWT's own `scope` holds only the latter); userinfo reads it.
      const oidcScopes = (koa.oidc.entities.Grant?.getOIDCScope() ?? '').split(' ').filter((s) => OIDC_SCOPES.has(s) && s !== 'offline_access');
      const granted = String(token.scope ?? '')
        .split(' ')
        .map((s) => (s.startsWith(`${audience}/`) ? s.slice(audience.length + 1) : s));
      const scp = [...new Set([...oidcScopes, ...granted])].filter(Boolean).join(' ');
      // How the person authenticated, from the code or refresh token this access token comes from.
      const amr = koa.oidc.entities.AuthorizationCode?.amr ?? koa.oidc.entities.RefreshToken?.amr;
      // A refresh is an app sign-in without the sign-in pages: the checks (sign-in-checks.ts) decide whether
      // the sign-in it carries still does (a Conditional Access policy added since, its signInFrequency passed).
      const refresh = koa.oidc.entities.AuthorizationCode ? undefined : koa.oidc.entities.RefreshToken;
      if (refresh && token.accountId && koa.oidc.client) {
        const signIn = { tenantId, accountId: token.accountId, clientId: koa.oidc.client.clientId, amr: refresh.amr ?? [], authTime: refresh.authTime ?? 0 };
        if (await signInNeedsAnotherLook(ctx, signIn, 'refresh')) {
          throw new errors.InvalidGrant(
            'this sign-in no longer does for this app (a Conditional Access policy asks for a second factor or a newer one, or the app requires assignment); sign in again',
          );
        }
      }
      return {
        tid: tenantId,
        scp,
        idtyp: 'user',
        // To the millisecond, on the clock revocations are stamped with (see access-tokens.ts and signInStamp).
        foyer_iat_ms: await signInStamp(ctx, tenantId, koa, token),
        ...(amr ? { amr } : {}),
        ...(claims ? { oid: claims.oid, idp: claims.idp, acct: claims.acct, name: claims.name, preferred_username: claims.preferred_username } : {}),
        ...(claims?.groups ? { groups: claims.groups } : {}),
      };
    },
    interactions: {
      policy: interactionPolicyFor(ctx, tenantId),
      url: (_koa, interaction) => `/${tenantId}/login/${interaction.uid}`,
    },
    // Apps are registered by the tenant's administrators, so their users are not asked to consent to
    // them; guests review what the organization sees once, at redemption, not per app.
    async loadExistingGrant(koa) {
      const { client, session, provider } = koa.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = koa.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      const grant =
        (grantId ? await provider.Grant.find(grantId) : undefined) ?? new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope([...koa.oidc.requestParamOIDCScopes].join(' ') || 'openid');
      for (const [indicator, server] of Object.entries(koa.oidc.resourceServers ?? {})) {
        const requested = [...koa.oidc.requestParamScopes].filter((s) => server.scopes.has(s));
        grant.addResourceScope(indicator, requested.join(' '));
      }
      await grant.save();
      return grant;
    },
    // MSAL always asks for offline_access, but the library drops it unless prompt=consent; a client
    // allowed to refresh gets a refresh token with every code.
    issueRefreshToken: async (_koa, client) => client.grantTypeAllowed('refresh_token'),
    renderError: (koa, out) => input.views.error(koa, out, tenantId),
  };

  const provider = new Provider(issuerFor(config.publicUrl, tenantId), configuration);
  // mount.ts pins Host and X-Forwarded-Proto from FOYER_PUBLIC_URL, so trusting them is safe.
  provider.proxy = true;
  // Secrets are stored as SHA-256 hashes (they are 256-bit random values); compare in constant time
  // against every secret of the app valid now, so a rotation can overlap and an expired secret is refused
  // at its end date, however recently the client was cached. A refusal is `invalid_client`.
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: FoyerClientExtras, actual: string) {
    return secretMatches(actual, this.foyer_secrets ?? [], ctx.clock.now());
  };
  return provider;
}

function interactionPolicyFor(ctx: AppContext, tenantId: string) {
  const policy = interactionPolicy.base();
  // The library asks native clients to consent on every sign-in; Foyer's apps are admin-registered.
  const consent = policy.get('consent');
  consent?.checks.remove('native_client_prompt');
  // A remembered sign-in that no longer does for this app (a Conditional Access policy asks for MFA it did
  // not have, or its signInFrequency passed) goes back through the sign-in pages, which sign the person in
  // again by single sign-on and their second-factor step. Not right after those pages answered.
  policy.get('login')?.checks.add(
    new interactionPolicy.Check(SIGN_IN_CHECK_REASON, 'The sign-in must be checked again', async (koa) => {
      const { session, client, result } = koa.oidc;
      if (!session?.accountId || !client || result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const signIn = {
        tenantId,
        accountId: session.accountId,
        clientId: client.clientId,
        amr: (session as unknown as { amr?: string[] }).amr ?? [],
        authTime: session.loginTs ?? 0,
        cookie: (name: string) => koa.cookies.get(name, { signed: false }) ?? undefined,
      };
      const again = await signInNeedsAnotherLook(ctx, signIn, 'authorize');
      return again ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

/**
 * `foyer_iat_ms`, which access-tokens.ts compares with the person's `signInSessionsValidFrom`, stamps the
 * sign-in a person's token comes from, not the moment it is signed: a refresh that read its token and
 * grant before a revocation committed may sign after it, and must not mint a token Graph accepts.
 * `auth_time` counts whole seconds, so its first millisecond is used; when a revocation fell within that
 * second, the sign-in came after it only if its grant outlived it (a revocation deletes the person's
 * grants in its own transaction, and the grant is read here after the revocation time is), and the token
 * gets the revocation's instant. A sign-in a revocation ended gets invalid_grant, not a token every API
 * would refuse.
 */
async function signInStamp(
  ctx: AppContext,
  tenantId: string,
  koa: KoaContextWithOIDC,
  token: { accountId?: string | undefined; grantId?: string | undefined },
): Promise<number> {
  const now = ctx.clock.now();
  const source = koa.oidc.entities.AuthorizationCode ?? koa.oidc.entities.RefreshToken;
  if (typeof source?.authTime !== 'number' || !token.accountId) return now;
  const provedAt = Math.min(now, source.authTime * 1000);
  const validFrom = (await findUser(ctx.db.kysely, tenantId, token.accountId))?.signInSessionsValidFrom ?? null;
  if (validFrom === null || provedAt >= validFrom) return provedAt;
  const sameSecond = validFrom < source.authTime * 1000 + 1000;
  if (sameSecond && token.grantId && (await koa.oidc.provider.Grant.find(token.grantId))) return Math.min(now, validFrom);
  throw new errors.InvalidGrant('the sign-in this token comes from has ended (signInSessionsValidFromDateTime); sign in again');
}
