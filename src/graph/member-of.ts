/**
 * `/users/{id}/memberOf`: the groups and directory roles a user belongs to, with `$select`, `$top`,
 * `$count` and paging; its type cast `/memberOf/microsoft.graph.group` with the options `GET /groups`
 * takes; and the `$count` segments of both.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { groupsCollection, listGroupsOf, listGroupsOfPage } from '../directory/groups.js';
import { directoryRoleResource } from '../directory/resources/index.js';
import { roleByTemplateId } from '../directory/roles.js';
import { listRoleIdsOf } from '../directory/users.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type CollectionModel, parseCollectionQuery } from '../platform/odata/query.js';
import { collectionModel } from '../platform/odata/resource.js';
import { applyAdvancedQueryRules, isEventual, namesOption } from './advanced-query.js';
import { toGraphGroup } from './group-view.js';
import type { GraphDeps } from './kit.js';
import { countOptions, nextLink, selectSuffix, unknownSegment } from './query-options.js';
import { relationshipOwner as sharedRelationshipOwner } from './relationship-access.js';
import { requireEventualConsistency, sendCount } from './users.js';

/** A directory role's properties, from its description. */
const roleModel = collectionModel(directoryRoleResource);

/** `/users/{id}/memberOf` as a collection of directory objects: groups' properties and roles'. */
const memberOfCollection: CollectionModel = {
  typeName: 'microsoft.graph.directoryObject',
  properties: {},
  selectable: [...new Set([...groupsCollection.selectable, ...roleModel.selectable])],
  defaultSelect: [...new Set([...groupsCollection.defaultSelect, ...roleModel.defaultSelect])],
  sortable: ['id'],
};

export function registerMemberOfRoutes(deps: GraphDeps): void {
  const { app, ctx, base } = deps;

  /** The user whose groups are read, after the access check (relationship-access.ts). */
  async function relationshipOwner(request: FastifyRequest) {
    const { who, userId } = await sharedRelationshipOwner(deps, request, 'memberOf');
    return { who, user: { id: userId } };
  }

  /**
   * Groups and directory roles the user belongs to, ordered by id and paged by it: `$select`, `$top`,
   * `$count` apply; `$filter` and `$orderby` are refused (they need one type: use the group cast).
   */
  app.get('/users/:id/memberOf', async (request) => {
    const params = request.query as Record<string, unknown>;
    const { who, user } = await relationshipOwner(request);
    const refused = Object.keys(params).find((k) => ['$filter', '$orderby', '$search'].includes(k.toLowerCase()));
    if (refused) {
      throw new FoyerError('request.invalid_query', `Query option '${refused}' on memberOf is not supported by Foyer; use /memberOf/microsoft.graph.group.`);
    }
    const query = parseCollectionQuery(params, memberOfCollection);
    const [groups, roleIds] = await Promise.all([listGroupsOf(ctx.db.kysely, user.id), listRoleIdsOf(ctx.db.kysely, who.tenantId, user.id)]);
    const roleProps = roleModel.selectable;
    const all = [
      ...groups.map((g) => ({
        id: g.id,
        view: {
          '@odata.type': '#microsoft.graph.group',
          ...toGraphGroup(g, query.select),
        },
      })),
      ...roleIds
        .map(roleByTemplateId)
        .filter((r) => r !== undefined)
        .map((r) => {
          const role: Record<string, unknown> = {
            id: r.id,
            deletedDateTime: null,
            displayName: r.displayName,
            description: r.description,
            roleTemplateId: r.id,
          };
          const props = query.select.filter((p) => roleProps.includes(p));
          return { id: r.id, view: { '@odata.type': '#microsoft.graph.directoryRole', ...Object.fromEntries(props.map((p) => [p, role[p]])) } };
        }),
    ].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const after = query.after?.id;
    const rest = after === undefined ? all : all.filter((o) => o.id > after);
    const page = rest.slice(0, query.top);
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#directoryObjects${selectSuffix(params, query.select)}` };
    if (query.count && isEventual(request.headers.consistencylevel)) body['@odata.count'] = all.length;
    body.value = page.map((o) => o.view);
    if (rest.length > query.top)
      body['@odata.nextLink'] = nextLink(`${base}/users/${user.id}/memberOf`, params, query, { value: page.at(-1)!.id, id: page.at(-1)!.id });
    return body;
  });

  /** `/memberOf/microsoft.graph.group`: the user's groups, with the options `GET /groups` takes. */
  async function memberOfGroups(request: FastifyRequest) {
    const { who, user } = await relationshipOwner(request);
    const params = request.query as Record<string, unknown>;
    const query = parseCollectionQuery(params, groupsCollection);
    applyAdvancedQueryRules(request, query, []);
    const page = await listGroupsOfPage(ctx.db.kysely, ctx.db.dialect, who.tenantId, user.id, query);
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#groups${selectSuffix(params, query.select)}` };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.groups.map((g) => toGraphGroup(g, query.select));
    if (page.next) body['@odata.nextLink'] = nextLink(`${base}/users/${user.id}/memberOf/microsoft.graph.group`, params, query, page.next);
    return body;
  }

  /** `/memberOf/$count` (all directory objects) and `/memberOf/microsoft.graph.group/$count`. */
  async function countMemberOf(request: FastifyRequest, reply: FastifyReply, groupsOnly: boolean) {
    const { who, user } = await relationshipOwner(request);
    requireEventualConsistency(request);
    const params = countOptions(request.query as Record<string, unknown>);
    if (!groupsOnly && namesOption(params, '$filter')) {
      throw new FoyerError('request.invalid_query', "Query option '$filter' on memberOf is not supported by Foyer; use /memberOf/microsoft.graph.group.");
    }
    const query = parseCollectionQuery(params, groupsCollection);
    const groups = await listGroupsOfPage(ctx.db.kysely, ctx.db.dialect, who.tenantId, user.id, { ...query, top: 1, count: true });
    if (groupsOnly) return sendCount(reply, groups.count ?? 0);
    const roles = (await listRoleIdsOf(ctx.db.kysely, who.tenantId, user.id)).map(roleByTemplateId).filter((r) => r !== undefined);
    return sendCount(reply, (groups.count ?? 0) + roles.length);
  }

  // Graph's $metadata gives its namespace the alias `graph`, so `graph.group` is the same cast (the Kiota
  // SDK's `memberOf.graphGroup` builder sends that form).
  const isGroupCast = (segment: string) => segment === 'microsoft.graph.group' || segment === 'graph.group';
  app.get('/users/:id/memberOf/:segment', (request, reply) => {
    const { segment } = request.params as { segment: string };
    if (segment === '$count') return countMemberOf(request, reply, false);
    if (isGroupCast(segment)) return memberOfGroups(request);
    throw unknownSegment(segment);
  });
  app.get('/users/:id/memberOf/:segment/:count', (request, reply) => {
    const { segment, count } = request.params as { segment: string; count: string };
    if (isGroupCast(segment) && count === '$count') return countMemberOf(request, reply, true);
    throw unknownSegment(isGroupCast(segment) ? count : segment);
  });
}
