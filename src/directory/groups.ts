/** Groups of a tenant and their members (members and guests alike). */
import { type SqlBool, sql } from 'kysely';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { collectionModel } from '../platform/odata/resource.js';
import type { SearchNode } from '../platform/odata/search.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import type { GroupsTable } from '../platform/storage/schema.js';
import { beginDirectoryWrite, directoryTransaction, markGroupChanged, recordMembershipChange, recordObjectDeleted } from './changes.js';
import { addMembers, addOwners, forgetMemberships, live } from './memberships.js';
import { liveCount } from './object-counts.js';
import { groupResource } from './resources/index.js';
import { assertSearchBounded, compileSearch, deleteSearchTokens, insertSearchTokens, replaceSearchTokens, type SearchTarget } from './search-tokens.js';
import { listUsers, type UserPage, type WithinIds } from './user-list.js';
import { type User, userFromRow } from './users.js';

export interface Group {
  id: string;
  tenantId: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  mailEnabled: boolean;
  securityEnabled: boolean;
  createdAt: number;
}

export function groupFromRow(r: GroupsTable): Group {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    displayName: r.display_name,
    description: r.description,
    mailNickname: r.mail_nickname,
    mailEnabled: r.mail_enabled === 1,
    securityEnabled: r.security_enabled === 1,
    createdAt: r.created_at,
  };
}

/** What `GET /groups` accepts, derived from the group's description (resources/group.ts). */
export const groupsCollection: CollectionModel = collectionModel(groupResource);

const groupColumns: Record<string, ColumnRef> = {
  id: { column: 'groups.id', kind: 'id' },
  displayName: { column: 'groups.display_name_lower', kind: 'lowered' },
  // Mail nicknames are ASCII (see the POST /groups schema), where SQL lower() agrees on both backends.
  mailNickname: { column: 'groups.mail_nickname', kind: 'text' },
  securityEnabled: { column: 'groups.security_enabled', kind: 'boolean' },
  mailEnabled: { column: 'groups.mail_enabled', kind: 'boolean' },
  createdDateTime: { column: 'groups.created_at', kind: 'datetime' },
};

function groupsTarget(dialect: DialectName, tenantId: string): SearchTarget {
  const filter = {
    dialect,
    column: (p: string) => groupColumns[p]!,
    any: (): never => {
      throw new Error('groups have no filterable collections');
    },
  };
  return { tenantId, objectType: 'group', table: 'groups', filter };
}

/** The tenant's groups that match the filter and the search (and are `within`: see user-list.ts). */
function matchingGroups(db: Executor, dialect: DialectName, tenantId: string, filter: FilterNode | undefined, search?: SearchNode, within?: WithinIds) {
  const target = groupsTarget(dialect, tenantId);
  let base = db.selectFrom('groups').where('groups.tenant_id', '=', tenantId);
  if (within) base = base.where(sql<SqlBool>`groups.id in (${within})`);
  if (filter) base = base.where(compileFilter(filter, target.filter));
  if (search) base = base.where(compileSearch(search, target));
  return base;
}

/** `GET /groups/$count`: how many groups `GET /groups` with this filter would list, over all its pages. */
export async function countGroups(db: Executor, dialect: DialectName, tenantId: string, filter?: FilterNode, search?: SearchNode): Promise<number> {
  if (search) await assertSearchBounded(db, search, groupsTarget(dialect, tenantId));
  return countMatching(db, dialect, tenantId, filter, search);
}

async function countMatching(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  filter?: FilterNode,
  search?: SearchNode,
  within?: WithinIds,
): Promise<number> {
  // The whole tenant: the count the database keeps (migration 0011), not a walk over every row.
  if (!filter && !search && !within) return liveCount(db, tenantId, 'group');
  const row = await matchingGroups(db, dialect, tenantId, filter, search, within)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listGroups(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  query: CollectionQuery,
  within?: WithinIds,
): Promise<{ groups: Group[]; next?: { value: string; id: string }; count?: number }> {
  if (query.search) await assertSearchBounded(db, query.search, groupsTarget(dialect, tenantId));
  const base = matchingGroups(db, dialect, tenantId, query.filter, query.search, within);
  const byName = query.orderBy.property === 'displayName';
  const desc = query.orderBy.direction === 'desc';
  const cmp = desc ? '<' : '>';
  let page = base.selectAll('groups');
  if (query.after) {
    const { value, id } = query.after;
    page = byName
      ? page.where((eb) =>
          eb.or([eb('groups.display_name_lower', cmp, String(value)), eb.and([eb('groups.display_name_lower', '=', String(value)), eb('groups.id', cmp, id)])]),
        )
      : page.where('groups.id', cmp, id);
  }
  if (byName) page = page.orderBy('groups.display_name_lower', desc ? 'desc' : 'asc');
  page = page.orderBy('groups.id', desc ? 'desc' : 'asc');
  const rows = await page.limit(query.top + 1).execute();
  const more = rows.length > query.top;
  const visible = more ? rows.slice(0, query.top) : rows;
  const out: { groups: Group[]; next?: { value: string; id: string }; count?: number } = { groups: visible.map(groupFromRow) };
  if (more) {
    const last = visible[visible.length - 1]!;
    out.next = { value: byName ? last.display_name_lower : last.id, id: last.id };
  }
  if (query.count) out.count = await countMatching(db, dialect, tenantId, query.filter, query.search, within);
  return out;
}

export async function requireGroup(db: Executor, tenantId: string, id: string): Promise<Group> {
  const row = await db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id.toLowerCase()).executeTakeFirst();
  if (!row) {
    throw new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  }
  return groupFromRow(row);
}

export interface NewGroup {
  displayName: string;
  description?: string | null;
  mailNickname: string;
  mailEnabled?: boolean;
  securityEnabled?: boolean;
  /** Users and groups to add as members in the same transaction (Graph's `members@odata.bind`): all or none. */
  members?: readonly string[];
  /** Users to make owners in the same transaction (Graph's `owners@odata.bind`). */
  owners?: readonly string[];
}

export async function createGroup(ctx: AppContext, tenantId: string, input: NewGroup): Promise<Group> {
  const id = newId();
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    const now = ctx.clock.now();
    await trx
      .insertInto('groups')
      .values({
        id,
        tenant_id: tenantId,
        display_name: input.displayName,
        display_name_lower: input.displayName.toLowerCase(),
        description: input.description ?? null,
        mail_nickname: input.mailNickname,
        mail_enabled: input.mailEnabled ? 1 : 0,
        security_enabled: input.securityEnabled === false ? 0 : 1,
        created_at: now,
      })
      .execute();
    await markGroupChanged(trx, tenantId, id);
    await insertSearchTokens(trx, tenantId, 'group', id, { displayName: input.displayName, description: input.description ?? null });
    await addMembers(trx, tenantId, id, input.members ?? [], now);
    await addOwners(trx, tenantId, id, input.owners ?? [], now);
  });
  return requireGroup(ctx.db.kysely, tenantId, id);
}

/** What `PATCH /groups/{id}` may change; absent properties stay as they are. */
export interface GroupPatch {
  displayName?: string;
  description?: string | null;
  mailNickname?: string;
  securityEnabled?: boolean;
}

/** Changes a group's properties and adds `members`, in one transaction: all of it or none. */
export async function updateGroup(ctx: AppContext, tenantId: string, id: string, patch: GroupPatch, members: readonly string[] = []): Promise<Group> {
  const group = await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    const group = await requireGroup(trx, tenantId, id);
    const set: Partial<GroupsTable> = {};
    if (patch.displayName !== undefined) {
      set.display_name = patch.displayName;
      set.display_name_lower = patch.displayName.toLowerCase();
    }
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.mailNickname !== undefined) set.mail_nickname = patch.mailNickname;
    if (patch.securityEnabled !== undefined) set.security_enabled = patch.securityEnabled ? 1 : 0;
    if (Object.keys(set).length > 0) {
      const updated = await trx.updateTable('groups').set(set).where('id', '=', group.id).executeTakeFirst();
      // Deleted since it was read (a DELETE committed meanwhile): its words must not come back as orphans.
      if (Number(updated.numUpdatedRows) === 0) await requireGroup(trx, tenantId, group.id);
      await markGroupChanged(trx, tenantId, group.id);
    }
    const words = Object.fromEntries(Object.entries({ displayName: set.display_name, description: set.description }).filter(([, v]) => v !== undefined));
    await replaceSearchTokens(trx, tenantId, 'group', group.id, words);
    await addMembers(trx, tenantId, group.id, members, ctx.clock.now());
    return group;
  });
  return requireGroup(ctx.db.kysely, tenantId, group.id);
}

export async function deleteGroup(ctx: AppContext, tenantId: string, id: string): Promise<void> {
  const group = await requireGroup(ctx.db.kysely, tenantId, id);
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    await requireGroup(trx, tenantId, group.id); // deleted meanwhile: 404, and no second deletion in the log
    // Its own members and owners go with it (foreign keys); its memberships in other groups are links to a group id.
    await recordObjectDeleted(trx, tenantId, { id: group.id, type: 'group' }, ctx.clock.now());
    await forgetMemberships(trx, group.id);
    await trx.deleteFrom('groups').where('id', '=', group.id).execute();
    await deleteSearchTokens(trx, group.id);
  });
}

export async function listGroupMembers(db: Executor, tenantId: string, groupId: string): Promise<User[]> {
  const group = await requireGroup(db, tenantId, groupId);
  const rows = await db
    .selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.member_id')
    .selectAll('users')
    .where('group_members.group_id', '=', group.id)
    .where('users.deleted_at', 'is', null)
    .orderBy('users.id')
    .execute();
  return rows.map(userFromRow);
}

export async function addGroupMember(ctx: AppContext, tenantId: string, groupId: string, memberId: string): Promise<void> {
  const group = await requireGroup(ctx.db.kysely, tenantId, groupId);
  // One transaction: the membership and its entry in the change log (delta queries) commit together.
  await directoryTransaction(ctx.db, (trx) => addMembers(trx, tenantId, group.id, [memberId], ctx.clock.now()));
}

export async function removeGroupMember(ctx: AppContext, tenantId: string, groupId: string, memberId: string): Promise<void> {
  const group = await requireGroup(ctx.db.kysely, tenantId, groupId);
  // One transaction: the removal and its entry in the change log (delta queries) commit together.
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    const removed = await trx
      .deleteFrom('group_members')
      .where('group_id', '=', group.id)
      .where('member_id', '=', memberId.toLowerCase())
      // A deleted user's membership is hidden, kept for a restore: not listed, so not removable either.
      .where(live('group_members.member_id'))
      .returning(['member_id', 'member_type'])
      .executeTakeFirst();
    if (!removed) {
      throw new FoyerError('directory.not_found', `Resource '${memberId}' is not a member of group '${group.id}'.`);
    }
    await recordMembershipChange(trx, tenantId, group.id, { id: removed.member_id, type: removed.member_type }, 'member_removed', ctx.clock.now());
  });
}

export async function listGroupsOf(db: Executor, userId: string): Promise<Group[]> {
  const rows = await db
    .selectFrom('group_members')
    .innerJoin('groups', 'groups.id', 'group_members.group_id')
    .selectAll('groups')
    .where('group_members.member_id', '=', userId)
    .orderBy('groups.id')
    .execute();
  return rows.map(groupFromRow);
}

/** Restricts a query to the given ids (`id in (…)` and the query's own filter): for a page's few ids; a relationship restricts by a subquery (`within`). */
export function scopedTo(ids: readonly string[], filter: FilterNode | undefined): FilterNode {
  const only: FilterNode = { kind: 'in', property: 'id', values: [...ids] };
  return filter ? { kind: 'and', left: only, right: filter } : only;
}

/**
 * `GET /groups/{id}/members` with OData options: the group's members as `GET /users` lists them
 * (`$filter`, `$select`, `$orderby`, `$top`, `$count`, keyset paging), restricted to the group in SQL.
 */
export async function listGroupMembersPage(db: Executor, dialect: DialectName, tenantId: string, groupId: string, query: CollectionQuery): Promise<UserPage> {
  const group = await requireGroup(db, tenantId, groupId);
  return listUsers(db, dialect, tenantId, query, sql`select member_id from group_members where group_id = ${group.id} and member_type = 'user'`);
}

/** `GET /users/{id}/memberOf/microsoft.graph.group`: the user's groups as `GET /groups` lists them. */
export async function listGroupsOfPage(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  userId: string,
  query: CollectionQuery,
): Promise<{ groups: Group[]; next?: { value: string; id: string }; count?: number }> {
  return listGroups(db, dialect, tenantId, query, sql`select group_id from group_members where member_id = ${userId} and tenant_id = ${tenantId}`);
}
