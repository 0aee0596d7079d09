/** `/directoryRoles`: the roles Foyer knows (by Entra's template ids) and who holds them. */

import type { FastifyRequest } from 'fastify';
import { assignRole, listRoleMembers, requireRole, unassignRole } from '../directory/role-assignments.js';
import { allRoles, directoryRoles } from '../directory/roles.js';
import { usersCollection } from '../directory/user-list.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type AccessRule, authorize } from './auth.js';
import { objectIdFromRef } from './groups.js';
import type { GraphDeps } from './kit.js';
import { toGraphUser } from './users.js';

const rules = {
  read: {
    app: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    membersOnly: true,
  },
  write: {
    app: ['RoleManagement.ReadWrite.Directory'],
    delegated: ['RoleManagement.ReadWrite.Directory'],
    roles: [directoryRoles.globalAdministrator.id],
  },
} satisfies Record<string, AccessRule>;

/**
 * These routes take no query option: one is refused with Graph's 400 (rather than ignored, which would
 * answer `$expand=members` or `$filter` with something else than was asked).
 */
function refuseQueryOptions(request: FastifyRequest): void {
  const option = Object.keys((request.query ?? {}) as Record<string, unknown>).find((k) => k.startsWith('$'));
  if (option) throw new FoyerError('request.invalid_query', `Query option '${option}' on directoryRoles is not supported by Foyer.`);
}

/** A role's id is its Entra role template id, so `directoryRoles/{roleTemplateId}` names it. */
const roleKey = (raw: string) => raw;

export function registerDirectoryRoleRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const view = (r: (typeof allRoles)[number]) => ({ id: r.id, displayName: r.displayName, description: r.description, roleTemplateId: r.id });

  app.get('/directoryRoles', async (request) => {
    authorize(await caller(request), rules.read);
    refuseQueryOptions(request);
    return { '@odata.context': `${base}/$metadata#directoryRoles`, value: allRoles.map(view) };
  });

  app.get('/directoryRoles/:id', async (request) => {
    authorize(await caller(request), rules.read);
    refuseQueryOptions(request);
    return { '@odata.context': `${base}/$metadata#directoryRoles/$entity`, ...view(requireRole(roleKey((request.params as { id: string }).id))) };
  });

  app.get('/directoryRoles/:id/members', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    refuseQueryOptions(request);
    const members = await listRoleMembers(ctx.db.kysely, who.tenantId, roleKey((request.params as { id: string }).id));
    return {
      '@odata.context': `${base}/$metadata#directoryObjects`,
      value: members.map((u) => ({ '@odata.type': '#microsoft.graph.user', ...toGraphUser(u, usersCollection.defaultSelect) })),
    };
  });

  app.post('/directoryRoles/:id/members/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    await assignRole(ctx, who.tenantId, roleKey((request.params as { id: string }).id), objectIdFromRef(request.body));
    return reply.code(204).send();
  });

  app.delete('/directoryRoles/:id/members/:memberId/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const { id, memberId } = request.params as { id: string; memberId: string };
    await unassignRole(ctx, who.tenantId, roleKey(id), memberId);
    return reply.code(204).send();
  });
}
