/**
 * `/applications`: app registrations as Graph's `application` resource — list (OData), get, create,
 * update, delete — and their client secrets through `addPassword` / `removePassword`. A secret's text is
 * in `addPassword`'s response and nowhere else; `passwordCredentials` shows its `keyId`, `hint` and dates.
 *
 * `GET /applications/{id}/owners` names the app that created it (as a service principal, but with its
 * application's object id, as Foyer showed owners before it had service principals; see service-principals.ts).
 *
 * Permissions as in Entra: `Application.ReadWrite.All` manages every app, `Application.ReadWrite.OwnedBy`
 * only the apps the calling app created; a person needs `Application.ReadWrite.All` and the Global
 * Administrator role.
 */
import { z } from 'zod';
import { applicationsCollection, listApplications } from '../directory/application-list.js';
import { listPasswordCredentials, type PasswordCredential } from '../directory/application-secrets.js';
import {
  type Application,
  addApplicationPassword,
  createApplication,
  deleteApplication,
  findOwnerApplication,
  removeApplicationPassword,
  requireApplication,
  updateApplication,
} from '../directory/applications.js';
import { directoryRoles } from '../directory/roles.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { toGraphApplication, toOwnerObject, toPasswordCredential } from './application-view.js';
import { type AccessRule, actorOf, authorize, type Caller } from './auth.js';
import { optionalText, parseBody, text } from './body.js';
import type { GraphDeps } from './kit.js';

const OWNED_BY = 'Application.ReadWrite.OwnedBy';

const rules = {
  read: {
    app: ['Application.Read.All', 'Application.ReadWrite.All', OWNED_BY, 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    membersOnly: true,
  },
  write: {
    app: ['Application.ReadWrite.All', OWNED_BY],
    delegated: ['Application.ReadWrite.All'],
    roles: [directoryRoles.globalAdministrator.id],
  },
} satisfies Record<string, AccessRule>;

/** The appId whose apps alone this caller may see or change, when it holds only `…OwnedBy`; else undefined. */
function ownerScope(who: Caller, rule: AccessRule): string | undefined {
  if (who.kind !== 'app') return undefined;
  const wide = rule.app.filter((p) => p !== OWNED_BY);
  return wide.some((p) => who.permissions.has(p)) ? undefined : who.appId;
}

async function requireVisible(ctx: AppContext, who: Caller, rule: AccessRule, id: string): Promise<Application> {
  const app = await requireApplication(ctx.db.kysely, who.tenantId, id);
  const owner = ownerScope(who, rule);
  if (owner !== undefined && app.ownerAppId !== owner) {
    throw new FoyerError(
      'auth.insufficient_privileges',
      'Insufficient privileges to complete the operation.',
      `app ${who.appId} holds ${OWNED_BY} and does not own application ${app.id}`,
    );
  }
  return app;
}

const redirectUris = z.array(z.string().max(2048)).max(256);
const platform = z.strictObject({ redirectUris: redirectUris.optional() });
/**
 * Graph's `web` platform. Graph SDKs send back what they read, so its other properties are accepted and
 * not stored: Foyer has no home page or front-channel logout URL to keep, and signs people in with the
 * authorization code flow only, so the implicit grant may be sent switched off, never on.
 */
const webPlatform = platform.extend({
  homePageUrl: z.string().max(2048).nullable().optional(),
  logoutUrl: z.string().max(2048).nullable().optional(),
  redirectUriSettings: z.array(z.unknown()).max(256).nullable().optional(),
  implicitGrantSettings: z
    .strictObject({
      enableAccessTokenIssuance: z.literal(false, { error: 'Foyer has no implicit grant: use the authorization code flow' }).nullable().optional(),
      enableIdTokenIssuance: z.literal(false, { error: 'Foyer has no implicit grant: use the authorization code flow' }).nullable().optional(),
    })
    .nullable()
    .optional(),
});

const createBody = z.strictObject({
  displayName: text(256),
  signInAudience: z.literal('AzureADMyOrg', { error: "Foyer apps sign in the tenant's own directory: use AzureADMyOrg" }).optional(),
  isFallbackPublicClient: z.boolean().nullable().optional(),
  web: webPlatform.optional(),
  publicClient: platform.optional(),
});

const patchBody = createBody.partial().extend({
  passwordCredentials: z.unknown().optional(),
  groupMembershipClaims: z.string().max(100).nullable().optional(),
});

const passwordBody = z.strictObject({
  passwordCredential: z
    .strictObject({
      displayName: optionalText(256),
      startDateTime: z.iso.datetime({ offset: true }).optional(),
      endDateTime: z.iso.datetime({ offset: true }).optional(),
    })
    .nullable()
    .optional(),
});

const removeBody = z.strictObject({ keyId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'a GUID is expected') });

/** A public client is one declared with `isFallbackPublicClient` or with `publicClient` redirect URIs only. */
function kindFrom(body: z.infer<typeof createBody>): { publicClient: boolean; redirectUris: string[] } {
  const web = body.web?.redirectUris ?? [];
  const pub = body.publicClient?.redirectUris ?? [];
  const publicClient = body.isFallbackPublicClient === true || (pub.length > 0 && web.length === 0);
  if (publicClient && web.length > 0) {
    throw new FoyerError(
      'request.invalid_body',
      'An app is either a web app (web.redirectUris, with client secrets) or a public client (publicClient.redirectUris, PKCE only), not both.',
    );
  }
  if (!publicClient && pub.length > 0) {
    throw new FoyerError(
      'request.invalid_body',
      'publicClient.redirectUris belong to a public client: set isFallbackPublicClient to true, or use web.redirectUris.',
    );
  }
  return { publicClient, redirectUris: publicClient ? pub : web };
}

export function registerApplicationRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const entity = `${base}/$metadata#applications/$entity`;

  const view = async (a: Application) => {
    const credentials = await listPasswordCredentials(ctx.db.kysely, [a.id]);
    return { '@odata.context': entity, ...toGraphApplication(a, credentials.get(a.id) ?? [], applicationsCollection.defaultSelect) };
  };

  app.get('/applications', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    const query = parseCollectionQuery(request.query as Record<string, unknown>, applicationsCollection);
    const page = await listApplications(ctx.db.kysely, ctx.db.dialect, who.tenantId, query, ownerScope(who, rules.read));
    const credentials = query.select.includes('passwordCredentials')
      ? await listPasswordCredentials(
          ctx.db.kysely,
          page.applications.map((a) => a.id),
        )
      : new Map<string, PasswordCredential[]>();
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#applications` };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.applications.map((a) => toGraphApplication(a, credentials.get(a.id) ?? [], query.select));
    if (page.next) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query as Record<string, string>)) if (k.toLowerCase() !== '$skiptoken') params.set(k, v);
      params.set('$skiptoken', encodeSkipToken(query.orderBy.property, page.next.value, page.next.id));
      body['@odata.nextLink'] = `${base}/applications?${params.toString()}`;
    }
    return body;
  });

  app.get('/applications/:id', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    return view(await requireVisible(ctx, who, rules.read, (request.params as { id: string }).id));
  });

  app.post('/applications', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const body = parseBody(createBody, request.body);
    const created = await createApplication(
      ctx,
      who.tenantId,
      { displayName: body.displayName, ...kindFrom(body) },
      { actor: actorOf(who, request.ip), withSecret: false, ...(who.kind === 'app' ? { ownerAppId: who.appId } : {}) },
    );
    reply.code(201).header('location', `${base}/applications/${created.application.id}`);
    return view(created.application);
  });

  app.patch('/applications/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const body = parseBody(patchBody, request.body);
    const current = await requireVisible(ctx, who, rules.write, (request.params as { id: string }).id);
    if (body.passwordCredentials !== undefined) {
      throw new FoyerError('request.invalid_body', 'passwordCredentials cannot be changed with PATCH: use addPassword and removePassword.');
    }
    if (body.isFallbackPublicClient != null && body.isFallbackPublicClient !== current.publicClient) {
      throw new FoyerError('request.invalid_body', 'Foyer cannot turn a public client into a confidential one or back: register a new app.');
    }
    const otherKind = current.publicClient ? body.web?.redirectUris : body.publicClient?.redirectUris;
    if (otherKind?.length) {
      throw new FoyerError(
        'request.invalid_body',
        current.publicClient
          ? 'This app is a public client: its redirect URIs are publicClient.redirectUris.'
          : 'This app is a web app: its redirect URIs are web.redirectUris.',
      );
    }
    const uris = current.publicClient ? body.publicClient?.redirectUris : body.web?.redirectUris;
    await updateApplication(
      ctx,
      who.tenantId,
      current.id,
      {
        ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
        ...(uris !== undefined ? { redirectUris: uris } : {}),
        ...(body.groupMembershipClaims !== undefined ? { groupMembershipClaims: body.groupMembershipClaims } : {}),
      },
      actorOf(who, request.ip),
    );
    return reply.code(204).send();
  });

  app.delete('/applications/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const current = await requireVisible(ctx, who, rules.write, (request.params as { id: string }).id);
    await deleteApplication(ctx, who.tenantId, current.id, actorOf(who, request.ip));
    return reply.code(204).send();
  });

  app.get('/applications/:id/owners', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    const current = await requireVisible(ctx, who, rules.read, (request.params as { id: string }).id);
    const owner = await findOwnerApplication(ctx.db.kysely, current);
    return { '@odata.context': `${base}/$metadata#directoryObjects`, value: owner ? [toOwnerObject(owner)] : [] };
  });

  // Graph makes a secret with the defaults from addPassword without a body (also an empty JSON body: the
  // Graph plugin's parser reads that as no body).
  app.post('/applications/:id/addPassword', async (request) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const body = parseBody(passwordBody, request.body ?? {});
    const current = await requireVisible(ctx, who, rules.write, (request.params as { id: string }).id);
    const p = body.passwordCredential ?? {};
    const added = await addApplicationPassword(
      ctx,
      who.tenantId,
      current.id,
      {
        displayName: p.displayName ?? null,
        ...(p.startDateTime ? { startDateTime: Date.parse(p.startDateTime) } : {}),
        ...(p.endDateTime ? { endDateTime: Date.parse(p.endDateTime) } : {}),
      },
      actorOf(who, request.ip),
    );
    return { '@odata.context': `${base}/$metadata#microsoft.graph.passwordCredential`, ...toPasswordCredential(added.credential, added.secretText) };
  });

  app.post('/applications/:id/removePassword', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const body = parseBody(removeBody, request.body);
    const current = await requireVisible(ctx, who, rules.write, (request.params as { id: string }).id);
    await removeApplicationPassword(ctx, who.tenantId, current.id, body.keyId, actorOf(who, request.ip));
    return reply.code(204).send();
  });
}
