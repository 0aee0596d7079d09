/** `/users` and `/me`: list with OData, get, create members, update, delete, revoke sign-in sessions. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listIdentities } from '../directory/identities.js';
import { assertMayChangeUser, type SensitiveChange } from '../directory/protection.js';
import { type directoryObjectResource, userResource } from '../directory/resources/index.js';
import { directoryRoles } from '../directory/roles.js';
import { countUsers, listUsers, usersCollection, usersWithSignInActivity } from '../directory/user-list.js';
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
import { type SelectableProperty, simpleSorts } from '../platform/odata/resource.js';
import { applyAdvancedQueryRules } from './advanced-query.js';
import { type AccessRule, actorOf, authorize, type Caller } from './auth.js';
import { optionalText, parseBody, text } from './body.js';
import type { GraphDeps } from './kit.js';
import { bodySchema, refuseUnsettable, withFoyerLimits } from './resources.js';
import { requireSignInLogAccess } from './sign-in-logs.js';

/** Sorting by signInActivity needs no advanced query (as in Graph). */
const signInActivitySorts = ['signInActivity/lastSignInDateTime', 'signInActivity/lastSuccessfulSignInDateTime'];

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
  // As Graph's user delete, restore and permanent delete: their own least privilege, or the broader write permissions.
  deleteRestore: {
    app: ['User.DeleteRestore.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
    delegated: ['User.DeleteRestore.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
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

/** How each selectable property of the user's description (resources/user.ts) is read: one entry each, no more. */
const userFields = {
  id: (u) => u.id,
  deletedDateTime: () => null,
  businessPhones: (u) => u.businessPhones,
  displayName: (u) => u.displayName,
  givenName: (u) => u.givenName,
  jobTitle: (u) => u.jobTitle,
  mail: (u) => u.mail,
  mobilePhone: (u) => u.mobilePhone,
  officeLocation: (u) => u.officeLocation,
  preferredLanguage: (u) => u.preferredLanguage,
  surname: (u) => u.surname,
  userPrincipalName: (u) => u.userPrincipalName,
  companyName: (u) => u.companyName,
  mailNickname: (u) => u.mailNickname,
  department: (u) => u.department,
  employeeId: (u) => u.employeeId,
  employeeType: (u) => u.employeeType,
  usageLocation: (u) => u.usageLocation,
  city: (u) => u.city,
  country: (u) => u.country,
  state: (u) => u.state,
  streetAddress: (u) => u.streetAddress,
  postalCode: (u) => u.postalCode,
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
  // Only with $select (never in the default set), to callers that may read the sign-in log (see users.ts' list route).
  signInActivity: (u) => ({ lastSignInDateTime: iso(u.lastSignInDateTime), lastSuccessfulSignInDateTime: iso(u.lastSuccessfulSignInDateTime) }),
} satisfies Record<SelectableProperty<typeof userResource> | SelectableProperty<typeof directoryObjectResource>, UserField>;
type UserField = (u: User, identities: ObjectIdentity[]) => unknown;

/** The Graph `user` resource with exactly the `select`ed properties (the response allow-list). */
export function toGraphUser(user: User, select: readonly string[], identities: ObjectIdentity[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of select) out[key] = (userFields as Record<string, UserField>)[key]!(user, identities);
  return out;
}

const passwordProfile = z.strictObject({
  // Length and strength are the directory's password policy, whose errors name the rule that failed.
  password: z.string(),
  // The member chooses a new password on the sign-in page before the sign-in goes on. Graph's default: false.
  forceChangePasswordNextSignIn: z.boolean().optional(),
  // `true` asks for multi-factor authentication before the change: refused by refuseMfaBeforeChange.
  forceChangePasswordNextSignInWithMfa: z.boolean().optional(),
});

/** Foyer has no multi-factor authentication: dropping the MFA part silently would weaken what the administrator asked for. */
function refuseMfaBeforeChange(profile: z.infer<typeof passwordProfile> | undefined): void {
  if (profile?.forceChangePasswordNextSignInWithMfa !== true) return;
  throw new FoyerError(
    'request.invalid_query',
    "Property 'passwordProfile.forceChangePasswordNextSignInWithMfa' set to true is not supported by Foyer (its second factor is asked for by Conditional Access policies, after the new password); use forceChangePasswordNextSignIn.",
  );
}

const emailList = z.array(z.string().max(250)).max(250);

/** Graph keeps one business phone; a quote or backslash could never be part of a phone number. */
const businessPhones = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[^"\\]*$/, 'a phone number has no quote or backslash'),
  )
  .max(1, { error: 'Graph keeps only one business phone number' });

/** `POST /users`: a member's properties; `PATCH /users/{id}` takes any of them, and `userType`. Lengths are Graph's. */
const createUserBody = bodySchema(userResource, 'create', {
  accountEnabled: z.boolean().optional(),
  displayName: text(256),
  // An alias: the characters Entra allows in one (no spaces, @, quotes, brackets…).
  mailNickname: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/, "a mail alias has letters, digits and !#$%&'*+-/=?^_`{|}~. only")
    .optional(),
  userPrincipalName: z.string().max(113),
  passwordProfile,
  givenName: optionalText(64),
  surname: optionalText(64),
  jobTitle: optionalText(128),
  companyName: optionalText(64),
  preferredLanguage: optionalText(10),
  mail: z.string().max(254).nullable().optional(),
  otherMails: emailList.optional(),
  businessPhones: businessPhones.optional(),
  mobilePhone: optionalText(64),
  officeLocation: optionalText(128),
  department: optionalText(64),
  employeeId: optionalText(16),
  employeeType: optionalText(64),
  usageLocation: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'a two-letter country code (ISO 3166) is expected')
    .transform((c) => c.toUpperCase())
    .nullable()
    .optional(),
  city: optionalText(128),
  country: optionalText(128),
  state: optionalText(128),
  streetAddress: optionalText(1024),
  postalCode: optionalText(40),
});

/** `parseCollectionQuery` for users, naming a Graph property Foyer does not keep as such in `$select` and `$filter`. */
function parseUsersQuery(params: Record<string, unknown>) {
  return withFoyerLimits(userResource, () => parseCollectionQuery(params, usersWithSignInActivity));
}

const updateUserBody = bodySchema(userResource, 'update', { ...createUserBody.partial().shape, userType: z.enum(['Member', 'Guest']).optional() });

/** A user body as the directory takes it: the same property names, the password out of its profile, absent properties dropped. */
function userChanges<B extends z.infer<typeof updateUserBody>>(body: B): UserPatch {
  const { passwordProfile, ...properties } = body;
  const patch: UserPatch = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
  if (passwordProfile !== undefined) {
    patch.password = passwordProfile.password;
    patch.forceChangePassword = passwordProfile.forceChangePasswordNextSignIn === true;
  }
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
    const query = parseUsersQuery(request.query as Record<string, unknown>);
    requireSignInLogAccess(who, query);
    applyAdvancedQueryRules(request, query, [...simpleSorts(userResource), ...signInActivitySorts]);
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
    const query = parseUsersQuery(request.query as Record<string, unknown>);
    requireSignInLogAccess(who, query);
    return sendCount(reply, await countUsers(ctx.db.kysely, ctx.db.dialect, who.tenantId, query.filter, query.search));
  }
  app.get('/users/$count', count);

  async function single(request: FastifyRequest, key: string, self: boolean) {
    const who = await caller(request);
    if (!self || who.kind === 'app') authorize(who, userRules.read);
    const query = parseUsersQuery(Object.fromEntries(Object.entries(request.query as Record<string, unknown>).filter(([k]) => k.toLowerCase() === '$select')));
    requireSignInLogAccess(who, query);
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
    refuseUnsettable(request.body, userResource, 'create');
    const body = parseBody(createUserBody, request.body);
    refuseMfaBeforeChange(body.passwordProfile);
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
    refuseUnsettable(request.body, userResource, 'update');
    const body = parseBody(updateUserBody, request.body);
    refuseMfaBeforeChange(body.passwordProfile);
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
    authorize(who, userRules.deleteRestore);
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
}
