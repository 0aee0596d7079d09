/**
 * `users/{id | userPrincipalName}/authentication/…`: a person's authentication methods as Graph shows them,
 * for administrators. `methods` lists them all (the password of a member who has one, authenticator apps,
 * passkeys), each with its `@odata.type`; `softwareOathMethods` and `fido2Methods` list, get and delete
 * one kind. Deleting is the administrator's reset (reset.ts): audited, and the person registers again at
 * their next sign-in that asks for MFA.
 *
 * Reading takes `UserAuthenticationMethod.Read.All` (or `.ReadWrite.All`); deleting takes
 * `UserAuthenticationMethod.ReadWrite.All`. A person acting through an app must also hold a role that
 * manages authentication methods (Global, Privileged Authentication or Authentication Administrator), and
 * whose methods they may read or delete is `assertMayResetAuthenticationMethods` (Entra's "Who can reset
 * passwords" table bounds both: an Authentication Administrator neither reads nor resets a Global
 * Administrator's). People read their own methods
 * (`/me/authentication/…`, or their own id) with `UserAuthenticationMethod.Read`; they remove them on the
 * security-info page only, which asks them to prove a method first: a token alone must not be enough to
 * strip an account of its second factor.
 */
import type { FastifyRequest } from 'fastify';
import { assertMayResetAuthenticationMethods } from '../directory/protection.js';
import { directoryRoles } from '../directory/roles.js';
import { listRoleIdsOf, requireUser, type User } from '../directory/users.js';
import { type AccessRule, actorOf, authorize, type GraphDeps } from '../graph/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type AuthenticationMethod, findMethod, listMethods, type MethodKind } from './methods.js';
import { graphMethodType, removeMethodAsAdmin } from './reset.js';

const ADMIN_ROLES = [
  directoryRoles.globalAdministrator.id,
  directoryRoles.privilegedAuthenticationAdministrator.id,
  directoryRoles.authenticationAdministrator.id,
];

export const methodRules = {
  read: {
    app: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
    delegated: ['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
    roles: ADMIN_ROLES,
  },
  readOwn: {
    app: [],
    delegated: ['UserAuthenticationMethod.Read', 'UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All'],
  },
  write: {
    app: ['UserAuthenticationMethod.ReadWrite.All'],
    delegated: ['UserAuthenticationMethod.ReadWrite.All'],
    roles: ADMIN_ROLES,
  },
} satisfies Record<string, AccessRule>;

/** Graph's fixed id of the password method, the same for every user. */
export const PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490';

/** Method ids are UUIDs: anything else names no method, and is not sent to the database. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Each kind's Graph shape (the response allow-list): never the secret, the public key or the counter. */
const views: Record<MethodKind, (m: AuthenticationMethod) => Record<string, unknown>> = {
  softwareOath: (m) => ({ id: m.id, secretKey: null }),
  fido2: (m) => ({
    id: m.id,
    displayName: m.displayName,
    createdDateTime: iso(m.createdAt),
    aaGuid: m.aaguid,
    model: null,
    attestationCertificates: [],
    attestationLevel: 'notAttested',
  }),
};

const typed = (m: AuthenticationMethod) => ({ '@odata.type': `#microsoft.graph.${graphMethodType[m.kind]}`, ...views[m.kind](m) });

const passwordMethod = { '@odata.type': '#microsoft.graph.passwordAuthenticationMethod', id: PASSWORD_METHOD_ID, password: null, createdDateTime: null };

/** The collections of one kind, by their Graph names. */
const kinds: ReadonlyArray<[segment: string, kind: MethodKind]> = [
  ['softwareOathMethods', 'softwareOath'],
  ['fido2Methods', 'fido2'],
];

const notFound = (id: string) =>
  new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

/**
 * For routes that take no query option (`$filter`, `$select`, `$top` …): one is refused rather than
 * ignored, which would answer something else than was asked. `resource` names them in the message.
 */
export function refuseQueryOptions(request: FastifyRequest, resource: string): void {
  const option = Object.keys((request.query ?? {}) as Record<string, unknown>).find((k) => k.startsWith('$'));
  if (option) throw new FoyerError('request.invalid_query', `Query option '${option}' on ${resource} is not supported by Foyer.`);
}

export function registerMethodRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;

  /** The caller and the person whose methods the URL names (`/me/…` or `/users/{id}/…`), once the caller may `access` them. */
  async function subject(request: FastifyRequest, access: 'read' | 'write') {
    const who = await caller(request);
    refuseQueryOptions(request, 'authentication methods');
    const { id } = request.params as { id?: string };
    if (id === undefined && who.kind !== 'user') {
      throw new FoyerError('request.invalid_body', '/me request is only valid with delegated authentication flow.');
    }
    const key = id ?? who.user!.id;
    const self = who.kind === 'user' && (who.user!.id === key.toLowerCase() || who.user!.userPrincipalName.toLowerCase() === key.toLowerCase());
    authorize(who, access === 'read' && self ? methodRules.readOwn : methodRules[access]);
    const user = await requireUser(db, who.tenantId, key);
    // Entra bounds reading another person's methods by the same table as resetting them.
    if (access === 'write' || !self) {
      const targetRoles = new Set(await listRoleIdsOf(db, who.tenantId, user.id));
      assertMayResetAuthenticationMethods({ kind: who.kind, roleIds: who.user?.roleIds ?? new Set() }, targetRoles, access === 'read' ? 'read' : 'reset');
    }
    return { who, user };
  }

  const at = (user: User, path: string) => `${base}/$metadata#users('${user.id}')/authentication/${path}`;

  for (const prefix of ['/users/:id/authentication', '/me/authentication']) {
    app.get(`${prefix}/methods`, async (request) => {
      const { user } = await subject(request, 'read');
      const methods = await listMethods(db, user.tenantId, user.id);
      return { '@odata.context': at(user, 'methods'), value: [...(user.hasPassword ? [passwordMethod] : []), ...methods.map(typed)] };
    });

    app.get(`${prefix}/methods/:methodId`, async (request) => {
      const { user } = await subject(request, 'read');
      const { methodId } = request.params as { methodId: string };
      if (methodId.toLowerCase() === PASSWORD_METHOD_ID && user.hasPassword) return { '@odata.context': at(user, 'methods/$entity'), ...passwordMethod };
      const found = UUID.test(methodId) ? await findMethod(db, user.tenantId, user.id, methodId.toLowerCase()) : undefined;
      if (!found) throw notFound(methodId);
      return { '@odata.context': at(user, 'methods/$entity'), ...typed(found) };
    });

    for (const [segment, kind] of kinds) {
      app.get(`${prefix}/${segment}`, async (request) => {
        const { user } = await subject(request, 'read');
        const methods = (await listMethods(db, user.tenantId, user.id)).filter((m) => m.kind === kind);
        return { '@odata.context': at(user, segment), value: methods.map(views[kind]) };
      });

      app.get(`${prefix}/${segment}/:methodId`, async (request) => {
        const { user } = await subject(request, 'read');
        const { methodId } = request.params as { methodId: string };
        const found = UUID.test(methodId) ? await findMethod(db, user.tenantId, user.id, methodId.toLowerCase()) : undefined;
        if (found?.kind !== kind) throw notFound(methodId);
        return { '@odata.context': at(user, `${segment}/$entity`), ...views[kind](found) };
      });
    }
  }

  for (const [segment, kind] of kinds) {
    app.delete(`/users/:id/authentication/${segment}/:methodId`, async (request, reply) => {
      const { who, user } = await subject(request, 'write');
      const { methodId } = request.params as { methodId: string };
      const removed = UUID.test(methodId) ? await removeMethodAsAdmin(ctx, user, methodId.toLowerCase(), kind, actorOf(who, request.ip)) : undefined;
      if (!removed) throw notFound(methodId);
      return reply.code(204).send();
    });
  }
}
