/**
 * Reading the directory's changes for Graph's delta queries (`/users/delta`, `/groups/delta`); they are
 * recorded by changes.ts in the transaction of each change.
 *
 * A round reads a window of the tenant's change counter, `(from, to]`: `to` is the counter when the round
 * began, `from` the `to` of the round before (none on the first round, which lists every live object).
 * Pages walk first the live objects changed in the window, by id, then the objects deleted in it, by id.
 * An object changed again while a round is paged leaves the window and comes in the next round; Graph
 * allows an object to come more than once, never to be missed.
 *
 * A group's `members@delta` counts toward the page size, member by member: a group with more members than
 * a page holds comes again at the start of the next page with the members that follow (as Graph splits a
 * large group's members over several responses), so no page grows with the size of a group.
 */
import type { Executor } from '../platform/storage/database.js';
import { type Group, groupFromRow } from './groups.js';
import { type User, userFromRow } from './user-rows.js';

/** Where a round stands: which window, and after which object of which phase. */
export interface DeltaCursor {
  /** The previous round's `to`; null on the first round. */
  from: number | null;
  to: number;
  phase: 'objects' | 'removed';
  /** The id of the last object on the previous page of this phase; null at its start. */
  after: string | null;
  /**
   * Set when the previous page ended inside the `members@delta` of group `after`: this page starts with
   * that group again, with its members after this one.
   */
  memberAfter?: string;
}

export interface Removed {
  id: string;
  /** Graph's `@removed.reason`: `deleted` (gone for good) or `changed` (soft-deleted, restorable). */
  reason: 'deleted' | 'changed';
}

export interface MemberDelta {
  id: string;
  type: 'user' | 'group';
  /** Present when the member left the group in this window. */
  removed?: boolean;
}

/** An object as it is now, or the id of one that is gone. */
export type DeltaEntry<T> = { object: T } | { removed: Removed };

export interface DeltaPage<T> {
  entries: DeltaEntry<T>[];
  /** Where the next page starts; absent on the round's last page. */
  next?: DeltaCursor;
}

/** The tenant's change counter now, and the newest change whose log entry housekeeping forgot. */
export async function readChangeCounter(db: Executor, tenantId: string): Promise<{ value: number; prunedThrough: number }> {
  const row = await db.selectFrom('directory_change_counters').select(['value', 'pruned_through']).where('tenant_id', '=', tenantId).executeTakeFirst();
  return { value: Number(row?.value ?? 0), prunedThrough: Number(row?.pruned_through ?? 0) };
}

/** Objects of `type` deleted in the window, after the cursor, at most `limit` + 1 (to tell whether more follow). */
async function deletedIn(db: Executor, tenantId: string, type: 'user' | 'group', cursor: DeltaCursor, after: string | null, limit: number): Promise<string[]> {
  let q = db
    .selectFrom('directory_changes')
    .select('object_id')
    .where('tenant_id', '=', tenantId)
    .where('object_type', '=', type)
    .where('change', '=', 'deleted')
    .where('change_seq', '>', cursor.from ?? 0)
    .where('change_seq', '<=', cursor.to);
  if (after !== null) q = q.where('object_id', '>', after);
  const rows = await q
    .orderBy('object_id')
    .limit(limit + 1)
    .execute();
  return rows.map((r) => r.object_id);
}

/**
 * Fills a page from the live objects (`objects`, fetched `limit + 1` at most), then from the deleted ones
 * when the live ones are exhausted; the cursor of the next page, if any.
 */
async function assemble<T extends { id: string }>(
  db: Executor,
  tenantId: string,
  type: 'user' | 'group',
  cursor: DeltaCursor,
  limit: number,
  objects: (after: string | null) => Promise<DeltaEntry<T>[]>,
): Promise<DeltaPage<T>> {
  const idOf = (e: DeltaEntry<T>) => ('object' in e ? e.object.id : e.removed.id);
  const { memberAfter: _, ...base } = cursor;
  cursor = base;
  const entries: DeltaEntry<T>[] = [];
  if (cursor.phase === 'objects') {
    const live = await objects(cursor.after);
    if (live.length > limit) {
      const page = live.slice(0, limit);
      return { entries: page, next: { ...cursor, after: idOf(page.at(-1)!) } };
    }
    entries.push(...live);
    // The first round lists what exists; deletions matter only against an earlier round.
    if (cursor.from === null) return { entries };
  }
  const room = limit - entries.length;
  const after = cursor.phase === 'removed' ? cursor.after : null;
  const deleted = await deletedIn(db, tenantId, type, cursor, after, room);
  const shown = deleted.slice(0, room);
  entries.push(...shown.map((id) => ({ removed: { id, reason: 'deleted' as const } })));
  if (deleted.length > room) return { entries, next: { ...cursor, phase: 'removed', after: shown.at(-1) ?? after } };
  return { entries };
}

/** A page of `/users/delta`: users created or changed in the window (all live users on a first round), then those deleted. */
export async function readUserChanges(db: Executor, tenantId: string, cursor: DeltaCursor, limit: number): Promise<DeltaPage<User>> {
  return assemble<User>(db, tenantId, 'user', cursor, limit, async (after) => {
    let q = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('change_seq', '<=', cursor.to);
    q = cursor.from === null ? q.where('deleted_at', 'is', null) : q.where('change_seq', '>', cursor.from);
    if (after !== null) q = q.where('id', '>', after);
    const rows = await q
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    // A soft-deleted user (restorable) is removed with reason `changed`, as Graph reports one in its deleted items.
    return rows.map((r) => (r.deleted_at === null ? { object: userFromRow(r) } : { removed: { id: r.id, reason: 'changed' as const } }));
  });
}

/**
 * A page of `/groups/delta`: groups created or changed, or whose members changed, in the window (all
 * groups on a first round), then those deleted.
 */
export async function readGroupChanges(db: Executor, tenantId: string, cursor: DeltaCursor, limit: number): Promise<DeltaPage<Group>> {
  // Resuming a group's members: that group comes again first.
  const resumes = cursor.phase === 'objects' && cursor.memberAfter !== undefined;
  return assemble<Group>(db, tenantId, 'group', cursor, limit, async (after) => {
    let q = db.selectFrom('groups').selectAll().where('groups.tenant_id', '=', tenantId);
    const { from, to } = cursor;
    if (from === null) {
      q = q.where('groups.change_seq', '<=', to);
    } else {
      q = q.where((eb) =>
        eb.or([
          eb.and([eb('groups.change_seq', '>', from), eb('groups.change_seq', '<=', to)]),
          eb(
            'groups.id',
            'in',
            eb
              .selectFrom('directory_changes')
              .select('directory_changes.object_id')
              .where('directory_changes.tenant_id', '=', tenantId)
              .where('directory_changes.object_type', '=', 'group')
              .where('directory_changes.change', '<>', 'deleted')
              .where('directory_changes.change_seq', '>', from)
              .where('directory_changes.change_seq', '<=', to),
          ),
        ]),
      );
    }
    if (after !== null) q = q.where('groups.id', resumes ? '>=' : '>', after);
    const rows = await q
      .orderBy('groups.id')
      .limit(limit + 1)
      .execute();
    return rows.map((r) => ({ object: groupFromRow(r) }));
  });
}

/** A group's member, or its change in the window, for `members@delta`. */
type MemberRow = MemberDelta & { groupId: string };

/**
 * `members@delta` of these groups (ids ascending), in (group, member) order, at most `limit` + 1, after
 * member `resume.after` of group `resume.groupId` when a page resumes it: on a first round every current
 * member; later, each member added or removed in the window (the last change wins when one came and went).
 */
async function readMemberRows(
  db: Executor,
  tenantId: string,
  groupIds: readonly string[],
  cursor: DeltaCursor,
  limit: number,
  resume: { groupId: string; after: string } | null,
): Promise<MemberRow[]> {
  if (cursor.from === null) {
    let q = db
      .selectFrom('group_members')
      .select(['group_id', 'member_id', 'member_type'])
      .where('tenant_id', '=', tenantId)
      .where('group_id', 'in', [...groupIds])
      // A deleted user keeps its memberships, hidden until it is restored (deleted-user-rows.ts).
      .where((eb) =>
        eb.not(
          eb.exists(eb.selectFrom('users as du').select('du.id').whereRef('du.id', '=', 'group_members.member_id').where('du.deleted_at', 'is not', null)),
        ),
      );
    if (resume) q = q.where((eb) => eb.or([eb('group_id', '<>', resume.groupId), eb('member_id', '>', resume.after)]));
    const rows = await q
      .orderBy('group_id')
      .orderBy('member_id')
      .limit(limit + 1)
      .execute();
    return rows.map((r) => ({ groupId: r.group_id, id: r.member_id, type: r.member_type }));
  }
  const { from, to } = cursor;
  let q = db
    .selectFrom('directory_changes as d')
    .select(['d.object_id', 'd.member_id', 'd.member_type', 'd.change'])
    .where('d.tenant_id', '=', tenantId)
    .where('d.object_type', '=', 'group')
    .where('d.object_id', 'in', [...groupIds])
    .where('d.change', '<>', 'deleted')
    .where('d.change_seq', '>', from)
    .where('d.change_seq', '<=', to)
    // The member's last change in the window only.
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('directory_changes as later')
            .select('later.change_seq')
            .whereRef('later.tenant_id', '=', 'd.tenant_id')
            .where('later.object_type', '=', 'group')
            .whereRef('later.object_id', '=', 'd.object_id')
            .whereRef('later.member_id', '=', 'd.member_id')
            .where('later.change', '<>', 'deleted')
            .whereRef('later.change_seq', '>', 'd.change_seq')
            .where('later.change_seq', '<=', to),
        ),
      ),
    );
  if (resume) q = q.where((eb) => eb.or([eb('d.object_id', '<>', resume.groupId), eb('d.member_id', '>', resume.after)]));
  const rows = await q
    .orderBy('d.object_id')
    .orderBy('d.member_id')
    .limit(limit + 1)
    .execute();
  return rows.map((r) => ({
    groupId: r.object_id,
    id: r.member_id!,
    type: r.member_type ?? 'user',
    ...(r.change === 'member_removed' ? { removed: true } : {}),
  }));
}

/**
 * A page of `/groups/delta` with `members@delta`: the groups as readGroupChanges pages them, each member
 * counting one toward the page size like each group. The page ends inside a group whose members do not
 * all fit (the next page starts with that group again) or before a group none of whose members fit; the
 * page's first group always carries at least one member, so every page moves on.
 */
export async function readGroupChangesWithMembers(
  db: Executor,
  tenantId: string,
  cursor: DeltaCursor,
  limit: number,
): Promise<DeltaPage<Group> & { members: Map<string, MemberDelta[]> }> {
  const page = await readGroupChanges(db, tenantId, cursor, limit);
  const members = new Map<string, MemberDelta[]>();
  const ids = page.entries.flatMap((e) => ('object' in e ? [e.object.id] : []));
  if (ids.length === 0) return { ...page, members };
  const resume =
    cursor.phase === 'objects' && cursor.memberAfter !== undefined && cursor.after === ids[0] ? { groupId: ids[0], after: cursor.memberAfter } : null;
  const rows = await readMemberRows(db, tenantId, ids, cursor, limit, resume);
  const window = { from: cursor.from, to: cursor.to, phase: 'objects' as const };
  // The page without entry i and those after it: the next page starts with it.
  const cut = (i: number): DeltaPage<Group> & { members: Map<string, MemberDelta[]> } => {
    const previous = page.entries[i - 1]!;
    const next: DeltaCursor =
      'object' in previous ? { ...window, after: previous.object.id } : { from: cursor.from, to: cursor.to, phase: 'removed', after: previous.removed.id };
    return { entries: page.entries.slice(0, i), members, next };
  };
  let used = 0;
  let r = 0;
  for (const [i, entry] of page.entries.entries()) {
    if (i > 0 && used >= limit) return cut(i);
    used += 1;
    if (!('object' in entry)) continue;
    const id = entry.object.id;
    let mine = 0;
    while (r + mine < rows.length && rows[r + mine]!.groupId === id) mine++;
    const room = Math.max(0, limit - used);
    const take = i === 0 && mine > 0 ? Math.max(1, Math.min(mine, room)) : Math.min(mine, room);
    // Not one of its members fits: the group starts the next page instead.
    if (take === 0 && mine > 0) return cut(i);
    const taken = rows.slice(r, r + take);
    if (taken.length)
      members.set(
        id,
        taken.map(({ groupId: _g, ...m }) => m),
      );
    used += take;
    r += mine;
    if (take < mine) return { entries: page.entries.slice(0, i + 1), members, next: { ...window, after: id, memberAfter: taken.at(-1)!.id } };
  }
  return { ...page, members };
}
