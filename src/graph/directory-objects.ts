/**
 * Collections of directory objects that hold users and groups together (a group's members, transitive
 * members, `memberOf`, owners, direct reports) and their type casts (`/microsoft.graph.user`,
 * `/microsoft.graph.group`) and `$count` segments, registered once for every such relationship.
 *
 * A cast lists its objects as `GET /users` or `GET /groups` does (every option they take, keyset paging).
 * The uncast collection does too when all its objects are of one type; when it mixes users and groups it
 * is ordered and paged by id, with `$select`, `$top`, `$count`, and `$filter` on properties both types
 * have (applied to each); `$orderby` and `$search` are refused (not supported by Foyer: use the cast).
 * Every list is restricted to the relationship in SQL, so paging and counting stay in the database.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { groupsCollection, listGroups, scopedTo } from '../directory/groups.js';
import { listIdentities } from '../directory/identities.js';
import { countRelated, type DirectoryObjectRef, type Relationship, relatedIdsSql, relatedPage, relatedTypes } from '../directory/memberships.js';
import { roleByTemplateId } from '../directory/roles.js';
import { listUsers, usersCollection } from '../directory/user-list.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { FilterNode } from '../platform/odata/filter.js';
import { type CollectionModel, type CollectionQuery, MAX_PAGE_SIZE, parseCollectionQuery } from '../platform/odata/query.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import { applyAdvancedQueryRules, isEventual, namesOption } from './advanced-query.js';
import { toGraphGroup } from './group-view.js';
import type { GraphDeps } from './kit.js';
import { countOptions, nextLink, selectSuffix, unknownSegment } from './query-options.js';
import { limitToVisible } from './relationship-access.js';
import { requireEventualConsistency, sendCount, toGraphUser } from './users.js';

export type ObjectType = DirectoryObjectRef['type'];

/** What one relationship holds, for one request: its objects, and the URL its next links start from. */
export interface RelatedObjects {
  tenantId: string;
  /** The collection's own URL (`{base}/groups/{id}/transitiveMembers`), for `@odata.nextLink`. */
  url: string;
  /** The relationship, read in SQL (paged and counted there, however many objects it holds). */
  relationship: Relationship;
  /** Directory roles the user holds (`memberOf` and `transitiveMemberOf` of a user list them too). */
  roleIds?: string[];
  /** The user properties the caller may see of these objects, when not all (relationship-access.ts). */
  visible?: readonly string[];
}

export interface ObjectCollectionSpec {
  /** The route, such as `/groups/:id/transitiveMembers`. */
  path: string;
  /** Checks the caller's access, then finds the objects. */
  load(request: FastifyRequest): Promise<RelatedObjects>;
  /** The type casts this relationship offers. */
  casts: readonly ObjectType[];
}

/** Type-cast segments: Graph takes the namespace's alias too (`graph.group`), which the Kiota SDKs send. */
const withoutFilter = (params: Record<string, unknown>) => Object.fromEntries(Object.entries(params).filter(([k]) => k.toLowerCase() !== '$filter'));

const castNames: Record<string, ObjectType> = {
  'microsoft.graph.user': 'user',
  'microsoft.graph.group': 'group',
  'graph.user': 'user',
  'graph.group': 'group',
};

/** `$select` over a mix of users, groups and roles: any property of either type. */
export const mixedCollection: CollectionModel = {
  typeName: 'microsoft.graph.directoryObject',
  properties: {},
  selectable: [...new Set([...usersCollection.selectable, ...groupsCollection.selectable, 'roleTemplateId'])],
  defaultSelect: ['id'],
  sortable: ['id'],
};

/**
 * The objects named by `refs` as Graph shows directory objects: `@odata.type` and, of `select` (or each
 * type's default set), the properties the object's type has. In the order of `refs`.
 */
export async function renderRefs(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  refs: readonly DirectoryObjectRef[],
  select?: readonly string[],
): Promise<Record<string, unknown>[]> {
  const userIds = refs.filter((r) => r.type === 'user').map((r) => r.id);
  const groupIds = refs.filter((r) => r.type === 'group').map((r) => r.id);
  const userSelect = select ? select.filter((p) => usersCollection.selectable.includes(p)) : [...usersCollection.defaultSelect];
  const groupSelect = select ? select.filter((p) => groupsCollection.selectable.includes(p)) : [...groupsCollection.defaultSelect];
  const views = new Map<string, Record<string, unknown>>();
  if (userIds.length > 0) {
    const page = await listUsers(db, dialect, tenantId, {
      filter: scopedTo(userIds, undefined),
      select: userSelect,
      top: userIds.length,
      count: false,
      orderBy: { property: 'id', direction: 'asc' },
    });
    const identities = userSelect.includes('identities') ? await listIdentities(db, userIds) : new Map();
    for (const u of page.users) views.set(u.id, { '@odata.type': '#microsoft.graph.user', ...toGraphUser(u, userSelect, identities.get(u.id)) });
  }
  if (groupIds.length > 0) {
    const page = await listGroups(db, dialect, tenantId, {
      filter: scopedTo(groupIds, undefined),
      select: groupSelect,
      top: groupIds.length,
      count: false,
      orderBy: { property: 'id', direction: 'asc' },
    });
    for (const g of page.groups) views.set(g.id, { '@odata.type': '#microsoft.graph.group', ...toGraphGroup(g, groupSelect) });
  }
  return refs.map((r) => views.get(r.id)).filter((v) => v !== undefined);
}

/** A directory role as `memberOf` shows it, with the selected properties (or its default set). */
export function renderRole(id: string, select?: readonly string[]): Record<string, unknown> | undefined {
  const r = roleByTemplateId(id);
  if (!r) return undefined;
  const role: Record<string, unknown> = { id: r.id, displayName: r.displayName, description: r.description, roleTemplateId: r.id };
  const props = select ? select.filter((p) => p in role) : Object.keys(role);
  return { '@odata.type': '#microsoft.graph.directoryRole', ...Object.fromEntries(props.map((p) => [p, role[p]])) };
}

/** At most `limit` related objects, by id: what `$expand` shows of a collection (Graph shows 20). */
export async function renderFirst(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  related: { refs: readonly DirectoryObjectRef[]; roleIds?: readonly string[] },
  limit: number,
  select?: readonly string[],
): Promise<Record<string, unknown>[]> {
  const all = [...related.refs, ...(related.roleIds ?? []).map((id) => ({ id, type: 'role' as const }))].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const first = all.slice(0, limit);
  const objects = await renderRefs(
    db,
    dialect,
    tenantId,
    first.filter((r): r is DirectoryObjectRef => r.type !== 'role'),
    select,
  );
  const byId = new Map(objects.map((o) => [o.id as string, o]));
  return first.map((r) => (r.type === 'role' ? renderRole(r.id, select) : byId.get(r.id))).filter((v) => v !== undefined);
}

export function registerObjectCollection(deps: GraphDeps, spec: ObjectCollectionSpec): void {
  const { app, ctx, base } = deps;
  const db = ctx.db.kysely;
  const dialect = ctx.db.dialect;

  /** The objects of one type, with every option that type's list takes, restricted to the relationship in SQL. */
  async function listOfType(request: FastifyRequest, related: RelatedObjects, type: ObjectType, url: string, annotate: boolean) {
    const params = request.query as Record<string, unknown>;
    const model = type === 'user' ? usersCollection : groupsCollection;
    let query: CollectionQuery = parseCollectionQuery(params, model);
    // As on `/users` and `/groups`: Graph sorts and negates on a relationship only in an advanced query.
    applyAdvancedQueryRules(request, query, []);
    if (type === 'user') query = limitToVisible(query, namesOption(params, '$select'), related.visible);
    const within = relatedIdsSql(related.tenantId, related.relationship);
    const set = annotate ? 'directoryObjects' : type === 'user' ? 'users' : 'groups';
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#${set}${selectSuffix(params, query.select)}` };
    const odataType = annotate ? { '@odata.type': `#microsoft.graph.${type}` } : {};
    let next: { value: string | number; id: string } | undefined;
    if (type === 'user') {
      const page = await listUsers(db, dialect, related.tenantId, query, within);
      const identities = query.select.includes('identities')
        ? await listIdentities(
            db,
            page.users.map((u) => u.id),
          )
        : new Map();
      if (page.count !== undefined) body['@odata.count'] = page.count;
      body.value = page.users.map((u) => ({ ...odataType, ...toGraphUser(u, query.select, identities.get(u.id)) }));
      next = page.next;
    } else {
      const page = await listGroups(db, dialect, related.tenantId, query, within);
      if (page.count !== undefined) body['@odata.count'] = page.count;
      body.value = page.groups.map((g) => ({ ...odataType, ...toGraphGroup(g, query.select) }));
      next = page.next;
    }
    if (next) body['@odata.nextLink'] = nextLink(url, params, query, next);
    return body;
  }

  /** The types the collection holds: users, groups (from the database) and roles. */
  async function typesOf(related: RelatedObjects): Promise<Set<string>> {
    const types = new Set<string>(await relatedTypes(db, related.tenantId, related.relationship));
    if (related.roleIds?.length) types.add('role');
    return types;
  }

  /**
   * `$filter` on a collection that mixes users and groups: applied to each type, when every property it
   * names is one both types have (`id`, `displayName`, `mail`…); undefined without `$filter`. Not with
   * directory roles among them (Foyer does not filter roles): refused, as a filter naming one type's property.
   */
  function mixedFilters(request: FastifyRequest, params: Record<string, unknown>, types: Set<string>) {
    const key = Object.keys(params).find((k) => k.toLowerCase() === '$filter');
    if (key === undefined) return undefined;
    const unsupported = (why: string) =>
      new FoyerError(
        'request.invalid_query',
        `Query option '$filter' on a collection that mixes users, groups or roles is not supported by Foyer ${why}; use a type cast such as /microsoft.graph.user.`,
      );
    if (types.has('role')) throw unsupported('when it holds directory roles');
    const only = { [key]: params[key], ...(namesOption(params, '$count') ? { $count: 'true' } : {}) };
    const parse = (model: CollectionModel): CollectionQuery | FoyerError => {
      try {
        return parseCollectionQuery(only, model);
      } catch (err) {
        if (err instanceof FoyerError) return err;
        throw err;
      }
    };
    const user = parse(usersCollection);
    const group = parse(groupsCollection);
    // Wrong for both types: the filter's own error. Wrong for one: a property only the other type has.
    if (user instanceof FoyerError && group instanceof FoyerError) throw user;
    if (user instanceof FoyerError || group instanceof FoyerError) throw unsupported('on a property only one of its types has');
    // As on `/users` and `/groups`: some operators need an advanced query (`ConsistencyLevel: eventual`).
    applyAdvancedQueryRules(request, user, []);
    applyAdvancedQueryRules(request, group, []);
    return { user: user.filter, group: group.filter };
  }

  /** The users and the groups of the relationship that match their filters, by id after `after`, and their count. */
  async function filteredMixed(
    related: RelatedObjects,
    filters: { user?: FilterNode; group?: FilterNode },
    after: string | undefined,
    limit: number,
    count: boolean,
  ): Promise<{ refs: DirectoryObjectRef[]; count?: number }> {
    const within = relatedIdsSql(related.tenantId, related.relationship);
    const page = (filter: FilterNode | undefined): CollectionQuery => ({
      filter,
      select: ['id'],
      top: limit,
      count,
      orderBy: { property: 'id', direction: 'asc' },
      ...(after === undefined ? {} : { after: { value: after, id: after } }),
    });
    const [users, groups] = await Promise.all([
      listUsers(db, dialect, related.tenantId, page(filters.user), within),
      listGroups(db, dialect, related.tenantId, page(filters.group), within),
    ]);
    const refs: DirectoryObjectRef[] = [
      ...users.users.map((u) => ({ id: u.id, type: 'user' as const })),
      ...groups.groups.map((g) => ({ id: g.id, type: 'group' as const })),
    ];
    return { refs, count: count ? (users.count ?? 0) + (groups.count ?? 0) : undefined };
  }

  /** The uncast collection: one type's list when it holds one type, else users, groups and roles by id. */
  async function list(request: FastifyRequest) {
    const related = await spec.load(request);
    const types = await typesOf(related);
    if (types.size <= 1 && !types.has('role')) {
      const only = (types.values().next().value as ObjectType | undefined) ?? spec.casts[0]!;
      return listOfType(request, related, only, related.url, true);
    }
    const params = request.query as Record<string, unknown>;
    const refused = Object.keys(params).find((k) => ['$orderby', '$search'].includes(k.toLowerCase()));
    if (refused) {
      throw new FoyerError(
        'request.invalid_query',
        `Query option '${refused}' on a collection that mixes users, groups or roles is not supported by Foyer; use a type cast such as /microsoft.graph.user.`,
      );
    }
    const filters = mixedFilters(request, params, types);
    const query = parseCollectionQuery(withoutFilter(params), mixedCollection);
    const select = namesOption(params, '$select') ? query.select : undefined;
    const after = query.after?.id;
    const counted = query.count && isEventual(request.headers.consistencylevel);
    // One page (and one more, to know whether there is a next) from the database, merged with the roles.
    const found = filters
      ? await filteredMixed(related, filters, after, query.top + 1, counted)
      : { refs: await relatedPage(db, related.tenantId, related.relationship, after, query.top + 1), count: undefined };
    const roles = (related.roleIds ?? []).filter((id) => after === undefined || id > after).map((id) => ({ id, type: 'role' as const }));
    const rest = [...found.refs, ...roles].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const pageRefs = rest.slice(0, query.top);
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#directoryObjects${selectSuffix(params, query.select)}` };
    if (counted) {
      body['@odata.count'] = found.count ?? (await countRelated(db, related.tenantId, related.relationship)) + (related.roleIds?.length ?? 0);
    }
    body.value = await renderFirst(
      db,
      dialect,
      related.tenantId,
      { refs: pageRefs.filter((r): r is DirectoryObjectRef => r.type !== 'role'), roleIds: pageRefs.filter((r) => r.type === 'role').map((r) => r.id) },
      MAX_PAGE_SIZE,
      select,
    );
    if (rest.length > query.top) body['@odata.nextLink'] = nextLink(related.url, params, query, { value: pageRefs.at(-1)!.id, id: pageRefs.at(-1)!.id });
    return body;
  }

  /** `/$count`, and `/{cast}/$count`: how many objects the list would show (with `$filter` when of one type). */
  async function count(request: FastifyRequest, reply: FastifyReply, type: ObjectType | undefined) {
    const related = await spec.load(request);
    requireEventualConsistency(request);
    const params = countOptions(request.query as Record<string, unknown>);
    const types = type ? undefined : await typesOf(related);
    const of = type ?? (types!.size <= 1 && !types!.has('role') ? ((types!.values().next().value as ObjectType | undefined) ?? spec.casts[0]!) : undefined);
    if (!of) {
      const filters = mixedFilters(request, params, types!);
      if (filters) return sendCount(reply, (await filteredMixed(related, filters, undefined, 1, true)).count ?? 0);
      return sendCount(reply, (await countRelated(db, related.tenantId, related.relationship)) + (related.roleIds?.length ?? 0));
    }
    let query = parseCollectionQuery(params, of === 'user' ? usersCollection : groupsCollection);
    if (of === 'user') query = limitToVisible(query, false, related.visible);
    const within = relatedIdsSql(related.tenantId, related.relationship);
    const scoped = { ...query, top: 1, count: true };
    const n =
      of === 'user'
        ? (await listUsers(db, dialect, related.tenantId, scoped, within)).count
        : (await listGroups(db, dialect, related.tenantId, scoped, within)).count;
    return sendCount(reply, n ?? 0);
  }

  const castOf = (segment: string): ObjectType | undefined => {
    const type = castNames[segment];
    return type && spec.casts.includes(type) ? type : undefined;
  };

  app.get(spec.path, (request) => list(request));
  app.get(`${spec.path}/:segment`, async (request, reply) => {
    const { segment } = request.params as { segment: string };
    if (segment === '$count') return count(request, reply, undefined);
    const type = castOf(segment);
    if (!type) throw unknownSegment(segment);
    const related = await spec.load(request);
    return listOfType(request, related, type, `${related.url}/${segment}`, false);
  });
  app.get(`${spec.path}/:segment/:count`, (request, reply) => {
    const { segment, count: last } = request.params as { segment: string; count: string };
    const type = castOf(segment);
    if (type && last === '$count') return count(request, reply, type);
    throw unknownSegment(type ? last : segment);
  });
}
