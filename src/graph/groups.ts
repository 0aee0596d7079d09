/** `/groups`: list, get, create, update, delete; `members`, `members/$ref` and `members@odata.bind` (guests can be members). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  addGroupMember,
  countGroups,
  createGroup,
  deleteGroup,
  groupsCollection,
  listGroups,
  removeGroupMember,
  requireGroup,
  updateGroup,
} from '../directory/groups.js';
import { groupResource } from '../directory/resources/index.js';
import { directoryRoles } from '../directory/roles.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { simpleSorts } from '../platform/odata/resource.js';
import { applyAdvancedQueryRules } from './advanced-query.js';
import { type AccessRule, authorize } from './auth.js';
import { optionalText, parseBody, text } from './body.js';
import { toGraphGroup } from './group-view.js';
import type { GraphDeps } from './kit.js';
import { entitySelect, selectSuffix } from './query-options.js';
import { bodySchema, refuseUnsettable, withFoyerLimits } from './resources.js';
import { requireEventualConsistency, sendCount } from './users.js';

const admins = [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id];

const rules = {
  read: {
    app: ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    membersOnly: true,
  },
  write: {
    app: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: admins,
  },
  members: {
    app: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: admins,
  },
  // Graph's owners endpoints list Group.ReadWrite.All as least privileged (not GroupMember.ReadWrite.All).
  owners: {
    app: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: admins,
  },
} satisfies Record<string, AccessRule>;

/** Who may read and change groups and their relationships (group-relationships.ts uses them too). */
export { rules as groupRules };

const mailNickname = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only');
const groupTypes = z.array(z.string()).max(0, 'Foyer has security groups only');

const createGroupBody = bodySchema(groupResource, 'create', {
  displayName: text(256),
  description: optionalText(1024),
  mailNickname,
  mailEnabled: z.boolean().optional(),
  securityEnabled: z.boolean().optional(),
  groupTypes: groupTypes.optional(),
});

/** `PATCH /groups/{id}`: Graph's updatable properties that Foyer's groups have (`mailEnabled` is not one). */
const updateGroupBody = bodySchema(groupResource, 'update', {
  displayName: text(256).optional(),
  description: optionalText(1024),
  mailNickname: mailNickname.optional(),
  securityEnabled: z.boolean().optional(),
  groupTypes: groupTypes.optional(),
});

/** `…/directoryObjects/{id}`, `…/users/{id}` or `…/groups/{id}`, on any host (Graph's own or Foyer's) → the object id. */
function objectIdFromUrl(ref: string, property: string): string {
  const m = /\/(?:directoryObjects|users|groups)\/([0-9a-f-]{36})\/?$/i.exec(ref);
  if (!m) {
    throw new FoyerError('request.invalid_body', `'${property}' must reference a directory object, like https://host/graph/v1.0/directoryObjects/{id}.`);
  }
  return m[1]!.toLowerCase();
}

/** `{"@odata.id": "…/directoryObjects/{id}"}` (or `…/users/{id}`) → the object id. */
export function objectIdFromRef(body: unknown): string {
  if (!body || typeof body !== 'object' || typeof (body as Record<string, unknown>)['@odata.id'] !== 'string') {
    throw new FoyerError('request.invalid_body', 'The body must be {"@odata.id": "https://host/graph/v1.0/directoryObjects/{id}"}.');
  }
  return objectIdFromUrl((body as Record<string, string>)['@odata.id']!, '@odata.id');
}

/** Graph adds at most 20 members (and owners) in one request: "20 link changes". */
const MAX_LINK_CHANGES = 20;

/** One `…@odata.bind` array → the ids it references. */
function bindIds(binds: unknown, property: string): string[] {
  if (binds === undefined) return [];
  if (!Array.isArray(binds) || binds.some((b) => typeof b !== 'string')) {
    throw new FoyerError(
      'request.invalid_body',
      `Property '${property}' must be an array of references, like ["https://graph.microsoft.com/v1.0/directoryObjects/{id}"].`,
    );
  }
  return (binds as string[]).map((b) => objectIdFromUrl(b, property));
}

/**
 * Splits `members@odata.bind` and `owners@odata.bind` off a group body: the rest, and the ids to add.
 * Graph counts both against its 20 link changes per request.
 */
function takeMemberBinds(body: unknown): { rest: unknown; members: string[]; owners: string[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { rest: body, members: [], owners: [] };
  const { 'members@odata.bind': binds, 'owners@odata.bind': ownerBinds, ...rest } = body as Record<string, unknown>;
  const members = bindIds(binds, 'members@odata.bind');
  const owners = bindIds(ownerBinds, 'owners@odata.bind');
  if (members.length + owners.length > MAX_LINK_CHANGES) {
    throw new FoyerError('request.invalid_body', `A resource cannot contain more than ${MAX_LINK_CHANGES} link changes.`);
  }
  return { rest, members, owners };
}

/** Why Foyer's groups lack some of Graph's properties, in the refusal of one. */
const SECURITY_GROUPS = ', whose groups are security groups';

/** Whether a raw body only binds members (then `members/$ref`'s permissions do; else the write rule's). */
function onlyBindsMembers(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const keys = Object.keys(body).filter((k) => !k.startsWith('@odata.'));
  return keys.length === 1 && keys[0] === 'members@odata.bind';
}

export function registerGroupRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get('/groups', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    const query = withFoyerLimits(groupResource, () => parseCollectionQuery(request.query as Record<string, unknown>, groupsCollection));
    applyAdvancedQueryRules(request, query, simpleSorts(groupResource));
    const page = await listGroups(ctx.db.kysely, ctx.db.dialect, who.tenantId, query);
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#groups${selectSuffix(request.query as Record<string, unknown>, query.select)}`,
    };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.groups.map((g) => toGraphGroup(g, query.select));
    if (page.next) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query as Record<string, string>)) if (k.toLowerCase() !== '$skiptoken') params.set(k, v);
      params.set('$skiptoken', encodeSkipToken(query.orderBy.property, page.next.value, page.next.id));
      body['@odata.nextLink'] = `${base}/groups?${params.toString()}`;
    }
    return body;
  });

  /** `GET /groups/$count`: the number of groups the list would show for the same `$filter`. */
  async function count(request: FastifyRequest, reply: FastifyReply) {
    const who = await caller(request);
    authorize(who, rules.read);
    requireEventualConsistency(request);
    const query = withFoyerLimits(groupResource, () => parseCollectionQuery(request.query as Record<string, unknown>, groupsCollection));
    return sendCount(reply, await countGroups(ctx.db.kysely, ctx.db.dialect, who.tenantId, query.filter, query.search));
  }
  app.get('/groups/$count', count);

  app.get('/groups/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    // `/groups/%24count` arrives here, decoded: it is the segment still, never a group id.
    if (id === '$count') return count(request, reply);
    const who = await caller(request);
    authorize(who, rules.read);
    const select = withFoyerLimits(groupResource, () => entitySelect(request.query as Record<string, unknown>, groupsCollection));
    const group = await requireGroup(ctx.db.kysely, who.tenantId, id);
    return { '@odata.context': `${base}/$metadata#groups/$entity`, ...toGraphGroup(group, select) };
  });

  app.post('/groups', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const { rest, members, owners } = takeMemberBinds(request.body);
    refuseUnsettable(rest, groupResource, 'create', SECURITY_GROUPS);
    const body = parseBody(createGroupBody, rest);
    const group = await createGroup(ctx, who.tenantId, {
      displayName: body.displayName,
      description: body.description ?? null,
      mailNickname: body.mailNickname,
      mailEnabled: body.mailEnabled ?? false,
      securityEnabled: body.securityEnabled ?? true,
      members,
      owners,
    });
    reply.code(201).header('location', `${base}/groups/${group.id}`);
    return { '@odata.context': `${base}/$metadata#groups/$entity`, ...toGraphGroup(group, groupsCollection.defaultSelect) };
  });

  app.delete('/groups/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    await deleteGroup(ctx, who.tenantId, (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  /**
   * `PATCH /groups/{id}`: properties, and members from `members@odata.bind` (up to 20), in one transaction;
   * 204. Binding members alone needs only what `members/$ref` needs.
   */
  app.patch('/groups/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, onlyBindsMembers(request.body) ? rules.members : rules.write);
    const { rest, members, owners } = takeMemberBinds(request.body);
    if (owners.length > 0) {
      throw new FoyerError(
        'request.invalid_body',
        "Property 'owners@odata.bind' on PATCH is not supported by Foyer; add owners with POST /groups/{id}/owners/$ref.",
      );
    }
    // Graph does not list mailEnabled among a group's updatable properties (see the description).
    refuseUnsettable(rest, groupResource, 'update', SECURITY_GROUPS);
    const { groupTypes: _none, description, ...patch } = parseBody(updateGroupBody, rest);
    await updateGroup(
      ctx,
      who.tenantId,
      (request.params as { id: string }).id,
      { ...patch, ...(description !== undefined ? { description: description || null } : {}) },
      members,
    );
    return reply.code(204).send();
  });

  app.post('/groups/:id/members/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.members);
    const memberId = objectIdFromRef(request.body);
    await addGroupMember(ctx, who.tenantId, (request.params as { id: string }).id, memberId);
    return reply.code(204).send();
  });

  app.delete('/groups/:id/members/:memberId/$ref', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.members);
    const { id, memberId } = request.params as { id: string; memberId: string };
    await removeGroupMember(ctx, who.tenantId, id, memberId);
    return reply.code(204).send();
  });
}
