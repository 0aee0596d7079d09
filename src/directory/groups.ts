/** Groups of a tenant and their members (members and guests alike). */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { type ColumnRef, compileFilter } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import type { GroupsTable } from '../platform/storage/schema.js';
import { listUsers, type UserPage } from './user-list.js';
import { requireUser, type User, userFromRow } from './users.js';

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

function groupFromRow(r: GroupsTable): Group {
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

export const groupsCollection: CollectionModel = {
  typeName: 'microsoft.graph.group',
  properties: {
    id: { type: 'string', ops: ['eq', 'ne', 'in'] },
    displayName: { type: 'string', ops: ['eq', 'ne', 'in', 'startswith'] },
    mailNickname: { type: 'string', ops: ['eq', 'ne', 'in', 'startswith'] },
    securityEnabled: { type: 'boolean', ops: ['eq', 'ne'] },
    mailEnabled: { type: 'boolean', ops: ['eq', 'ne'] },
    createdDateTime: { type: 'datetime', ops: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] },
  },
  selectable: ['id', 'displayName', 'description', 'mailNickname', 'mailEnabled', 'securityEnabled', 'createdDateTime', 'groupTypes'],
  defaultSelect: ['id', 'displayName', 'description', 'mailNickname', 'mailEnabled', 'securityEnabled', 'createdDateTime', 'groupTypes'],
  sortable: ['displayName', 'id'],
};

const groupColumns: Record<string, ColumnRef> = {
  id: { column: 'groups.id', kind: 'id' },
  displayName: { column: 'groups.display_name_lower', kind: 'lowered' },
  // Mail nicknames are ASCII (see the POST /groups schema), where SQL lower() agrees on both backends.
  mailNickname: { column: 'groups.mail_nickname', kind: 'text' },
  securityEnabled: { column: 'groups.security_enabled', kind: 'boolean' },
  mailEnabled: { column: 'groups.mail_enabled', kind: 'boolean' },
  createdDateTime: { column: 'groups.created_at', kind: 'datetime' },
};

/** The tenant's groups that match the filter. */
function matchingGroups(db: Executor, dialect: DialectName, tenantId: string, filter: FilterNode | undefined) {
  const base = db.selectFrom('groups').where('groups.tenant_id', '=', tenantId);
  if (!filter) return base;
  return base.where(
    compileFilter(filter, {
      dialect,
      column: (p) => groupColumns[p]!,
      any: () => {
        throw new Error('groups have no filterable collections');
      },
    }),
  );
}

/** `GET /groups/$count`: how many groups `GET /groups` with this filter would list, over all its pages. */
export async function countGroups(db: Executor, dialect: DialectName, tenantId: string, filter?: FilterNode): Promise<number> {
  const row = await matchingGroups(db, dialect, tenantId, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listGroups(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  query: CollectionQuery,
): Promise<{ groups: Group[]; next?: { value: string; id: string }; count?: number }> {
  const base = matchingGroups(db, dialect, tenantId, query.filter);
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
  if (query.count) out.count = await countGroups(db, dialect, tenantId, query.filter);
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
  /** Users to add as members in the same transaction (Graph's `members@odata.bind`): all or none. */
  members?: readonly string[];
}

export async function createGroup(ctx: AppContext, tenantId: string, input: NewGroup): Promise<Group> {
  const id = newId();
  await ctx.db.transaction(async (trx) => {
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
    await insertMembers(trx, tenantId, id, input.members ?? [], now);
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
  const group = await ctx.db.transaction(async (trx) => {
    const group = await requireGroup(trx, tenantId, id);
    const set: Partial<GroupsTable> = {};
    if (patch.displayName !== undefined) {
      set.display_name = patch.displayName;
      set.display_name_lower = patch.displayName.toLowerCase();
    }
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.mailNickname !== undefined) set.mail_nickname = patch.mailNickname;
    if (patch.securityEnabled !== undefined) set.security_enabled = patch.securityEnabled ? 1 : 0;
    if (Object.keys(set).length > 0) await trx.updateTable('groups').set(set).where('id', '=', group.id).execute();
    await insertMembers(trx, tenantId, group.id, members, ctx.clock.now());
    return group;
  });
  return requireGroup(ctx.db.kysely, tenantId, group.id);
}

/**
 * Adds users to a group; run it in a transaction, so that a refusal adds none. Every id must be a user of
 * the tenant (else 404, as Graph), and none may be a member already (else Graph's 400): Graph's
 * `members/$ref` and `members@odata.bind` both refuse an existing member.
 */
async function insertMembers(db: Executor, tenantId: string, groupId: string, memberIds: readonly string[], now: number): Promise<void> {
  const users: User[] = [];
  for (const memberId of memberIds) users.push(await requireUser(db, tenantId, memberId));
  for (const user of users) {
    // Insert-if-absent in one statement: of two simultaneous adds, one inserts and the other is told.
    const result = await db
      .insertInto('group_members')
      .values({ group_id: groupId, member_id: user.id, tenant_id: tenantId, created_at: now })
      .onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new FoyerError(
        'directory.member_already_in_group',
        "One or more added object references already exist for the following modified properties: 'members'.",
      );
    }
  }
}

export async function deleteGroup(ctx: AppContext, tenantId: string, id: string): Promise<void> {
  const group = await requireGroup(ctx.db.kysely, tenantId, id);
  await ctx.db.kysely.deleteFrom('groups').where('id', '=', group.id).execute();
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
  await insertMembers(ctx.db.kysely, tenantId, group.id, [memberId], ctx.clock.now());
}

export async function removeGroupMember(ctx: AppContext, tenantId: string, groupId: string, memberId: string): Promise<void> {
  const group = await requireGroup(ctx.db.kysely, tenantId, groupId);
  const result = await ctx.db.kysely
    .deleteFrom('group_members')
    .where('group_id', '=', group.id)
    .where('member_id', '=', memberId.toLowerCase())
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new FoyerError('directory.not_found', `Resource '${memberId}' is not a member of group '${group.id}'.`);
  }
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

/** Restricts a query to the given ids (`id in (…)` and the query's own filter). */
function scopedTo(ids: readonly string[], filter: FilterNode | undefined): FilterNode {
  const only: FilterNode = { kind: 'in', property: 'id', values: [...ids] };
  return filter ? { kind: 'and', left: only, right: filter } : only;
}

/**
 * `GET /groups/{id}/members` with OData options: the group's members as `GET /users` lists them
 * (`$filter`, `$select`, `$orderby`, `$top`, `$count`, keyset paging), restricted to the group.
 */
export async function listGroupMembersPage(db: Executor, dialect: DialectName, tenantId: string, groupId: string, query: CollectionQuery): Promise<UserPage> {
  const group = await requireGroup(db, tenantId, groupId);
  const rows = await db.selectFrom('group_members').select('member_id').where('group_id', '=', group.id).execute();
  if (rows.length === 0) return query.count ? { users: [], count: 0 } : { users: [] };
  return listUsers(db, dialect, tenantId, {
    ...query,
    filter: scopedTo(
      rows.map((r) => r.member_id),
      query.filter,
    ),
  });
}

/** `GET /users/{id}/memberOf/microsoft.graph.group`: the user's groups as `GET /groups` lists them. */
export async function listGroupsOfPage(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  userId: string,
  query: CollectionQuery,
): Promise<{ groups: Group[]; next?: { value: string; id: string }; count?: number }> {
  const rows = await db.selectFrom('group_members').select('group_id').where('member_id', '=', userId).where('tenant_id', '=', tenantId).execute();
  if (rows.length === 0) return query.count ? { groups: [], count: 0 } : { groups: [] };
  return listGroups(db, dialect, tenantId, {
    ...query,
    filter: scopedTo(
      rows.map((r) => r.group_id),
      query.filter,
    ),
  });
}
