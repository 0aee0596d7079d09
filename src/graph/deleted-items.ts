/**
 * `directory/deletedItems`: the users deleted in the last 30 days (`DELETE /users/{id}` keeps them
 * restorable), listed with the options `GET /users` takes plus `$orderby=deletedDateTime`, read one by one,
 * restored (`POST …/{id}/restore`, answering the restored user as Graph does) and purged
 * (`DELETE …/{id}`). Foyer deletes groups and applications for good, so only users are ever here: the lists
 * of deleted groups, applications and service principals are there, and empty.
 */
import type { FastifyRequest } from 'fastify';
import { listDeletedUsers, purgeUser, requireDeletedUser, restoreUser } from '../directory/deleted-users.js';
import { listIdentities } from '../directory/identities.js';
import { assertMayChangeUser } from '../directory/protection.js';
import { userResource } from '../directory/resources/index.js';
import { usersCollection } from '../directory/user-list.js';
import { listRoleIdsOf, type ObjectIdentity, type User } from '../directory/users.js';
import type { CollectionModel } from '../platform/odata/query.js';
import { parseCollectionQuery } from '../platform/odata/query.js';
import { simpleSorts } from '../platform/odata/resource.js';
import { applyAdvancedQueryRules } from './advanced-query.js';
import { type AccessRule, actorOf, authorize, type Caller } from './auth.js';
import type { GraphDeps } from './kit.js';
import { entitySelect, nextLink, selectSuffix } from './query-options.js';
import { withFoyerLimits } from './resources.js';
import { toGraphUser, userRules } from './users.js';

/** What the list takes: `GET /users`'s options, `deletedDateTime` in the default set and as a sort key. */
const deletedUsersCollection: CollectionModel = {
  ...usersCollection,
  defaultSelect: [...usersCollection.defaultSelect.filter((p) => p !== 'id'), 'deletedDateTime', 'id'],
  sortable: [...usersCollection.sortable, 'deletedDateTime'],
  integerSorts: [...(usersCollection.integerSorts ?? []), 'deletedDateTime'],
};

/** The type-cast segments Graph takes for users (its namespace alias too, as the Kiota SDKs send it). */
const userCasts = ['microsoft.graph.user', 'graph.user'];

const directoryRead = ['Directory.Read.All', 'Directory.ReadWrite.All'];
/**
 * The other types Graph keeps in `deletedItems`. Foyer deletes them for good, so their lists are always
 * empty; each is read with what reading the live objects takes.
 */
const alwaysEmpty: { type: string; rule: AccessRule }[] = [
  { type: 'group', rule: accessToRead(['Group.Read.All', 'Group.ReadWrite.All', ...directoryRead]) },
  { type: 'application', rule: accessToRead(['Application.Read.All', 'Application.ReadWrite.All', ...directoryRead]) },
  { type: 'servicePrincipal', rule: accessToRead(['Application.Read.All', 'Application.ReadWrite.All', ...directoryRead]) },
];

function accessToRead(permissions: string[]): AccessRule {
  return { app: permissions, delegated: permissions, membersOnly: true };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A deleted user as Graph shows one: a user with `deletedDateTime` set and its UPN prefixed with its id. */
function toGraphDeletedUser(user: User, select: readonly string[], identities?: ObjectIdentity[]): Record<string, unknown> {
  const view = toGraphUser(user, select, identities);
  if ('deletedDateTime' in view) view.deletedDateTime = iso(user.deletedAt);
  return { '@odata.type': '#microsoft.graph.user', ...view };
}

export function registerDeletedItemRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;

  /** Restoring or purging a deleted administrator takes what deleting them took (directory/protection.ts). */
  async function guard(who: Caller, target: User) {
    const targetRoles = new Set(await listRoleIdsOf(db, who.tenantId, target.id));
    assertMayChangeUser({ kind: who.kind, permissions: who.permissions, roleIds: who.user?.roleIds ?? new Set() }, targetRoles, new Set(['delete']));
  }

  for (const cast of userCasts) {
    app.get(`/directory/deletedItems/${cast}`, async (request) => {
      const who = await caller(request);
      authorize(who, userRules.read);
      const params = request.query as Record<string, unknown>;
      const query = withFoyerLimits(userResource, () => parseCollectionQuery(params, deletedUsersCollection));
      // `$orderby=deletedDateTime` is an advanced query in Graph (ConsistencyLevel: eventual and $count).
      applyAdvancedQueryRules(request, query, simpleSorts(userResource));
      const page = await listDeletedUsers(db, ctx.db.dialect, who.tenantId, query);
      const identities = query.select.includes('identities')
        ? await listIdentities(
            db,
            page.users.map((u) => u.id),
          )
        : new Map<string, ObjectIdentity[]>();
      const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#directory/deletedItems${selectSuffix(params, query.select)}` };
      if (page.count !== undefined) body['@odata.count'] = page.count;
      body.value = page.users.map((u) => toGraphDeletedUser(u, query.select, identities.get(u.id)));
      if (page.next) body['@odata.nextLink'] = nextLink(`${base}/directory/deletedItems/${cast}`, params, query, page.next);
      return body;
    });
  }

  for (const { type, rule } of alwaysEmpty) {
    for (const cast of [`microsoft.graph.${type}`, `graph.${type}`]) {
      app.get(`/directory/deletedItems/${cast}`, async (request) => {
        authorize(await caller(request), rule);
        const counted = String((request.query as Record<string, unknown>).$count).toLowerCase() === 'true';
        return {
          '@odata.context': `${base}/$metadata#directory/deletedItems/microsoft.graph.${type}`,
          ...(counted ? { '@odata.count': 0 } : {}),
          value: [],
        };
      });
    }
  }

  app.get('/directory/deletedItems/:id', async (request) => {
    const who = await caller(request);
    authorize(who, userRules.read);
    const { id } = request.params as { id: string };
    const params = request.query as Record<string, unknown>;
    const select = withFoyerLimits(userResource, () => entitySelect(params, deletedUsersCollection));
    const user = await requireDeletedUser(db, who.tenantId, id);
    const identities = select.includes('identities') ? (await listIdentities(db, [user.id])).get(user.id) : undefined;
    return {
      '@odata.context': `${base}/$metadata#directory/deletedItems${selectSuffix(params, select)}/$entity`,
      ...toGraphDeletedUser(user, select, identities),
    };
  });

  /** Graph answers the restored object (200), as a directory object of type user. */
  app.post('/directory/deletedItems/:id/restore', async (request: FastifyRequest) => {
    const who = await caller(request);
    authorize(who, userRules.deleteRestore);
    const { id } = request.params as { id: string };
    const target = await requireDeletedUser(db, who.tenantId, id);
    await guard(who, target);
    const restored = await restoreUser(ctx, who.tenantId, target.id, actorOf(who, request.ip));
    return {
      '@odata.context': `${base}/$metadata#directoryObjects/$entity`,
      '@odata.type': '#microsoft.graph.user',
      ...toGraphUser(restored, deletedUsersCollection.defaultSelect),
    };
  });

  app.delete('/directory/deletedItems/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, userRules.deleteRestore);
    const { id } = request.params as { id: string };
    const target = await requireDeletedUser(db, who.tenantId, id);
    await guard(who, target);
    await purgeUser(ctx, who.tenantId, target.id, actorOf(who, request.ip));
    return reply.code(204).send();
  });
}
