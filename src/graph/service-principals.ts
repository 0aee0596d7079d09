/**
 * `/servicePrincipals`: each app registration's service principal (listed with OData, read by id or by
 * Graph's alternate key `servicePrincipals(appId='{appId}')`, `appRoleAssignmentRequired` changed with
 * PATCH by id or alternate key), and assigning users and groups to it: POST and DELETE on
 * `servicePrincipals/{id}/appRoleAssignedTo` (the lists, and the users' and groups' side, are served by
 * app-role-assignment-routes.ts with the permissions and body exported here). Foyer makes a service principal with every app and deletes it with the app, so there is no
 * POST or DELETE of service principals themselves.
 *
 * Permissions as Graph: reading needs Application.Read.All (or …ReadWrite.All, Directory.*); PATCH needs
 * Application.ReadWrite.All; assigning needs AppRoleAssignment.ReadWrite.All or Application.ReadWrite.All
 * (or Directory.ReadWrite.All). A person also needs the Global Administrator role to change anything.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type AppRoleAssignment, addAppRoleAssignment, removeAppRoleAssignment } from '../directory/app-assignments.js';
import type { appRoleAssignmentResource, directoryObjectResource } from '../directory/resources/index.js';
import { directoryRoles } from '../directory/roles.js';
import {
  listServicePrincipals,
  requireServicePrincipal,
  requireServicePrincipalByAppId,
  type ServicePrincipal,
  servicePrincipalsCollection,
  updateServicePrincipal,
} from '../directory/service-principals.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { parseCollectionQuery } from '../platform/odata/query.js';
import type { SelectableProperty } from '../platform/odata/resource.js';
import { type AccessRule, actorOf, authorize } from './auth.js';
import { parseBody } from './body.js';
import type { GraphDeps } from './kit.js';
import { entitySelect, nextLink } from './query-options.js';

const DIRECTORY_READ = ['Directory.Read.All', 'Directory.ReadWrite.All'];

export const servicePrincipalRules = {
  read: {
    app: ['Application.Read.All', 'Application.ReadWrite.All', ...DIRECTORY_READ],
    delegated: ['Application.Read.All', 'Application.ReadWrite.All', ...DIRECTORY_READ],
    membersOnly: true,
  },
  write: {
    app: ['Application.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['Application.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: [directoryRoles.globalAdministrator.id],
  },
  readAssignments: {
    app: ['Application.Read.All', 'Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', ...DIRECTORY_READ],
    delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', ...DIRECTORY_READ],
    membersOnly: true,
  },
  assign: {
    app: ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: [directoryRoles.globalAdministrator.id],
  },
  /** `users/{id}/appRoleAssignments`, `groups/{id}/appRoleAssignments`: reading the directory object's side. */
  readOfPrincipal: {
    app: ['User.Read.All', 'User.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', ...DIRECTORY_READ],
    delegated: ['User.Read.All', 'User.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', ...DIRECTORY_READ],
    membersOnly: true,
  },
} satisfies Record<string, AccessRule>;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Graph's `servicePrincipal` with exactly the selected properties (the response allow-list). */
export function toGraphServicePrincipal(sp: ServicePrincipal, select: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: sp.id,
    deletedDateTime: null,
    appId: sp.appId,
    displayName: sp.displayName,
    appDisplayName: sp.displayName,
    appOwnerOrganizationId: sp.tenantId,
    accountEnabled: true,
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired,
    servicePrincipalType: 'Application',
    servicePrincipalNames: [sp.appId],
    createdDateTime: iso(sp.createdAt),
  };
  return Object.fromEntries(select.map((k) => [k, all[k]]));
}

/** Graph's `appRoleAssignment`. */
export function toGraphAppRoleAssignment(a: AppRoleAssignment): Record<string, unknown> {
  const all = {
    id: a.id,
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: iso(a.createdAt),
    principalDisplayName: a.principalDisplayName,
    principalId: a.principalId,
    principalType: a.principalType,
    resourceDisplayName: a.resourceDisplayName,
    resourceId: a.resourceId,
  } satisfies Record<SelectableProperty<typeof appRoleAssignmentResource> | SelectableProperty<typeof directoryObjectResource>, unknown>;
  return { ...all };
}

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'a GUID is expected');

export const assignmentBody = z.strictObject({
  principalId: guid,
  resourceId: guid,
  appRoleId: guid,
  // Graph SDKs may send back what they read; these are Foyer's to fill in.
  principalType: z.string().max(20).nullable().optional(),
  principalDisplayName: z.string().max(256).nullable().optional(),
  resourceDisplayName: z.string().max(256).nullable().optional(),
});

const patchBody = z.strictObject({
  appRoleAssignmentRequired: z.boolean().optional(),
  // Foyer's service principals are named by their application and are always enabled: the values they
  // have are accepted (SDKs send back what they read), others are refused below.
  displayName: z.string().max(256).optional(),
  accountEnabled: z.boolean().optional(),
});

/** The appId of Graph's alternate key, `servicePrincipals(appId='…')`, from the one path parameter of that route. */
function alternateKey(params: unknown): string {
  const raw = Object.values(params as Record<string, string>)[0] ?? '';
  const m = /^'([^']*)'\)$/.exec(raw);
  if (!m) throw new FoyerError('request.invalid_query', "The alternate key must be written servicePrincipals(appId='{appId}').");
  return m[1]!;
}

export function registerServicePrincipalRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const entity = `${base}/$metadata#servicePrincipals/$entity`;

  app.get('/servicePrincipals', async (request) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.read);
    const params = request.query as Record<string, unknown>;
    const query = parseCollectionQuery(params, servicePrincipalsCollection);
    const page = await listServicePrincipals(ctx.db.kysely, ctx.db.dialect, who.tenantId, query);
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#servicePrincipals` };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.servicePrincipals.map((sp) => toGraphServicePrincipal(sp, query.select));
    if (page.next) body['@odata.nextLink'] = nextLink(`${base}/servicePrincipals`, params, query, page.next);
    return body;
  });

  app.get('/servicePrincipals/:id', async (request) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.read);
    const select = entitySelect(request.query as Record<string, unknown>, servicePrincipalsCollection);
    const sp = await requireServicePrincipal(ctx.db.kysely, who.tenantId, (request.params as { id: string }).id);
    return { '@odata.context': entity, ...toGraphServicePrincipal(sp, select) };
  });

  app.get('/servicePrincipals(appId=:appId)', async (request) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.read);
    const select = entitySelect(request.query as Record<string, unknown>, servicePrincipalsCollection);
    const sp = await requireServicePrincipalByAppId(ctx.db.kysely, who.tenantId, alternateKey(request.params));
    return { '@odata.context': entity, ...toGraphServicePrincipal(sp, select) };
  });

  const patch = (byAppId: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.write);
    const body = parseBody(patchBody, request.body);
    const current = byAppId
      ? await requireServicePrincipalByAppId(ctx.db.kysely, who.tenantId, alternateKey(request.params))
      : await requireServicePrincipal(ctx.db.kysely, who.tenantId, (request.params as { id: string }).id);
    if (body.displayName !== undefined && body.displayName !== current.displayName) {
      throw new FoyerError('request.invalid_body', "A service principal's displayName is its application's in Foyer: change it with PATCH /applications/{id}.");
    }
    if (body.accountEnabled === false) {
      throw new FoyerError('request.invalid_body', 'Disabling a service principal (accountEnabled: false) is not supported by Foyer.');
    }
    if (body.appRoleAssignmentRequired !== undefined) {
      await updateServicePrincipal(ctx, who.tenantId, current.id, { appRoleAssignmentRequired: body.appRoleAssignmentRequired }, actorOf(who, request.ip));
    }
    return reply.code(204).send();
  };
  app.patch('/servicePrincipals/:id', patch(false));
  app.patch('/servicePrincipals(appId=:appId)', patch(true));

  app.post('/servicePrincipals/:id/appRoleAssignedTo', async (request, reply) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.assign);
    const body = parseBody(assignmentBody, request.body);
    const sp = await requireServicePrincipal(ctx.db.kysely, who.tenantId, (request.params as { id: string }).id);
    if (body.resourceId.toLowerCase() !== sp.id) {
      throw new FoyerError('request.invalid_body', `resourceId must be the service principal of the URL ('${sp.id}').`);
    }
    const created = await addAppRoleAssignment(
      ctx,
      who.tenantId,
      { resourceId: sp.id, principalId: body.principalId.toLowerCase(), appRoleId: body.appRoleId },
      actorOf(who, request.ip),
    );
    reply.code(201).header('location', `${base}/servicePrincipals/${sp.id}/appRoleAssignedTo/${created.id}`);
    return { '@odata.context': `${base}/$metadata#servicePrincipals('${sp.id}')/appRoleAssignedTo/$entity`, ...toGraphAppRoleAssignment(created) };
  });

  app.delete('/servicePrincipals/:id/appRoleAssignedTo/:assignmentId', async (request, reply) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.assign);
    const { id, assignmentId } = request.params as { id: string; assignmentId: string };
    await removeAppRoleAssignment(ctx, who.tenantId, id, assignmentId, actorOf(who, request.ip));
    return reply.code(204).send();
  });
}
