/**
 * A user's relationships beyond `memberOf`: `manager` (`GET /users/{id}/manager`, `PUT` and `DELETE`
 * `…/manager/$ref`), `directReports`, and `transitiveMemberOf` (groups through nested groups, and the
 * user's directory roles), with their type casts and `$count` segments.
 */
import type { FastifyRequest } from 'fastify';
import { directoryTransaction } from '../directory/changes.js';
import { managerIdOf, removeManager, setManager } from '../directory/memberships.js';
import { usersCollection } from '../directory/user-list.js';
import { listRoleIdsOf, requireUser } from '../directory/users.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { namesOption } from './advanced-query.js';
import { authorize } from './auth.js';
import { registerObjectCollection, renderRefs } from './directory-objects.js';
import { objectIdFromRef } from './groups.js';
import type { GraphDeps } from './kit.js';
import { entitySelect } from './query-options.js';
import { relationshipOwner, visibleSelect } from './relationship-access.js';
import { userRules } from './users.js';

export function registerManagerRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;

  for (const owner of ['/users/:id', '/me']) {
    registerObjectCollection(deps, {
      path: `${owner}/transitiveMemberOf`,
      casts: ['group'],
      async load(request) {
        const { who, userId } = await relationshipOwner(deps, request, 'memberOf');
        const roleIds = await listRoleIdsOf(db, who.tenantId, userId);
        return { tenantId: who.tenantId, url: `${base}/users/${userId}/transitiveMemberOf`, relationship: { name: 'transitiveMemberOf', of: userId }, roleIds };
      },
    });
    registerObjectCollection(deps, {
      path: `${owner}/directReports`,
      casts: ['user'],
      async load(request) {
        const { who, userId, visible } = await relationshipOwner(deps, request, 'directReports');
        return { tenantId: who.tenantId, url: `${base}/users/${userId}/directReports`, relationship: { name: 'directReports', of: userId }, visible };
      },
    });
  }

  /** `GET /users/{id}/manager`: the manager as a directory object; 404 when the user has none, as Graph. */
  app.get('/me/manager', (request) => manager(request));
  app.get('/users/:id/manager', (request) => manager(request));
  async function manager(request: FastifyRequest) {
    const { who, userId, visible } = await relationshipOwner(deps, request, 'manager');
    const params = request.query as Record<string, unknown>;
    const select = visibleSelect(entitySelect(params, usersCollection), namesOption(params, '$select'), visible);
    const managerId = await managerIdOf(db, who.tenantId, userId);
    const [view] = managerId ? await renderRefs(db, ctx.db.dialect, who.tenantId, [{ id: managerId, type: 'user' }], select) : [];
    if (!view)
      throw new FoyerError('directory.not_found', `Resource 'manager' does not exist or one of its queried reference-property objects are not present.`);
    return { '@odata.context': `${base}/$metadata#directoryObjects/$entity`, ...view };
  }

  /** `PUT /users/{id}/manager/$ref` with `{"@odata.id": "…/users/{managerId}"}`: 204. */
  app.put('/users/:id/manager/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, userRules.write);
    const managerId = objectIdFromRef(request.body);
    const user = await requireUser(db, who.tenantId, (request.params as { id: string }).id);
    await directoryTransaction(ctx.db, (trx) => setManager(trx, who.tenantId, user.id, managerId));
    return reply.code(204).send();
  });

  app.delete('/users/:id/manager/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, userRules.write);
    const user = await requireUser(db, who.tenantId, (request.params as { id: string }).id);
    await directoryTransaction(ctx.db, (trx) => removeManager(trx, who.tenantId, user.id));
    return reply.code(204).send();
  });
}
