/** `/groups`: list, get, create, delete; `members` and `members/$ref` (guests can be members). */
import { z } from 'zod';
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  type Group,
  groupsCollection,
  listGroupMembers,
  listGroups,
  removeGroupMember,
  requireGroup,
} from '../directory/groups.js';
import { directoryRoles } from '../directory/roles.js';
import { usersCollection } from '../directory/user-list.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { type AccessRule, authorize } from './auth.js';
import { optionalText, parseBody, text } from './body.js';
import type { GraphDeps } from './kit.js';
import { toGraphUser } from './users.js';

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

function toGraphGroup(g: Group, select: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: g.id,
    displayName: g.displayName,
    description: g.description,
    mailNickname: g.mailNickname,
    mailEnabled: g.mailEnabled,
    securityEnabled: g.securityEnabled,
    groupTypes: [],
    createdDateTime: new Date(g.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return Object.fromEntries(select.map((k) => [k, all[k]]));
}

const createGroupBody = z.strictObject({
  displayName: text(256),
  description: optionalText(1024),
  mailNickname: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only'),
  mailEnabled: z.boolean().optional(),
  securityEnabled: z.boolean().optional(),
  groupTypes: z.array(z.string()).max(0, 'Foyer has security groups only').optional(),
});

/** `{"@odata.id": "…/directoryObjects/{id}"}` (or `…/users/{id}`) → the object id. */
export function objectIdFromRef(body: unknown): string {
  if (!body || typeof body !== 'object' || typeof (body as Record<string, unknown>)['@odata.id'] !== 'string') {
    throw new FoyerError('request.invalid_body', 'The body must be {"@odata.id": "https://host/graph/v1.0/directoryObjects/{id}"}.');
  }
  const ref = (body as Record<string, string>)['@odata.id']!;
  const m = /\/(?:directoryObjects|users)\/([0-9a-f-]{36})\/?$/i.exec(ref);
  if (!m) {
    throw new FoyerError('request.invalid_body', "'@odata.id' must reference a directory object, like https://host/graph/v1.0/directoryObjects/{id}.");
  }
  return m[1]!.toLowerCase();
}

export function registerGroupRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get('/groups', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    const query = parseCollectionQuery(request.query as Record<string, unknown>, groupsCollection);
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

  app.get('/groups/:id', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    const { id } = request.params as { id: string };
    const group = await requireGroup(ctx.db.kysely, who.tenantId, id);
    return { '@odata.context': `${base}/$metadata#groups/$entity`, ...toGraphGroup(group, groupsCollection.defaultSelect) };
  });

  app.post('/groups', async (request, reply) => {
    const who = await caller(request);
    authorize(who, rules.write);
    const body = parseBody(createGroupBody, request.body);
    const group = await createGroup(ctx, who.tenantId, {
      displayName: body.displayName,
      description: body.description ?? null,
      mailNickname: body.mailNickname,
      mailEnabled: body.mailEnabled ?? false,
      securityEnabled: body.securityEnabled ?? true,
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

  app.get('/groups/:id/members', async (request) => {
    const who = await caller(request);
    authorize(who, rules.read);
    const members = await listGroupMembers(ctx.db.kysely, who.tenantId, (request.params as { id: string }).id);
    return {
      '@odata.context': `${base}/$metadata#directoryObjects`,
      value: members.map((u) => ({ '@odata.type': '#microsoft.graph.user', ...toGraphUser(u, usersCollection.defaultSelect) })),
    };
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
