/**
 * A group's relationships: `members` (users and, nested, groups), `transitiveMembers`, `memberOf`,
 * `transitiveMemberOf` and `owners`, each with its type casts and `$count` segments; and
 * `POST /groups/{id}/owners/$ref`, `DELETE /groups/{id}/owners/{id}/$ref`. Adding and removing members
 * is in groups.ts, beside `members@odata.bind`.
 */
import type { FastifyRequest } from 'fastify';
import { directoryTransaction } from '../directory/changes.js';
import { requireGroup } from '../directory/groups.js';
import { addOwners, type Relationship, removeOwner } from '../directory/memberships.js';
import { type AccessRule, authorize, type Caller } from './auth.js';
import { type ObjectCollectionSpec, registerObjectCollection } from './directory-objects.js';
import { groupRules, objectIdFromRef } from './groups.js';
import type { GraphDeps } from './kit.js';

/** Reading a group's members: the group read rule, or GroupMember.Read.All (and its write permission). */
export const memberReadRule: AccessRule = {
  ...groupRules.read,
  app: ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', ...groupRules.read.app],
  delegated: ['GroupMember.Read.All', 'GroupMember.ReadWrite.All', ...groupRules.read.delegated],
};

export function registerGroupRelationshipRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;

  /** The group a relationship is read from, after the read rule. */
  async function readable(request: FastifyRequest, rule: AccessRule): Promise<{ who: Caller; groupId: string }> {
    const who = await caller(request);
    authorize(who, rule);
    const group = await requireGroup(db, who.tenantId, (request.params as { id: string }).id);
    return { who, groupId: group.id };
  }

  const relationships: Array<[Relationship['name'], ObjectCollectionSpec['casts']]> = [
    ['members', ['user', 'group']],
    ['transitiveMembers', ['user', 'group']],
    ['memberOf', ['group']],
    ['transitiveMemberOf', ['group']],
    ['owners', ['user']],
  ];
  for (const [name, casts] of relationships) {
    // Graph lists GroupMember.Read.All as the least privilege for reading a group's members.
    const rule = name === 'members' || name === 'transitiveMembers' ? memberReadRule : groupRules.read;
    registerObjectCollection(deps, {
      path: `/groups/:id/${name}`,
      casts,
      async load(request) {
        const { who, groupId } = await readable(request, rule);
        return { tenantId: who.tenantId, url: `${base}/groups/${groupId}/${name}`, relationship: { name, of: groupId } };
      },
    });
  }

  /** `POST /groups/{id}/owners/$ref` with `{"@odata.id": "…/users/{id}"}`: 204; an existing owner is Graph's 400. */
  app.post('/groups/:id/owners/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, groupRules.owners);
    const ownerId = objectIdFromRef(request.body);
    const group = await requireGroup(db, who.tenantId, (request.params as { id: string }).id);
    await directoryTransaction(ctx.db, (trx) => addOwners(trx, who.tenantId, group.id, [ownerId], ctx.clock.now()));
    return reply.code(204).send();
  });

  /** `DELETE /groups/{id}/owners/{id}/$ref`: 204; the last owner stays (Graph's rule). */
  app.delete('/groups/:id/owners/:ownerId/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, groupRules.owners);
    const { id, ownerId } = request.params as { id: string; ownerId: string };
    const group = await requireGroup(db, who.tenantId, id);
    await directoryTransaction(ctx.db, (trx) => removeOwner(trx, who.tenantId, group.id, ownerId));
    return reply.code(204).send();
  });
}
