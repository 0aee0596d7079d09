/**
 * `$expand` on users (`manager`, `memberOf`, `directReports`) and groups (`members`, `owners`,
 * `memberOf`): `GET /users`, `/users/{id}`, `/me`, `GET /groups`, `/groups/{id}`.
 *
 * It is declared here, as hooks on those routes, rather than in each handler: before the handler runs the
 * option is parsed (an unknown or unsupported target is a 400 naming it) and taken out of the query, so
 * the handlers' parsers see only the options they know; before the answer is serialised each object gets
 * its expanded relationships, and a next link keeps `$expand`. As Graph does for directory objects, an
 * expansion goes one level deep, an expanded collection shows at most 20 objects (by id, with no next
 * link), and only `$select` is taken inside the parentheses.
 */
import type { FastifyRequest } from 'fastify';
import { type DirectoryObjectRef, firstRelatedOf, managerIdsOf, roleIdsOfUsers } from '../directory/memberships.js';
import { groupResource, userResource } from '../directory/resources/index.js';
import { usersCollection } from '../directory/user-list.js';
import { type ExpandItem, type ExpandModel, takeExpand } from '../platform/odata/expand.js';
import { parseCollectionQuery } from '../platform/odata/query.js';
import { allNavigation, expandableNavigation, type ResourceDescription, typeName } from '../platform/odata/resource.js';
import type { Caller } from './auth.js';
import { mixedCollection, renderRefs, renderRole } from './directory-objects.js';
import type { GraphDeps } from './kit.js';
import { relationshipAccess, visibleSelect } from './relationship-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's parsed `$expand`, when its route expands (see expansions.ts). */
    graphExpand: { model: ExpandModel; items: ExpandItem[]; raw: string } | null;
  }
}

/** Graph shows at most 20 objects of an expanded collection of directory objects, without a next link. */
export const EXPANDED_COLLECTION_LIMIT = 20;

/**
 * The expand model of a resource, from its description: the relationships it marks expandable, and as
 * "not supported by Foyer" those it describes but does not expand and the Graph ones it does not serve.
 * `handled` is what the hooks below know how to expand: a description marking another relationship
 * expandable (or no longer marking one) stops Foyer from starting, rather than expanding the wrong thing.
 */
function expandModelOf(resource: ResourceDescription, handled: readonly string[], graphOnly: readonly string[]): ExpandModel {
  const described = allNavigation(resource);
  const expandable = expandableNavigation(resource);
  if ([...expandable].sort().join() !== [...handled].sort().join()) {
    throw new Error(`${resource.name}: described as expandable ${expandable.join(', ')}, but $expand handles ${handled.join(', ')}`);
  }
  return {
    typeName: typeName(resource),
    expandable,
    notSupported: [...described.filter(([, n]) => !n.expandable).map(([name]) => name), ...graphOnly],
  };
}

export const userExpandModel: ExpandModel = expandModelOf(
  userResource,
  ['manager', 'memberOf', 'directReports'],
  [
    'ownedObjects',
    'ownedDevices',
    'registeredDevices',
    'createdObjects',
    'sponsors',
    'appRoleAssignments',
    'oauth2PermissionGrants',
    'licenseDetails',
    'extensions',
    'photo',
    'drive',
    'calendar',
    'events',
    'messages',
    'mailFolders',
    'contacts',
    'people',
    'joinedTeams',
  ],
);

export const groupExpandModel: ExpandModel = expandModelOf(
  groupResource,
  ['members', 'owners', 'memberOf'],
  [
    'createdOnBehalfOf',
    'appRoleAssignments',
    'permissionGrants',
    'acceptedSenders',
    'rejectedSenders',
    'membersWithLicenseErrors',
    'extensions',
    'photo',
    'drive',
    'sites',
    'calendar',
    'events',
    'conversations',
    'threads',
    'team',
    'settings',
  ],
);

/** The routes (below the Graph prefix) that take `$expand`, and what each expands. */
const expandingRoutes: Record<string, ExpandModel> = {
  '/users': userExpandModel,
  '/users/:id': userExpandModel,
  '/me': userExpandModel,
  '/groups': groupExpandModel,
  '/groups/:id': groupExpandModel,
};

export function registerExpansions(deps: GraphDeps): void {
  const { app, ctx } = deps;
  const db = ctx.db.kysely;
  const dialect = ctx.db.dialect;

  function routeModel(request: FastifyRequest): ExpandModel | undefined {
    const url = request.routeOptions.url ?? '';
    const path = url.replace(/^\/graph\/v1\.0/, '');
    // `/users/$count` is served by `/users/:id`: a count takes no `$expand` (its parser says so).
    if ((request.params as { id?: string } | undefined)?.id === '$count') return undefined;
    return request.method === 'GET' ? expandingRoutes[path] : undefined;
  }

  app.decorateRequest('graphExpand', null);

  app.addHook('preHandler', async (request) => {
    const model = routeModel(request);
    if (!model) return;
    const params = request.query as Record<string, unknown>;
    const rawKey = Object.keys(params).find((k) => k.toLowerCase() === '$expand');
    if (rawKey === undefined) return;
    // Who is asking comes first: a request without a valid token is a 401, whatever its `$expand` says.
    await deps.caller(request);
    const { rest, expand } = takeExpand(params, model);
    request.graphExpand = { model, items: expand, raw: String(params[rawKey]) };
    request.query = rest;
  });

  /** The `$select` of an expansion, checked against what the expanded objects have. */
  function selectOf(item: ExpandItem, singleUser: boolean): string[] | undefined {
    if (!item.select) return undefined;
    return parseCollectionQuery({ $select: item.select.join(',') }, singleUser ? usersCollection : mixedCollection).select;
  }

  /**
   * Renders each object's related objects (at most EXPANDED_COLLECTION_LIMIT, by id) with one users list
   * and one groups list for the whole page, and sets them as `view[property]`.
   */
  async function renderEach(
    tenantId: string,
    views: Record<string, unknown>[],
    property: string,
    related: Map<string, Array<DirectoryObjectRef | { id: string; type: 'role' }>>,
    select: readonly string[] | undefined,
  ) {
    const refs = new Map<string, DirectoryObjectRef>();
    for (const list of related.values()) for (const r of list) if (r.type !== 'role') refs.set(r.id, r);
    const rendered = await renderRefs(db, dialect, tenantId, [...refs.values()], select);
    const byId = new Map(rendered.map((o) => [o.id as string, o]));
    for (const view of views) {
      const list = related.get(view.id as string) ?? [];
      view[property] = list.map((r) => (r.type === 'role' ? renderRole(r.id, select) : byId.get(r.id))).filter((v) => v !== undefined);
    }
  }

  async function expandUser(who: Caller, views: Record<string, unknown>[], items: ExpandItem[]) {
    const tenantId = who.tenantId;
    const ids = views.map((v) => v.id as string);
    // A list of users, or someone else, needed the read rule already; one's own (`/me`) is checked here.
    const self = who.kind === 'user' && views.length === 1 && ids[0] === who.user!.id;
    for (const item of items) {
      const people = item.property === 'manager' || item.property === 'directReports';
      const { visible } = relationshipAccess(who, self, people ? (item.property as 'manager' | 'directReports') : 'memberOf');
      const select = people ? visibleSelect(selectOf(item, true) ?? usersCollection.defaultSelect, item.select !== undefined, visible) : selectOf(item, false);
      if (item.property === 'manager') {
        const managers = await managerIdsOf(db, tenantId, ids);
        const unique = [...new Set(managers.values())];
        const rendered = await renderRefs(
          db,
          dialect,
          tenantId,
          unique.map((id) => ({ id, type: 'user' as const })),
          select,
        );
        const byId = new Map(rendered.map((m) => [m.id as string, m]));
        for (const view of views) {
          const manager = byId.get(managers.get(view.id as string) ?? '');
          if (manager) view.manager = manager;
        }
      } else if (item.property === 'memberOf') {
        const [groups, roles] = await Promise.all([
          firstRelatedOf(db, tenantId, 'memberOf', ids, EXPANDED_COLLECTION_LIMIT),
          roleIdsOfUsers(db, tenantId, ids),
        ]);
        const related = new Map<string, Array<DirectoryObjectRef | { id: string; type: 'role' }>>();
        for (const id of ids) {
          const all = [...(groups.get(id) ?? []), ...(roles.get(id) ?? []).map((r) => ({ id: r, type: 'role' as const }))];
          related.set(id, all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, EXPANDED_COLLECTION_LIMIT));
        }
        await renderEach(tenantId, views, 'memberOf', related, select);
      } else {
        await renderEach(tenantId, views, 'directReports', await firstRelatedOf(db, tenantId, 'directReports', ids, EXPANDED_COLLECTION_LIMIT), select);
      }
    }
  }

  async function expandGroup(tenantId: string, views: Record<string, unknown>[], items: ExpandItem[]) {
    const ids = views.map((v) => v.id as string);
    for (const item of items) {
      const select = selectOf(item, item.property === 'owners');
      const name = item.property as 'members' | 'owners' | 'memberOf';
      await renderEach(tenantId, views, name, await firstRelatedOf(db, tenantId, name, ids, EXPANDED_COLLECTION_LIMIT), select);
    }
  }

  app.addHook('preSerialization', async (request, reply, payload) => {
    const expand = request.graphExpand;
    if (!expand || reply.statusCode !== 200 || !payload || typeof payload !== 'object') return payload;
    const body = payload as Record<string, unknown>;
    const who = await deps.caller(request);
    const views = Array.isArray(body.value) ? (body.value as Record<string, unknown>[]) : [body];
    if (expand.model === userExpandModel) await expandUser(who, views, expand.items);
    else await expandGroup(who.tenantId, views, expand.items);
    const next = body['@odata.nextLink'];
    if (typeof next === 'string') {
      const url = new URL(next);
      url.searchParams.set('$expand', expand.raw);
      body['@odata.nextLink'] = url.toString();
    }
    return body;
  });
}
