/**
 * App assignment (Graph's `appRoleAssignment`): which users and groups may use an app. An assignment
 * gives a user or a group an app role of the app's service principal; Foyer's apps define no roles, so
 * the one role is default access, the zero GUID, as in Entra for apps without roles. When the service
 * principal requires assignment (`appRoleAssignmentRequired`), only a user assigned directly, or a
 * member of an assigned group (nested groups count, as in Entra), may sign in to the app
 * (`checkAppAssignment`; the sign-in pages refuse the rest with AADSTS50105).
 *
 * A user's assignments stay while the user is soft-deleted (and come back with a restore); they go with
 * the user's row when it is purged, and a group's with the group (foreign keys).
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { type Executor, isUniqueViolation } from '../platform/storage/database.js';
import { type Actor, type AuditEvent, activities, recordAudit } from './audit-log.js';
import { beginDirectoryWrite, directoryTransaction } from './changes.js';
import { live, resolveDirectoryObject, transitiveGroupIdsOf } from './memberships.js';
import { findServicePrincipalByAppId, requireServicePrincipal, type ServicePrincipal } from './service-principals.js';
import { findUser } from './users.js';

/** Default access: the app role of every app that defines none (Graph's zero GUID). */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

export interface AppRoleAssignment {
  id: string;
  tenantId: string;
  appRoleId: string;
  createdAt: number;
  principalId: string;
  principalType: 'User' | 'Group';
  principalDisplayName: string | null;
  /** The service principal's id. */
  resourceId: string;
  resourceDisplayName: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function notFound(id: string): FoyerError {
  return new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

/** Assignments with their principal's and app's names; soft-deleted users' assignments are kept but not shown. */
function assignments(db: Executor, tenantId: string) {
  return db
    .selectFrom('app_role_assignments as a')
    .innerJoin('service_principals as sp', 'sp.id', 'a.resource_id')
    .innerJoin('applications as app', 'app.id', 'sp.application_id')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .leftJoin('groups as g', 'g.id', 'a.group_id')
    .where('a.tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('a.user_id', 'is', null), eb('u.deleted_at', 'is', null)]))
    .select([
      'a.id as id',
      'a.tenant_id as tenant_id',
      'a.app_role_id as app_role_id',
      'a.created_at as created_at',
      'a.user_id as user_id',
      'a.group_id as group_id',
      'a.resource_id as resource_id',
      'u.display_name as user_name',
      'g.display_name as group_name',
      'app.display_name as app_name',
    ])
    .orderBy('a.created_at')
    .orderBy('a.id');
}

type Row = {
  id: string;
  tenant_id: string;
  app_role_id: string;
  created_at: number | string;
  user_id: string | null;
  group_id: string | null;
  resource_id: string;
  user_name: string | null;
  group_name: string | null;
  app_name: string;
};

function fromRow(r: Row): AppRoleAssignment {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    appRoleId: r.app_role_id,
    createdAt: Number(r.created_at),
    principalId: (r.user_id ?? r.group_id)!,
    principalType: r.user_id ? 'User' : 'Group',
    principalDisplayName: r.user_id ? r.user_name : r.group_name,
    resourceId: r.resource_id,
    resourceDisplayName: r.app_name,
  };
}

/** Who is assigned to the app (Graph's `servicePrincipals/{id}/appRoleAssignedTo`), oldest first. */
export async function listAppRoleAssignedTo(db: Executor, tenantId: string, servicePrincipalId: string): Promise<AppRoleAssignment[]> {
  const sp = await requireServicePrincipal(db, tenantId, servicePrincipalId);
  const rows = await assignments(db, tenantId).where('a.resource_id', '=', sp.id).execute();
  return rows.map(fromRow);
}

/** The apps a user or a group is assigned to directly (Graph's `users/{id}/appRoleAssignments`, `groups/{id}/appRoleAssignments`). */
export async function listAppRoleAssignmentsOf(db: Executor, tenantId: string, principalId: string, type: 'user' | 'group'): Promise<AppRoleAssignment[]> {
  const principal = await resolvePrincipalOf(db, tenantId, principalId, type);
  const rows = await assignments(db, tenantId)
    .where(principal.type === 'user' ? 'a.user_id' : 'a.group_id', '=', principal.id)
    .execute();
  return rows.map(fromRow);
}

/**
 * The user (by id or user principal name, as `/users/{id}` takes) or group (by id) of a
 * `users/{id}/appRoleAssignments` or `groups/{id}/appRoleAssignments` URL. A user's id under `/groups`
 * (or a group's under `/users`) names no object of that set.
 */
export async function resolvePrincipalOf(
  db: Executor,
  tenantId: string,
  idOrUpn: string,
  type: 'user' | 'group',
): Promise<{ id: string; type: 'user' | 'group' }> {
  if (type === 'user' && !GUID.test(idOrUpn)) {
    const user = await findUser(db, tenantId, idOrUpn);
    if (!user) throw notFound(idOrUpn);
    return { id: user.id, type: 'user' };
  }
  const principal = await resolveDirectoryObject(db, tenantId, idOrUpn);
  if (principal.type !== type) throw notFound(idOrUpn);
  return principal;
}

/** One of a user's or group's own assignments (`users/{id}/appRoleAssignments/{assignmentId}`), or 404. */
export async function requireAppRoleAssignmentOf(
  db: Executor,
  tenantId: string,
  principalId: string,
  type: 'user' | 'group',
  assignmentId: string,
): Promise<AppRoleAssignment> {
  const found = (await listAppRoleAssignmentsOf(db, tenantId, principalId, type)).find((a) => a.id === assignmentId.toLowerCase());
  if (!found) throw notFound(assignmentId);
  return found;
}

export interface NewAppRoleAssignment {
  /** The service principal (Graph's `resourceId`); must be the one in the URL. */
  resourceId: string;
  principalId: string;
  appRoleId: string;
}

/**
 * Assigns a user or a group to an app. Graph's answers for a duplicate ("Permission being assigned already
 * exists on the object") and an unknown role; Foyer's apps have only default access.
 */
export async function addAppRoleAssignment(ctx: AppContext, tenantId: string, input: NewAppRoleAssignment, actor: Actor): Promise<AppRoleAssignment> {
  if (input.appRoleId.toLowerCase() !== DEFAULT_ACCESS_ROLE_ID) {
    throw new FoyerError(
      'request.invalid_body',
      `App role '${input.appRoleId}' is not supported by Foyer: its apps define no app roles, so the only role is default access (${DEFAULT_ACCESS_ROLE_ID}).`,
    );
  }
  if (!GUID.test(input.principalId)) throw notFound(input.principalId);
  const now = ctx.clock.now();
  const id = newId();
  try {
    await directoryTransaction(ctx.db, async (trx) => {
      await beginDirectoryWrite(trx, tenantId);
      const sp = await requireServicePrincipal(trx, tenantId, input.resourceId);
      const principal = await resolveDirectoryObject(trx, tenantId, input.principalId);
      const column = principal.type === 'user' ? 'user_id' : 'group_id';
      const existing = await trx
        .selectFrom('app_role_assignments')
        .select('id')
        .where('resource_id', '=', sp.id)
        .where('app_role_id', '=', DEFAULT_ACCESS_ROLE_ID)
        .where(column, '=', principal.id)
        .executeTakeFirst();
      if (existing) throw alreadyAssigned();
      await trx
        .insertInto('app_role_assignments')
        .values({
          id,
          tenant_id: tenantId,
          resource_id: sp.id,
          user_id: principal.type === 'user' ? principal.id : null,
          group_id: principal.type === 'group' ? principal.id : null,
          app_role_id: DEFAULT_ACCESS_ROLE_ID,
          created_at: now,
        })
        .execute();
      await recordAudit(trx, await assignmentAudit(trx, tenantId, 'add', sp, principal, actor, now));
    });
  } catch (err) {
    // Two identical assignments at once: the unique index lets one in.
    if (isUniqueViolation(err)) throw alreadyAssigned();
    throw err;
  }
  const [created] = (await assignments(ctx.db.kysely, tenantId).where('a.id', '=', id).execute()).map(fromRow);
  return created!;
}

function alreadyAssigned(): FoyerError {
  return new FoyerError('directory.app_role_assignment_exists', 'Permission being assigned already exists on the object.');
}

/** Removes an assignment of the app (Graph's `DELETE servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}`). */
export async function removeAppRoleAssignment(
  ctx: AppContext,
  tenantId: string,
  servicePrincipalId: string,
  assignmentId: string,
  actor: Actor,
): Promise<void> {
  const now = ctx.clock.now();
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    const sp = await requireServicePrincipal(trx, tenantId, servicePrincipalId);
    const row = GUID.test(assignmentId)
      ? await trx
          .selectFrom('app_role_assignments')
          .select(['id', 'user_id', 'group_id'])
          .where('resource_id', '=', sp.id)
          .where('id', '=', assignmentId.toLowerCase())
          // A deleted user's assignment is hidden, kept for a restore: not listed, so not removable either.
          .where(live('app_role_assignments.user_id'))
          .executeTakeFirst()
      : undefined;
    if (!row) throw notFound(assignmentId);
    await trx.deleteFrom('app_role_assignments').where('id', '=', row.id).execute();
    const principal = row.user_id ? { id: row.user_id, type: 'user' as const } : { id: row.group_id!, type: 'group' as const };
    await recordAudit(trx, await assignmentAudit(trx, tenantId, 'remove', sp, principal, actor, now));
  });
}

async function assignmentAudit(
  db: Executor,
  tenantId: string,
  change: 'add' | 'remove',
  sp: ServicePrincipal,
  principal: { id: string; type: 'user' | 'group' },
  actor: Actor,
  at: number,
): Promise<AuditEvent> {
  const user = principal.type === 'user';
  const named = user
    ? await db.selectFrom('users').select(['display_name', 'user_principal_name']).where('id', '=', principal.id).executeTakeFirst()
    : undefined;
  const group = user ? undefined : await db.selectFrom('groups').select(['display_name']).where('id', '=', principal.id).executeTakeFirst();
  const activity = user
    ? change === 'add'
      ? activities.addAppRoleAssignmentToUser
      : activities.removeAppRoleAssignmentFromUser
    : change === 'add'
      ? activities.addAppRoleAssignmentToGroup
      : activities.removeAppRoleAssignmentFromGroup;
  return {
    tenantId,
    activity,
    category: user ? 'UserManagement' : 'GroupManagement',
    service: 'Core Directory',
    operationType: change === 'add' ? 'Assign' : 'Unassign',
    result: 'success',
    actor,
    targets: [
      {
        id: principal.id,
        type: user ? 'User' : 'Group',
        displayName: (named ?? group)?.display_name ?? null,
        ...(named ? { userPrincipalName: named.user_principal_name } : {}),
      },
      { id: sp.id, type: 'ServicePrincipal', displayName: sp.displayName },
    ],
    details: { AppId: sp.appId, AppRoleId: DEFAULT_ACCESS_ROLE_ID },
    correlationId: newId(),
    at,
  };
}

/** Whether a user may sign in to an app, and if not, what the refusal names. */
export type AppAssignmentVerdict = { allowed: true } | { allowed: false; appId: string; appDisplayName: string };

/**
 * May this user sign in to the app with this client id? Yes unless its service principal requires
 * assignment and neither the user nor any group the user is in (directly or through nested groups) is
 * assigned to it.
 */
export async function checkAppAssignment(db: Executor, tenantId: string, clientId: string, userId: string): Promise<AppAssignmentVerdict> {
  const sp = await findServicePrincipalByAppId(db, clientId);
  if (!sp || sp.tenantId !== tenantId || !sp.appRoleAssignmentRequired) return { allowed: true };
  const direct = await db.selectFrom('app_role_assignments').select('id').where('resource_id', '=', sp.id).where('user_id', '=', userId).executeTakeFirst();
  if (direct) return { allowed: true };
  const groups = await transitiveGroupIdsOf(db, tenantId, userId);
  if (groups.length > 0) {
    const viaGroup = await db
      .selectFrom('app_role_assignments')
      .select('id')
      .where('resource_id', '=', sp.id)
      .where('group_id', 'in', groups)
      .executeTakeFirst();
    if (viaGroup) return { allowed: true };
  }
  return { allowed: false, appId: sp.appId, appDisplayName: sp.displayName };
}

/** `checkAppAssignment` as a yes or no. */
export async function isUserAssignedToApp(db: Executor, tenantId: string, clientId: string, userId: string): Promise<boolean> {
  return (await checkAppAssignment(db, tenantId, clientId, userId)).allowed;
}

/** Entra's limit for groups in a JWT: past it, the claim is left out and the app asks Graph instead. */
export const GROUPS_CLAIM_LIMIT = 200;

/**
 * The `groups` claim of a user's tokens for an app, from the app's `groupMembershipClaims`: the ids of the
 * user's groups, nested ones included ("All"), only security groups ("SecurityGroup"), or only those
 * assigned to the app ("ApplicationGroup"); undefined when the app asks for none ("None", null,
 * "DirectoryRole" alone), or when the user is in more than GROUPS_CLAIM_LIMIT of them.
 */
export async function groupsClaimOf(
  db: Executor,
  tenantId: string,
  setting: string | null | undefined,
  clientId: string,
  userId: string,
): Promise<string[] | undefined> {
  const kinds = new Set((setting ?? '').split(',').map((k) => k.trim().toLowerCase()));
  const all = kinds.has('all');
  if (!all && !kinds.has('securitygroup') && !kinds.has('applicationgroup')) return undefined;
  const ids = await transitiveGroupIdsOf(db, tenantId, userId);
  if (ids.length === 0) return [];
  let chosen = ids;
  if (!all) {
    const keep = new Set<string>();
    if (kinds.has('securitygroup')) {
      const rows = await db.selectFrom('groups').select('id').where('id', 'in', ids).where('security_enabled', '=', 1).execute();
      for (const r of rows) keep.add(r.id);
    }
    if (kinds.has('applicationgroup')) {
      const sp = await findServicePrincipalByAppId(db, clientId);
      if (sp) {
        const rows = await db.selectFrom('app_role_assignments').select('group_id').where('resource_id', '=', sp.id).where('group_id', 'in', ids).execute();
        for (const r of rows) if (r.group_id) keep.add(r.group_id);
      }
    }
    chosen = ids.filter((id) => keep.has(id));
  }
  return chosen.length > GROUPS_CLAIM_LIMIT ? undefined : [...chosen].sort();
}
