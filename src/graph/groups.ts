/** `/groups`: list, get, create, update, delete; `members`, `members/$ref` and `members@odata.bind` (guests can be members). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  addGroupMember,
  countGroups,
  createGroup,
  deleteGroup,
  groupsCollection,
  listGroupMembersPage,
  listGroups,
  removeGroupMember,
  requireGroup,
  updateGroup,
} from '../directory/groups.js';
import { directoryRoles } from '../directory/roles.js';
import { usersCollection } from '../directory/user-list.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { applyAdvancedQueryRules } from './advanced-query.js';
import { type AccessRule, authorize } from './auth.js';
import { optionalText, parseBody, text } from './body.js';
import { toGraphGroup } from './group-view.js';
import type { GraphDeps } from './kit.js';
import { countOptions, entitySelect, nextLink, selectSuffix, unknownSegment } from './query-options.js';
import { requireEventualConsistency, sendCount, toGraphUser } from './users.js';

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
} satisfies Record<string, AccessRule>;

const mailNickname = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only');
const groupTypes = z.array(z.string()).max(0, 'Foyer has security groups only');

const createGroupBody = z.strictObject({
  displayName: text(256),
  description: optionalText(1024),
  mailNickname,
  mailEnabled: z.boolean().optional(),
  securityEnabled: z.boolean().optional(),
  groupTypes: groupTypes.optional(),
});

/** `PATCH /groups/{id}`: Graph's updatable properties that Foyer's groups have (`mailEnabled` is not one). */
const updateGroupBody = z.strictObject({
  displayName: text(256).optional(),
  description: optionalText(1024),
  mailNickname: mailNickname.optional(),
  securityEnabled: z.boolean().optional(),
  groupTypes: groupTypes.optional(),
});

/** `…/directoryObjects/{id}` or `…/users/{id}`, on any host (Graph's own or Foyer's) → the object id. */
function objectIdFromUrl(ref: string, property: string): string {
  const m = /\/(?:directoryObjects|users)\/([0-9a-f-]{36})\/?$/i.exec(ref);
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

/**
 * Splits `members@odata.bind` off a group body: the rest, and the ids of the members to add. Foyer's
 * groups have no owners, so `owners@odata.bind` is refused as not supported.
 */
function takeMemberBinds(body: unknown): { rest: unknown; members: string[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { rest: body, members: [] };
  const { 'members@odata.bind': binds, 'owners@odata.bind': owners, ...rest } = body as Record<string, unknown>;
  if (owners !== undefined) {
    throw new FoyerError('request.invalid_body', "Property 'owners@odata.bind' is not supported by Foyer: Foyer's groups have no owners.");
  }
  if (binds === undefined) return { rest, members: [] };
  if (!Array.isArray(binds) || binds.some((b) => typeof b !== 'string')) {
    throw new FoyerError(
      'request.invalid_body',
      'Property \'members@odata.bind\' must be an array of references, like ["https://graph.microsoft.com/v1.0/directoryObjects/{id}"].',
    );
  }
  if (binds.length > MAX_LINK_CHANGES) throw new FoyerError('request.invalid_body', `A resource cannot contain more than ${MAX_LINK_CHANGES} link changes.`);
  return { rest, members: (binds as string[]).map((b) => objectIdFromUrl(b, 'members@odata.bind')) };
}

/** Graph group properties Foyer's security groups do not have: refused as such, never as unknown. */
const unsupportedProperties = ['allowExternalSenders', 'assignedLabels', 'autoSubscribeNewMembers', 'preferredDataLocation', 'uniqueName', 'visibility'];

function refuseUnsupported(body: unknown, also: readonly string[] = []): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const key = Object.keys(body).find((k) => unsupportedProperties.includes(k) || also.includes(k));
  if (key) throw new FoyerError('request.invalid_body', `Property '${key}' is not supported by Foyer, whose groups are security groups.`);
}

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
    const query = parseCollectionQuery(request.query as Record<string, unknown>, groupsCollection);
    applyAdvancedQueryRules(request, query, ['displayName', 'id']);
    const page = await listGroups(ctx.db.kysely, ctx.db.dialect, who.tenantId, query);
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#groups` };
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
    const query = parseCollectionQuery(request.query as Record<string, unknown>, groupsCollection);
    return sendCount(reply, await countGroups(ctx.db.kysely, ctx.db.dialect, who.tenantId, query.filter));
  }
  app.get('/groups/$count', count);

  app.get('/groups/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    // `/groups/%24count` arrives here, decoded: it is the segment still, never a group id.
    if (id === '$count') return count(request, reply);
    const who = await caller(request);
    authorize(who, rules.read);
    const select = entitySelect(request.query as Record<string, unknown>, groupsCollection);
    const group = await requireGroup(ctx.db.kysely, who.tenantId, id);
    return { '@odata.context': `${base}/$metadata#groups/$entity`, ...toGraphGroup(group, select) };
  });

  app.post('/groups', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const { rest, members } = takeMemberBinds(request.body);
    refuseUnsupported(rest);
    const body = parseBody(createGroupBody, rest);
    const group = await createGroup(ctx, who.tenantId, {
      displayName: body.displayName,
      description: body.description ?? null,
      mailNickname: body.mailNickname,
      mailEnabled: body.mailEnabled ?? false,
      securityEnabled: body.securityEnabled ?? true,
      members,
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
    const { rest, members } = takeMemberBinds(request.body);
    // Graph does not list mailEnabled among a group's updatable properties.
    refuseUnsupported(rest, ['mailEnabled']);
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

  /**
   * `GET /groups/{id}/members` (directory objects: Foyer's members are users) and its type cast
   * `/members/microsoft.graph.user`, with the options `GET /users` takes, restricted to the group.
   */
  async function members(request: FastifyRequest, cast: boolean) {
    const who = await caller(request);
    authorize(who, rules.read);
    const params = request.query as Record<string, unknown>;
    const query = parseCollectionQuery(params, usersCollection);
    // As on `/users`; Graph sorts a relationship only in an advanced query.
    applyAdvancedQueryRules(request, query, []);
    const { id } = request.params as { id: string };
    const page = await listGroupMembersPage(ctx.db.kysely, ctx.db.dialect, who.tenantId, id, query);
    const set = cast ? 'users' : 'directoryObjects';
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#${set}${selectSuffix(params, query.select)}` };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.users.map((u) => (cast ? toGraphUser(u, query.select) : { '@odata.type': '#microsoft.graph.user', ...toGraphUser(u, query.select) }));
    if (page.next) body['@odata.nextLink'] = nextLink(`${base}/groups/${id}/members${cast ? '/microsoft.graph.user' : ''}`, params, query, page.next);
    return body;
  }

  /** `GET /groups/{id}/members/$count` (and after the cast): how many members the list would show. */
  async function countMembers(request: FastifyRequest, reply: FastifyReply) {
    const who = await caller(request);
    authorize(who, rules.read);
    requireEventualConsistency(request);
    const query = parseCollectionQuery(countOptions(request.query as Record<string, unknown>), usersCollection);
    const page = await listGroupMembersPage(ctx.db.kysely, ctx.db.dialect, who.tenantId, (request.params as { id: string }).id, {
      ...query,
      top: 1,
      count: true,
    });
    return sendCount(reply, page.count ?? 0);
  }

  app.get('/groups/:id/members', (request) => members(request, false));
  app.get('/groups/:id/members/:segment', (request, reply) => {
    const { segment } = request.params as { segment: string };
    if (segment === '$count') return countMembers(request, reply);
    if (segment === 'microsoft.graph.user') return members(request, true);
    throw unknownSegment(segment);
  });
  app.get('/groups/:id/members/:segment/:count', (request, reply) => {
    const { segment, count } = request.params as { segment: string; count: string };
    if (segment === 'microsoft.graph.user' && count === '$count') return countMembers(request, reply);
    throw unknownSegment(segment === 'microsoft.graph.user' ? count : segment);
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
