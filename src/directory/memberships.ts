/**
 * Directory relationships: who is a member of which group (users and, nested, groups), who owns a group,
 * and who manages whom. Ids in, ids out: the callers list the objects with the users' and groups' own
 * list queries, so `$select`, `$filter` and paging behave the same everywhere.
 *
 * Nesting is walked with a recursive query (the same SQL on SQLite and PostgreSQL) with no depth limit,
 * as Graph: its rows are ids alone, joined by UNION, so the walk visits each group once and ends even on a
 * cycle (which addMembers refuses anyway). Each object is listed once however many paths lead to it.
 *
 * Every change here runs in the caller's transaction and starts by taking the tenant's change counter
 * (beginDirectoryWrite, changes.ts), so the tenant's directory writers queue before holding any row.
 */
import { type ExpressionBuilder, type RawBuilder, type SqlBool, sql } from 'kysely';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { Executor } from '../platform/storage/database.js';
import type { DB } from '../platform/storage/schema.js';
import { beginDirectoryWrite, recordMembershipChange } from './changes.js';

export type DirectoryObjectType = 'user' | 'group';

export interface DirectoryObjectRef {
  id: string;
  type: DirectoryObjectType;
}

function notFound(id: string): FoyerError {
  return new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

/** 404 unless the group exists: read inside a write transaction, after beginDirectoryWrite, so a delete committed meanwhile is seen. */
async function requireGroupRow(db: Executor, tenantId: string, groupId: string): Promise<void> {
  const row = await db.selectFrom('groups').select('id').where('tenant_id', '=', tenantId).where('id', '=', groupId).executeTakeFirst();
  if (!row) throw notFound(groupId);
}

/** A user or group of the tenant, by id; 404 when neither exists. */
export async function resolveDirectoryObject(db: Executor, tenantId: string, id: string): Promise<DirectoryObjectRef> {
  const key = id.toLowerCase();
  const user = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', key)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (user) return { id: user.id, type: 'user' };
  const group = await db.selectFrom('groups').select('id').where('tenant_id', '=', tenantId).where('id', '=', key).executeTakeFirst();
  if (group) return { id: group.id, type: 'group' };
  throw notFound(id);
}

/** The groups that contain `objectId`, directly or through nested groups (not `objectId` itself). */
export async function transitiveGroupIdsOf(db: Executor, tenantId: string, objectId: string): Promise<string[]> {
  const { rows } = await relatedIdsSql(tenantId, { name: 'transitiveMemberOf', of: objectId }).execute(db);
  return rows.map((r) => r.id);
}

/** The group's direct members, users and groups. */
export async function memberRefsOf(db: Executor, groupId: string): Promise<DirectoryObjectRef[]> {
  const rows = await db.selectFrom('group_members').select(['member_id', 'member_type']).where('group_id', '=', groupId).execute();
  return rows.map((r) => ({ id: r.member_id, type: r.member_type }));
}

/** The group's members and the members of the groups nested in it, each once (not the group itself). */
export async function transitiveMemberRefsOf(db: Executor, tenantId: string, groupId: string): Promise<DirectoryObjectRef[]> {
  const { rows } = await relatedObjectsSql(tenantId, { name: 'transitiveMembers', of: groupId }).execute(db);
  return rows;
}

/** A relationship of one object, read in SQL: `of` is the group (members, transitiveMembers, owners), the member (memberOf, transitiveMemberOf) or the manager (directReports). */
export interface Relationship {
  name: 'members' | 'transitiveMembers' | 'memberOf' | 'transitiveMemberOf' | 'owners' | 'directReports';
  of: string;
}

/**
 * The related objects as rows `(id, type)`, as SQL to use as a subquery: lists restrict to it and page and
 * count in the database (`users.id in (select id from (…) r)`), however many objects it holds.
 */
export function relatedObjectsSql(tenantId: string, rel: Relationship): RawBuilder<DirectoryObjectRef> {
  switch (rel.name) {
    case 'members':
      return sql`select member_id as id, member_type as type from group_members where tenant_id = ${tenantId} and group_id = ${rel.of} and ${live('group_members.member_id')}`;
    case 'transitiveMembers':
      return sql`with recursive down(id, type) as (
          select member_id, member_type from group_members where tenant_id = ${tenantId} and group_id = ${rel.of}
          union
          select gm.member_id, gm.member_type from group_members gm join down on gm.group_id = down.id
          where down.type = 'group' and gm.tenant_id = ${tenantId}
        )
        select id, type from down where id <> ${rel.of} and ${live('down.id')}`;
    case 'memberOf':
      return sql`select group_id as id, 'group' as type from group_members where tenant_id = ${tenantId} and member_id = ${rel.of}`;
    case 'transitiveMemberOf':
      return sql`with recursive up(id) as (
          select group_id from group_members where tenant_id = ${tenantId} and member_id = ${rel.of}
          union
          select gm.group_id from group_members gm join up on gm.member_id = up.id where gm.tenant_id = ${tenantId}
        )
        select id, 'group' as type from up where id <> ${rel.of}`;
    case 'owners':
      return sql`select owner_id as id, 'user' as type from group_owners where tenant_id = ${tenantId} and group_id = ${rel.of} and ${live('group_owners.owner_id')}`;
    case 'directReports':
      return sql`select id, 'user' as type from users where tenant_id = ${tenantId} and manager_id = ${rel.of} and deleted_at is null`;
  }
}

/**
 * `column` (a member's or owner's id, qualified: `users` has an `id` of its own) is not a deleted user: a deleted user keeps its links, hidden,
 * until it is restored or purged (deleted-user-rows.ts). A group id never matches a user row.
 */
export function live(column: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`not exists (select 1 from users du where du.id = ${sql.ref(column)} and du.deleted_at is not null)`;
}

/** The ids of the related objects, as SQL for `id in (…)` (see listUsers' and listGroups' `within`). */
export function relatedIdsSql(tenantId: string, rel: Relationship): RawBuilder<{ id: string }> {
  return sql`select r.id from (${relatedObjectsSql(tenantId, rel)}) r`;
}

/** Which types of object the relationship holds. */
export async function relatedTypes(db: Executor, tenantId: string, rel: Relationship): Promise<Set<DirectoryObjectType>> {
  const { rows } = await sql<{ type: DirectoryObjectType }>`select distinct r.type from (${relatedObjectsSql(tenantId, rel)}) r`.execute(db);
  return new Set(rows.map((r) => r.type));
}

/** How many objects the relationship holds. */
export async function countRelated(db: Executor, tenantId: string, rel: Relationship): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from (${relatedObjectsSql(tenantId, rel)}) r`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** At most `limit` related objects with an id after `after`, by id: a page of a list that mixes types. */
export async function relatedPage(db: Executor, tenantId: string, rel: Relationship, after: string | undefined, limit: number): Promise<DirectoryObjectRef[]> {
  const from = after === undefined ? sql`` : sql`where r.id > ${after}`;
  const { rows } = await sql<DirectoryObjectRef>`select r.id, r.type from (${relatedObjectsSql(tenantId, rel)}) r ${from} order by r.id limit ${limit}`.execute(
    db,
  );
  return rows;
}

/**
 * For `$expand` on a page of objects: the first `limit` related objects of each (by id), in one query,
 * as a map from the page's id to its related objects. `name` reads from `of` to the related objects as
 * relatedObjectsSql does.
 */
export async function firstRelatedOf(
  db: Executor,
  tenantId: string,
  name: 'members' | 'memberOf' | 'owners' | 'directReports',
  ofIds: readonly string[],
  limit: number,
): Promise<Map<string, DirectoryObjectRef[]>> {
  const out = new Map<string, DirectoryObjectRef[]>(ofIds.map((id) => [id, []]));
  if (ofIds.length === 0) return out;
  const ids = sql.join(ofIds.map((id) => sql`${id}`));
  const source = {
    members: sql`select group_id as parent, member_id as id, member_type as type from group_members where tenant_id = ${tenantId} and group_id in (${ids}) and ${live('group_members.member_id')}`,
    memberOf: sql`select member_id as parent, group_id as id, 'group' as type from group_members where tenant_id = ${tenantId} and member_id in (${ids})`,
    owners: sql`select group_id as parent, owner_id as id, 'user' as type from group_owners where tenant_id = ${tenantId} and group_id in (${ids}) and ${live('group_owners.owner_id')}`,
    directReports: sql`select manager_id as parent, id, 'user' as type from users where tenant_id = ${tenantId} and manager_id in (${ids}) and deleted_at is null`,
  }[name];
  const { rows } = await sql<{ parent: string; id: string; type: DirectoryObjectType }>`
    select x.parent, x.id, x.type from (
      select s.parent, s.id, s.type, row_number() over (partition by s.parent order by s.id) as rn from (${source}) s
    ) x where x.rn <= ${limit} order by x.parent, x.id`.execute(db);
  for (const r of rows) out.get(r.parent)?.push({ id: r.id, type: r.type });
  return out;
}

/** The directory roles of several users at once (for `$expand=memberOf` on a page of users). */
export async function roleIdsOfUsers(db: Executor, tenantId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom('role_assignments')
    .select(['principal_id', 'role_template_id'])
    .where('tenant_id', '=', tenantId)
    .where('principal_id', 'in', [...userIds])
    .execute();
  for (const r of rows) out.set(r.principal_id, [...(out.get(r.principal_id) ?? []), r.role_template_id]);
  return out;
}

/**
 * Adds users and groups to a group; run it in a transaction, so that a refusal adds none. Every id must be
 * a user or group of the tenant (else 404, as Graph), none may be a member already (Graph's 400), and a
 * group may not end up inside itself: Graph refuses a group as its own member, and Foyer refuses every
 * cycle (a loop would make "everyone in this group" infinite for any app that walks it).
 */
export async function addMembers(db: Executor, tenantId: string, groupId: string, memberIds: readonly string[], now: number): Promise<void> {
  // The tenant's writers queue here, before this one holds any row (see changes.ts); once it has the
  // counter, a delete of the group or of a member has either committed (seen below: 404) or waits.
  await beginDirectoryWrite(db, tenantId);
  await requireGroupRow(db, tenantId, groupId);
  const members: DirectoryObjectRef[] = [];
  for (const memberId of memberIds) members.push(await resolveDirectoryObject(db, tenantId, memberId));
  // Two nestings at once (A into B, B into A) cannot both pass the check below: the second waits at the
  // counter above until the first commits, and then sees it.
  const containers = members.some((m) => m.type === 'group') ? new Set([groupId, ...(await transitiveGroupIdsOf(db, tenantId, groupId))]) : new Set<string>();
  for (const member of members) {
    if (member.type === 'group' && containers.has(member.id)) {
      throw new FoyerError(
        'directory.membership_cycle',
        member.id === groupId
          ? 'A group cannot be a member of itself.'
          : `Group '${member.id}' already contains group '${groupId}': adding it as a member would make a cycle.`,
      );
    }
    // Insert-if-absent in one statement: of two simultaneous adds, one inserts and the other is told.
    const result = await db
      .insertInto('group_members')
      .values({ group_id: groupId, member_id: member.id, member_type: member.type, tenant_id: tenantId, created_at: now })
      .onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new FoyerError(
        'directory.member_already_in_group',
        "One or more added object references already exist for the following modified properties: 'members'.",
      );
    }
    await recordMembershipChange(db, tenantId, groupId, member, 'member_added', now);
  }
}

/** Removes a deleted user's or group's memberships in every group (their own rows go with the group). */
export async function forgetMemberships(db: Executor, objectId: string): Promise<void> {
  await db.deleteFrom('group_members').where('member_id', '=', objectId).execute();
}

// --- owners -------------------------------------------------------------------------------------------

/** The group's owners that are not deleted users (a deleted owner's link stays, hidden, for a restore). */
export async function ownerIdsOf(db: Executor, groupId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('group_owners')
    .select('owner_id')
    .where('group_id', '=', groupId)
    .where(live('group_owners.owner_id'))
    .orderBy('owner_id')
    .execute();
  return rows.map((r) => r.owner_id);
}

/**
 * Adds owners to a group (in the caller's transaction: all or none). Owners are users: Graph's other
 * kind, service principals, Foyer does not have, and a group cannot own a group.
 */
export async function addOwners(db: Executor, tenantId: string, groupId: string, ownerIds: readonly string[], now: number): Promise<void> {
  await beginDirectoryWrite(db, tenantId);
  await requireGroupRow(db, tenantId, groupId);
  const owners: DirectoryObjectRef[] = [];
  for (const ownerId of ownerIds) owners.push(await resolveDirectoryObject(db, tenantId, ownerId));
  for (const owner of owners) {
    if (owner.type !== 'user') {
      throw new FoyerError(
        'request.invalid_body',
        `Object '${owner.id}' is a group: a group's owners are users (service principals are not supported by Foyer).`,
      );
    }
    const result = await db
      .insertInto('group_owners')
      .values({ group_id: groupId, owner_id: owner.id, tenant_id: tenantId, created_at: now })
      .onConflict((oc) => oc.columns(['group_id', 'owner_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new FoyerError(
        'directory.owner_already_in_group',
        "One or more added object references already exist for the following modified properties: 'owners'.",
      );
    }
  }
}

/**
 * Removes an owner. As Graph: once a group has owners, its last one cannot be removed. The delete is
 * conditional on another LIVE owner remaining: a deleted owner is no owner until restored, so it neither
 * counts as the other owner nor can be removed itself (404, as it is not listed). That condition alone does not make two simultaneous removals
 * of the last two owners safe: under READ COMMITTED each delete's subquery still sees the other's row,
 * and both succeed. What makes it safe is beginDirectoryWrite above: the tenant's writers are serialized
 * on its change counter, so the second removal runs after the first commits and sees one owner left.
 */
export async function removeOwner(db: Executor, tenantId: string, groupId: string, ownerId: string): Promise<void> {
  await beginDirectoryWrite(db, tenantId);
  const key = ownerId.toLowerCase();
  const result = await db
    .deleteFrom('group_owners')
    .where('group_id', '=', groupId)
    .where('owner_id', '=', key)
    .where(live('group_owners.owner_id'))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('group_owners as other')
          .select('other.owner_id')
          .where('other.group_id', '=', groupId)
          .where('other.owner_id', '!=', key)
          .where(live('other.owner_id')),
      ),
    )
    .executeTakeFirst();
  if (Number(result.numDeletedRows) > 0) return;
  const owners = await ownerIdsOf(db, groupId);
  if (owners.includes(key)) throw new FoyerError('directory.last_group_owner', 'The last owner of a group cannot be removed. Add another owner first.');
  throw new FoyerError('directory.not_found', `Resource '${ownerId}' is not an owner of group '${groupId}'.`);
}

// --- manager ------------------------------------------------------------------------------------------

/** A deleted manager is no manager until restored (the link stays for that). */
const liveManager = (eb: ExpressionBuilder<DB, 'users'>) =>
  eb.not(eb.exists(eb.selectFrom('users as m').select('m.id').whereRef('m.id', '=', 'users.manager_id').where('m.deleted_at', 'is not', null)));

/** The user's manager's id, or undefined. */
export async function managerIdOf(db: Executor, tenantId: string, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('manager_id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where(liveManager)
    .executeTakeFirst();
  return row?.manager_id ?? undefined;
}

/** The managers of several users at once (for `$expand=manager` on a page of users). */
export async function managerIdsOf(db: Executor, tenantId: string, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'manager_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...userIds])
    .where('manager_id', 'is not', null)
    .where(liveManager)
    .execute();
  return new Map(rows.map((r) => [r.id, r.manager_id!]));
}

/**
 * Sets a user's manager: another user of the tenant. A user cannot be their own manager (Graph refuses it
 * too); longer loops (A manages B, B manages A) Graph accepts, and so does Foyer: a manager chain is
 * data, not something Foyer walks.
 */
export async function setManager(db: Executor, tenantId: string, userId: string, managerId: string): Promise<void> {
  await beginDirectoryWrite(db, tenantId);
  const manager = await resolveDirectoryObject(db, tenantId, managerId);
  if (manager.type !== 'user') throw new FoyerError('directory.invalid_manager', `Object '${manager.id}' is a group: a manager must be a user.`);
  if (manager.id === userId) throw new FoyerError('directory.invalid_manager', 'A user cannot be their own manager.');
  const result = await db
    .updateTable('users')
    .set({ manager_id: manager.id })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound(userId);
}

/** Removes a user's manager; 404 when there is none, as Graph answers. */
export async function removeManager(db: Executor, tenantId: string, userId: string): Promise<void> {
  await beginDirectoryWrite(db, tenantId);
  const result = await db
    .updateTable('users')
    .set({ manager_id: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('manager_id', 'is not', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new FoyerError('directory.not_found', `User '${userId}' has no manager.`);
}
