/**
 * App assignments read and written from both sides: `servicePrincipals/{id}/appRoleAssignedTo` (GET the
 * list and one assignment) and `users/{id}/appRoleAssignments`, `groups/{id}/appRoleAssignments` (GET,
 * POST, DELETE, as New-MgUserAppRoleAssignment and New-MgGroupAppRoleAssignment call them). A user is
 * named by id or user principal name, as `/users/{id}` takes it. Writing uses the same body, permissions
 * and audit records as POST/DELETE on `appRoleAssignedTo` (service-principals.ts).
 *
 * Query options on the lists: `$filter` with one `eq` on the other end (`resourceId eq {id}` on a user's
 * or group's list, `principalId eq {id}` on appRoleAssignedTo: Graph's "is this user assigned to app X"
 * check), `$top` and `$select`. Every other option is refused with 400, never ignored.
 */
import {
  type AppRoleAssignment,
  addAppRoleAssignment,
  listAppRoleAssignedTo,
  listAppRoleAssignmentsOf,
  removeAppRoleAssignment,
  requireAppRoleAssignmentOf,
  resolvePrincipalOf,
} from '../directory/app-assignments.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { actorOf, authorize } from './auth.js';
import { parseBody } from './body.js';
import type { GraphDeps } from './kit.js';
import { selectSuffix } from './query-options.js';
import { assignmentBody, servicePrincipalRules, toGraphAppRoleAssignment } from './service-principals.js';

const PROPERTIES = [
  'id',
  'deletedDateTime',
  'appRoleId',
  'createdDateTime',
  'principalDisplayName',
  'principalId',
  'principalType',
  'resourceDisplayName',
  'resourceId',
] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface AssignmentQuery {
  /** The id the filtered property must equal (lower case), if `$filter` was given. */
  equals?: string;
  top?: number;
  select?: string[];
}

/** The options of an assignment list; `filterable`: the one property `$filter` may compare. */
export function parseAssignmentQuery(params: Record<string, unknown>, filterable: 'resourceId' | 'principalId'): AssignmentQuery {
  const out: AssignmentQuery = {};
  for (const [key, raw] of Object.entries(params)) {
    if (!key.startsWith('$')) continue;
    const option = key.toLowerCase();
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (option === '$filter') {
      const m = /^(\w+)\s+eq\s+'?([^'\s]*)'?$/i.exec(value);
      if (!m || m[1]!.toLowerCase() !== filterable.toLowerCase()) {
        throw new FoyerError('request.invalid_query', `$filter '${value}' is not supported by Foyer here: only '${filterable} eq {id}' is.`);
      }
      if (!GUID.test(m[2]!)) throw new FoyerError('request.invalid_query', `'${m[2]}' in $filter is not a valid GUID.`);
      out.equals = m[2]!.toLowerCase();
    } else if (option === '$top') {
      const top = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
      if (!(top >= 1 && top <= 999)) throw new FoyerError('request.invalid_query', `Invalid $top value '${value}': an integer from 1 to 999 is expected.`);
      out.top = top;
    } else if (option === '$select') {
      const names = value.split(',').map((n) => n.trim());
      const select: string[] = [];
      for (const name of names) {
        const known = PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
        if (!known) throw new FoyerError('request.invalid_query', `Could not find a property named '${name}' on type 'microsoft.graph.appRoleAssignment'.`);
        if (!select.includes(known)) select.push(known);
      }
      out.select = select;
    } else {
      throw new FoyerError('request.invalid_query', `Query option '${key}' on app role assignments is not supported by Foyer.`);
    }
  }
  return out;
}

/** The list as Graph answers it, after `$filter`, `$top` and `$select`. */
function listBody(context: string, params: Record<string, unknown>, assignments: AppRoleAssignment[], filterable: 'resourceId' | 'principalId') {
  const query = parseAssignmentQuery(params, filterable);
  let found = query.equals === undefined ? assignments : assignments.filter((a) => a[filterable] === query.equals);
  if (query.top !== undefined) found = found.slice(0, query.top);
  const value = found.map((a) => {
    const all = toGraphAppRoleAssignment(a);
    return query.select ? Object.fromEntries(query.select.map((k) => [k, all[k]])) : all;
  });
  return { '@odata.context': `${context}${query.select ? selectSuffix(params, query.select) : ''}`, value };
}

export function registerAppRoleAssignmentRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get('/servicePrincipals/:id/appRoleAssignedTo', async (request) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.readAssignments);
    const { id } = request.params as { id: string };
    const assignments = await listAppRoleAssignedTo(ctx.db.kysely, who.tenantId, id);
    return listBody(`${base}/$metadata#servicePrincipals('${id}')/appRoleAssignedTo`, request.query as Record<string, unknown>, assignments, 'principalId');
  });

  app.get('/servicePrincipals/:id/appRoleAssignedTo/:assignmentId', async (request) => {
    const who = await caller(request);
    authorize(who, servicePrincipalRules.readAssignments);
    refuseOptions(request.query);
    const { id, assignmentId } = request.params as { id: string; assignmentId: string };
    const found = (await listAppRoleAssignedTo(ctx.db.kysely, who.tenantId, id)).find((a) => a.id === assignmentId.toLowerCase());
    if (!found) {
      throw new FoyerError(
        'directory.not_found',
        `Resource '${assignmentId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return { '@odata.context': `${base}/$metadata#servicePrincipals('${id}')/appRoleAssignedTo/$entity`, ...toGraphAppRoleAssignment(found) };
  });

  for (const set of ['users', 'groups'] as const) {
    const type = set === 'users' ? 'user' : 'group';

    app.get(`/${set}/:id/appRoleAssignments`, async (request) => {
      const who = await caller(request);
      authorize(who, servicePrincipalRules.readOfPrincipal);
      const { id } = request.params as { id: string };
      const assignments = await listAppRoleAssignmentsOf(ctx.db.kysely, who.tenantId, id, type);
      return listBody(`${base}/$metadata#${set}('${id}')/appRoleAssignments`, request.query as Record<string, unknown>, assignments, 'resourceId');
    });

    app.post(`/${set}/:id/appRoleAssignments`, async (request, reply) => {
      const who = await caller(request);
      authorize(who, servicePrincipalRules.assign);
      const body = parseBody(assignmentBody, request.body);
      const principal = await resolvePrincipalOf(ctx.db.kysely, who.tenantId, (request.params as { id: string }).id, type);
      if (body.principalId.toLowerCase() !== principal.id) {
        throw new FoyerError('request.invalid_body', `principalId must be the ${type} of the URL ('${principal.id}').`);
      }
      const created = await addAppRoleAssignment(
        ctx,
        who.tenantId,
        { resourceId: body.resourceId.toLowerCase(), principalId: principal.id, appRoleId: body.appRoleId },
        actorOf(who, request.ip),
      );
      reply.code(201).header('location', `${base}/${set}/${principal.id}/appRoleAssignments/${created.id}`);
      return { '@odata.context': `${base}/$metadata#${set}('${principal.id}')/appRoleAssignments/$entity`, ...toGraphAppRoleAssignment(created) };
    });

    app.delete(`/${set}/:id/appRoleAssignments/:assignmentId`, async (request, reply) => {
      const who = await caller(request);
      authorize(who, servicePrincipalRules.assign);
      const { id, assignmentId } = request.params as { id: string; assignmentId: string };
      const found = await requireAppRoleAssignmentOf(ctx.db.kysely, who.tenantId, id, type, assignmentId);
      await removeAppRoleAssignment(ctx, who.tenantId, found.resourceId, found.id, actorOf(who, request.ip));
      return reply.code(204).send();
    });
  }
}

/** A single assignment takes no query option. */
function refuseOptions(query: unknown): void {
  const option = Object.keys((query ?? {}) as Record<string, unknown>).find((k) => k.startsWith('$'));
  if (option) throw new FoyerError('request.invalid_query', `Query option '${option}' on an app role assignment is not supported by Foyer.`);
}
