/**
 * Who may read a user's relationships (`memberOf`, `transitiveMemberOf`, `manager`, `directReports`),
 * at their own routes and through `$expand`, as Graph decides it:
 *
 * - another person's relationships need the users read rule (`User.Read.All` and up);
 * - one's own groups (`/me/memberOf`, `/me/transitiveMemberOf`) need at least `User.Read`;
 * - one's manager and direct reports are other people: they need `User.ReadBasic.All`, which shows only
 *   their basic properties (BASIC_USER_PROPERTIES), or the read rule for the whole profile.
 *
 * A token is never exempt for being the user's own: only the user's own object (`GET /me`) is.
 */
import type { FastifyRequest } from 'fastify';
import { requireUser } from '../directory/users.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionQuery } from '../platform/odata/query.js';
import { type AccessRule, authorize, type Caller } from './auth.js';
import type { GraphDeps } from './kit.js';
import { userRules } from './users.js';

export type UserRelationship = 'memberOf' | 'manager' | 'directReports';

/** The properties `User.ReadBasic.All` shows of other people (Graph's basic profile). */
export const BASIC_USER_PROPERTIES: readonly string[] = ['id', 'displayName', 'givenName', 'surname', 'mail', 'userPrincipalName'];

const ownGroups: AccessRule = { app: userRules.read.app, delegated: ['User.Read', ...userRules.read.delegated] };
const basicPeople: AccessRule = { app: [], delegated: ['User.ReadBasic.All'], membersOnly: true };

function holds(who: Caller, rule: AccessRule): boolean {
  try {
    authorize(who, rule);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `who` may read `relationship` of a user (`self`: the caller's own), and says which user
 * properties of the related people it may see: all (undefined), or the basic ones. Throws Graph's 403.
 */
export function relationshipAccess(who: Caller, self: boolean, relationship: UserRelationship): { visible?: readonly string[] } {
  if (holds(who, userRules.read)) return {};
  if (relationship === 'memberOf') {
    authorize(who, self && who.kind === 'user' ? ownGroups : userRules.read);
    return {};
  }
  if (who.kind === 'user' && holds(who, basicPeople)) return { visible: BASIC_USER_PROPERTIES };
  authorize(who, who.kind === 'user' ? { ...userRules.read, delegated: [...userRules.read.delegated, ...basicPeople.delegated] } : userRules.read);
  return {};
}

/**
 * The user a relationship is read from (`/users/{id}/…`, or the caller at `/me/…`), after the access
 * check, which is decided before the look-up so that the answer never tells whether someone exists.
 */
export async function relationshipOwner(
  deps: GraphDeps,
  request: FastifyRequest,
  relationship: UserRelationship,
): Promise<{ who: Caller; userId: string; visible?: readonly string[] }> {
  const who = await deps.caller(request);
  const id = (request.params as { id?: string }).id;
  if (id === undefined) {
    if (who.kind !== 'user') throw new FoyerError('request.invalid_body', '/me request is only valid with delegated authentication flow.');
    return { who, userId: who.user!.id, ...relationshipAccess(who, true, relationship) };
  }
  const key = id.toLowerCase();
  const self = who.kind === 'user' && (who.user!.id === key || who.user!.userPrincipalName.toLowerCase() === key);
  const access = relationshipAccess(who, self, relationship);
  return { who, userId: (await requireUser(deps.ctx.db.kysely, who.tenantId, id)).id, ...access };
}

function filterProperties(node: FilterNode, out: Set<string>): Set<string> {
  if ('left' in node) {
    filterProperties(node.left, out);
    filterProperties(node.right, out);
  } else if ('operand' in node) filterProperties(node.operand, out);
  else if ('collection' in node) out.add(node.collection);
  else out.add(node.property);
  return out;
}

function refuseHidden(visible: readonly string[], hidden: readonly string[]): void {
  if (hidden.length === 0) return;
  throw new FoyerError(
    'auth.insufficient_privileges',
    'Insufficient privileges to complete the operation.',
    `User.ReadBasic.All shows only ${visible.join(', ')}; asked for ${hidden.join(', ')}`,
  );
}

/** With only the basic profile visible: `select` limited to it, and a 403 when `$select` named another property. */
export function visibleSelect(select: readonly string[], explicit: boolean, visible: readonly string[] | undefined): string[] {
  if (!visible) return [...select];
  if (explicit)
    refuseHidden(
      visible,
      select.filter((p) => !visible.includes(p)),
    );
  return select.filter((p) => visible.includes(p));
}

/**
 * With only the basic profile visible: the query's `$select` (or the default set) limited to it, and a
 * 403 for a `$select`, `$filter`, `$orderby` or `$search` that reads another property (it would reveal it).
 */
export function limitToVisible(query: CollectionQuery, explicitSelect: boolean, visible: readonly string[] | undefined): CollectionQuery {
  if (!visible) return query;
  const named = new Set<string>([query.orderBy.property]);
  if (query.filter) filterProperties(query.filter, named);
  if (query.search) named.add('$search');
  refuseHidden(
    visible,
    [...named].filter((p) => !visible.includes(p)),
  );
  return { ...query, select: visibleSelect(query.select, explicitSelect, visible) };
}
