/** `/users` and `/me`: list with OData, get, create members, update, delete, revoke sign-in sessions. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listGroupsOf } from '../directory/groups.js';
import { listIdentities } from '../directory/identities.js';
import { assertMayChangeUser, type SensitiveChange } from '../directory/protection.js';
import { directoryRoles, roleByTemplateId } from '../directory/roles.js';
import { countUsers, listUsers, usersCollection } from '../directory/user-list.js';
import {
  createMember,
  deleteUser,
  listRoleIdsOf,
  type ObjectIdentity,
  requireUser,
  revokeSignInSessions,
  type User,
  type UserPatch,
  updateUser,
} from '../directory/users.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';
import { type AccessRule, actorOf, authorize, type Caller } from './auth.js';
import { optionalText, parseBody, text } from './body.js';
import type { GraphDeps } from './kit.js';

const admins = [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id];

export const userRules = {
  read: {
    app: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    membersOnly: true,
  },
  write: {
    app: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: admins,
  },
  // As Graph's revokeSignInSessions: its own least privilege, or the broader write permissions.
  revokeSessions: {
    app: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    roles: admins,
  },
} satisfies Record<string, AccessRule>;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const userFields: Record<string, (u: User, identities: ObjectIdentity[]) => unknown> = {
  id: (u) => u.id,
  businessPhones: () => [],
  displayName: (u) => u.displayName,
  givenName: (u) => u.givenName,
  jobTitle: (u) => u.jobTitle,
  mail: (u) => u.mail,
  mobilePhone: () => null,
  officeLocation: () => null,
  preferredLanguage: (u) => u.preferredLanguage,
  surname: (u) => u.surname,
  userPrincipalName: (u) => u.userPrincipalName,
  companyName: (u) => u.companyName,
  userType: (u) => u.userType,
  externalUserState: (u) => u.externalUserState,
  externalUserStateChangeDateTime: (u) => iso(u.externalUserStateChangeDateTime),
  creationType: (u) => u.creationType,
  accountEnabled: (u) => u.accountEnabled,
  createdDateTime: (u) => iso(u.createdAt),
  otherMails: (u) => u.otherMails,
  identities: (_u, identities) => identities,
  // Like Entra, a user whose sign-ins never ended has them valid from the account's creation.
  signInSessionsValidFromDateTime: (u) => iso(u.signInSessionsValidFrom ?? u.createdAt),
};

/** The Graph `user` resource with exactly the `select`ed properties (the response allow-list). */
export function toGraphUser(user: User, select: readonly string[], identities: ObjectIdentity[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of select) out[key] = userFields[key]!(user, identities);
  return out;
}

const passwordProfile = z.strictObject({
  // Length and strength are the directory's password policy, whose errors name the rule that failed.
  password: z.string(),
  // Foyer has no "change your password" step at sign-in yet: refuse rather than silently ignore.
  forceChangePasswordNextSignIn: z
    .literal(false, { error: 'Foyer cannot yet require a password change at the next sign-in; send false or leave it out' })
    .optional(),
  forceChangePasswordNextSignInWithMfa: z
    .literal(false, { error: 'Foyer cannot yet require a password change at the next sign-in; send false or leave it out' })
    .optional(),
});

const emailList = z.array(z.string().max(250)).max(250);

/** `POST /users`: a member's properties; `PATCH /users/{id}` takes any of them, and `userType`. */
const createUserBody = z.strictObject({
  accountEnabled: z.boolean().optional(),
  displayName: text(256),
  mailNickname: z.string().max(64).optional(),
  userPrincipalName: z.string().max(113),
  passwordProfile,
  givenName: optionalText(64),
  surname: optionalText(64),
  jobTitle: optionalText(128),
  companyName: optionalText(64),
  preferredLanguage: optionalText(10),
  mail: z.string().max(254).nullable().optional(),
  otherMails: emailList.optional(),
});

const updateUserBody = createUserBody.partial().extend({ userType: z.enum(['Member', 'Guest']).optional() });

/**
 * A user body as the directory takes it: the same property names, the password out of its profile,
 * and `mailNickname` (Graph requires it; Foyer has no mail system) and absent properties dropped.
 */
function userChanges<B extends z.infer<typeof updateUserBody>>(body: B): UserPatch {
  const { passwordProfile, mailNickname: _nickname, ...properties } = body;
  const patch: UserPatch = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
  if (passwordProfile !== undefined) patch.password = passwordProfile.password;
  return patch;
}

/**
 * Graph counts directory objects (`/users/$count`, `/groups/$count`) only for a caller who sends
 * `ConsistencyLevel: eventual`, and refuses the request without it; so does Foyer, so that a script that
 * works here works on Graph.
 */
export function requireEventualConsistency(request: FastifyRequest): void {
  const level = request.headers.consistencylevel;
  if (typeof level !== 'string' || level.trim().toLowerCase() !== 'eventual') {
    throw new FoyerError('request.consistency_level_required', '$count is not currently supported.');
  }
}

/** A `$count` segment's answer: the bare number as `text/plain`, as Graph sends it. */
export function sendCount(reply: FastifyReply, count: number): FastifyReply {
  return reply.type('text/plain; charset=utf-8').send(String(count));
}

export function registerUserRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get('/users', async (request) => {
    const who = await caller(request);
    authorize(who, userRules.read);
    const query = parseCollectionQuery(request.query as Record<string, unknown>, usersCollection);
    const page = await listUsers(ctx.db.kysely, ctx.db.dialect, who.tenantId, query);
    const identities = query.select.includes('identities')
      ? await listIdentities(
          ctx.db.kysely,
          page.users.map((u) => u.id),
        )
      : new Map();
    const selectSuffix = (request.query as Record<string, unknown>).$select ? `(${query.select.join(',')})` : '';
    const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#users${selectSuffix}` };
    if (page.count !== undefined) body['@odata.count'] = page.count;
    body.value = page.users.map((u) => toGraphUser(u, query.select, identities.get(u.id)));
    if (page.next) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query as Record<string, string>)) if (k.toLowerCase() !== '$skiptoken') params.set(k, v);
      params.set('$skiptoken', encodeSkipToken(query.orderBy.property, page.next.value, page.next.id));
      body['@odata.nextLink'] = `${base}/users?${params.toString()}`;
    }
    return body;
  });

  /** `GET /users/$count`: the number of users the list would show for the same `$filter`. */
  async function count(request: FastifyRequest, reply: FastifyReply) {
    const who = await caller(request);
    authorize(who, userRules.read);
    requireEventualConsistency(request);
    const query = parseCollectionQuery(request.query as Record<string, unknown>, usersCollection);
    return sendCount(reply, await countUsers(ctx.db.kysely, ctx.db.dialect, who.tenantId, query.filter));
  }
  app.get('/users/$count', count);

  async function single(request: FastifyRequest, key: string, self: boolean) {
    const who = await caller(request);
    if (!self || who.kind === 'app') authorize(who, userRules.read);
    const query = parseCollectionQuery(
      Object.fromEntries(Object.entries(request.query as Record<string, unknown>).filter(([k]) => k.toLowerCase() === '$select')),
      usersCollection,
    );
    const user = await requireUser(ctx.db.kysely, who.tenantId, key);
    const identities = query.select.includes('identities') ? await listIdentities(ctx.db.kysely, [user.id]) : new Map();
    return { '@odata.context': `${base}/$metadata#users/$entity`, ...toGraphUser(user, query.select, identities.get(user.id)) };
  }

  app.get('/me', async (request) => {
    const who = await caller(request);
    if (who.kind !== 'user') {
      throw new FoyerError('request.invalid_body', '/me request is only valid with delegated authentication flow.');
    }
    return single(request, who.user!.id, true);
  });

  app.get('/users/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    // `/users/%24count` arrives here, decoded: it is the segment still, never a user id.
    if (id === '$count') return count(request, reply);
    const who = await caller(request);
    const self = who.kind === 'user' && (who.user!.id === id.toLowerCase() || who.user!.userPrincipalName.toLowerCase() === id.toLowerCase());
    return single(request, id, self);
  });

  app.post('/users', async (request, reply) => {
    const who = await caller(request);
    authorize(who, userRules.write);
    const body = parseBody(createUserBody, request.body);
    const user = await createMember(ctx, who.tenantId, {
      ...userChanges(body),
      userPrincipalName: body.userPrincipalName,
      displayName: body.displayName,
      password: body.passwordProfile.password,
    });
    reply.code(201).header('location', `${base}/users/${user.id}`);
    return { '@odata.context': `${base}/$metadata#users/$entity`, ...toGraphUser(user, usersCollection.defaultSelect) };
  });

  /** Refuses a sensitive change to a protected user (see directory/protection.ts). */
  async function guard(who: Caller, target: User, changes: Set<SensitiveChange>) {
    const targetRoles = new Set(await listRoleIdsOf(ctx.db.kysely, who.tenantId, target.id));
    assertMayChangeUser({ kind: who.kind, permissions: who.permissions, roleIds: who.user?.roleIds ?? new Set() }, targetRoles, changes);
  }

  app.patch('/users/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, userRules.write);
    const { id } = request.params as { id: string };
    const body = parseBody(updateUserBody, request.body);
    const target = await requireUser(ctx.db.kysely, who.tenantId, id);
    const changes = new Set<SensitiveChange>();
    if (body.passwordProfile !== undefined) changes.add('password');
    if (body.userPrincipalName !== undefined && body.userPrincipalName.toLowerCase() !== target.userPrincipalName.toLowerCase())
      changes.add('userPrincipalName');
    if (body.accountEnabled !== undefined && body.accountEnabled !== target.accountEnabled) changes.add('accountEnabled');
    if (body.userType !== undefined && body.userType !== target.userType) changes.add('userType');
    if (body.mail !== undefined || body.otherMails !== undefined) changes.add('mail');
    await guard(who, target, changes);
    await updateUser(ctx, who.tenantId, target.id, userChanges(body));
    return reply.code(204).send();
  });

  app.delete('/users/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, userRules.write);
    const { id } = request.params as { id: string };
    const target = await requireUser(ctx.db.kysely, who.tenantId, id);
    await guard(who, target, new Set(['delete']));
    await deleteUser(ctx, who.tenantId, target.id, actorOf(who, request.ip));
    return reply.code(204).send();
  });

  /**
   * Ends the user's sign-ins: browser sessions and refresh tokens go, and Foyer's APIs refuse the access
   * tokens issued before now. Graph answers `true` in an Edm.Boolean envelope.
   */
  app.post('/users/:id/revokeSignInSessions', async (request) => {
    const who = await caller(request);
    authorize(who, userRules.revokeSessions);
    const { id } = request.params as { id: string };
    const target = await requireUser(ctx.db.kysely, who.tenantId, id);
    await guard(who, target, new Set(['signInSessions']));
    await revokeSignInSessions(ctx, who.tenantId, target.id);
    return { '@odata.context': `${base}/$metadata#Edm.Boolean`, value: true };
  });

  /** Groups and directory roles the user belongs to. */
  app.get('/users/:id/memberOf', async (request) => {
    const who = await caller(request);
    const { id } = request.params as { id: string };
    // Decide before looking the user up, so the answer never tells whether someone exists.
    const self = who.kind === 'user' && (who.user!.id === id.toLowerCase() || who.user!.userPrincipalName.toLowerCase() === id.toLowerCase());
    if (!self) authorize(who, userRules.read);
    const user = await requireUser(ctx.db.kysely, who.tenantId, id);
    const [groups, roleIds] = await Promise.all([listGroupsOf(ctx.db.kysely, user.id), listRoleIdsOf(ctx.db.kysely, who.tenantId, user.id)]);
    return {
      '@odata.context': `${base}/$metadata#directoryObjects`,
      value: [
        ...groups.map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g.id, displayName: g.displayName })),
        ...roleIds
          .map(roleByTemplateId)
          .filter((r) => r !== undefined)
          .map((r) => ({ '@odata.type': '#microsoft.graph.directoryRole', id: r.id, displayName: r.displayName, roleTemplateId: r.id })),
      ],
    };
  });
}
