/**
 * The directory's change tracking, written by every change to a user, a group or a membership, for
 * Graph's delta queries (read in delta.ts).
 *
 * Each change takes the next value of its tenant's change counter, in the transaction of the change. Not
 * a timestamp: transactions may commit in another order than their clocks read, and a reader that saw
 * the later one would skip the earlier one for good. The counter is one row per tenant updated with
 * `value = value + 1`; the row stays locked until the writer commits (PostgreSQL's row lock; SQLite has
 * one writer), so a reader that sees value n sees every change numbered n or less. Every function here
 * must therefore run inside the transaction that makes the change: on its own, the counter would commit
 * before the change and a reader could pass it by.
 */
import type { Transaction } from 'kysely';
import type { Database, Executor } from '../platform/storage/database.js';
import type { DB, DirectoryChangesTable } from '../platform/storage/schema.js';

/** The next value of the tenant's change counter (1 for its first change). */
export async function nextChangeSeq(trx: Executor, tenantId: string): Promise<number> {
  const row = await trx
    .insertInto('directory_change_counters')
    .values({ tenant_id: tenantId, value: 1 })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet((eb) => ({ value: eb('directory_change_counters.value', '+', 1) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

/**
 * The first statement of every transaction that writes a tenant's directory (users, groups, members,
 * owners, managers, role assignments, identities): takes the tenant's change counter, so the tenant's
 * writers queue here, before any of them holds a row another one needs. Taken later, the counter closes
 * lock cycles on PostgreSQL: a writer holding the counter waits for a row (a group being deleted, a
 * foreign-key check on the tenant) that a second writer holds while it waits for the counter. Every
 * writer takes it, whether or not the change ends up recorded: a skipped number is harmless to readers.
 *
 * `alsoTenants`: other tenants the transaction may change (a home account's guests elsewhere). All the
 * counters are taken in tenant-id order, so two such writers never each hold one the other waits for.
 * Returns the number taken in `tenantId`.
 */
export async function beginDirectoryWrite(trx: Executor, tenantId: string, alsoTenants: readonly string[] = []): Promise<number> {
  let own = 0;
  for (const id of [...new Set([tenantId, ...alsoTenants])].sort()) {
    const seq = await nextChangeSeq(trx, id);
    if (id === tenantId) own = seq;
  }
  return own;
}

/** PostgreSQL's "deadlock detected" and "could not serialize": the transaction was rolled back whole. */
function isTransientConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Attempts of a directory write that PostgreSQL rolled back as a deadlock victim, before the client is told 503. */
export const DIRECTORY_WRITE_ATTEMPTS = 3;

/**
 * Runs a directory write transaction; on PostgreSQL, runs it again (up to DIRECTORY_WRITE_ATTEMPTS in
 * all, after a short random pause) when it was chosen as a deadlock victim, which taking the counter first
 * (beginDirectoryWrite) makes rare but cannot rule out: a home account's guests may be found in another
 * tenant only inside the transaction. Only for callbacks whose effects are all in the database (the
 * directory events' listeners write through the transaction they are given): a retry repeats them whole.
 * The error after the last attempt reaches the client as 503 with Retry-After.
 */
export async function directoryTransaction<T>(db: Pick<Database, 'dialect' | 'transaction'>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (db.dialect !== 'postgres' || attempt >= DIRECTORY_WRITE_ATTEMPTS || !isTransientConflict(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

/** Users created or changed: they appear in the next `/users/delta` round. */
export async function markUsersChanged(trx: Executor, tenantId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const seq = await nextChangeSeq(trx, tenantId);
  await trx
    .updateTable('users')
    .set({ change_seq: seq })
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...userIds])
    .execute();
}

/** Users of any tenants changed (a home account's guests live in other tenants): each tenant's counter moves. */
export async function markAccountsChanged(trx: Executor, accounts: readonly { tenantId: string; userId: string }[]): Promise<void> {
  const byTenant = new Map<string, string[]>();
  for (const a of accounts) byTenant.set(a.tenantId, [...(byTenant.get(a.tenantId) ?? []), a.userId]);
  // Always in the same order, so that two such transactions cannot each hold the counter the other waits for.
  for (const tenantId of [...byTenant.keys()].sort()) await markUsersChanged(trx, tenantId, byTenant.get(tenantId)!);
}

/** A group created or changed (its own properties): it appears in the next `/groups/delta` round. */
export async function markGroupChanged(trx: Executor, tenantId: string, groupId: string): Promise<void> {
  const seq = await nextChangeSeq(trx, tenantId);
  await trx.updateTable('groups').set({ change_seq: seq }).where('tenant_id', '=', tenantId).where('id', '=', groupId).execute();
}

export interface MemberRef {
  id: string;
  type: 'user' | 'group';
}

/** A member added to or removed from a group: the group appears in the next round with this member in `members@delta`. */
export async function recordMembershipChange(
  trx: Executor,
  tenantId: string,
  groupId: string,
  member: MemberRef,
  change: 'member_added' | 'member_removed',
  now: number,
): Promise<void> {
  await logChange(trx, {
    tenant_id: tenantId,
    object_type: 'group',
    object_id: groupId,
    change,
    member_id: member.id,
    member_type: member.type,
    created_at: now,
  });
}

/** Appends one entry to the change log, numbered with the tenant's next change. */
async function logChange(trx: Executor, entry: Omit<DirectoryChangesTable, 'change_seq'>): Promise<void> {
  const seq = await nextChangeSeq(trx, entry.tenant_id);
  await trx
    .insertInto('directory_changes')
    .values({ ...entry, change_seq: seq })
    .execute();
}

/** The groups `memberId` is a direct member of, before the member goes. */
async function membershipsOf(trx: Executor, tenantId: string, memberId: string): Promise<string[]> {
  const rows = await trx.selectFrom('group_members').select('group_id').where('tenant_id', '=', tenantId).where('member_id', '=', memberId).execute();
  return rows.map((r) => r.group_id);
}

/**
 * A user or group about to be deleted for good (Foyer keeps no deleted items): the next round shows it
 * removed with reason `deleted`, and each group it was a member of shows it removed from `members@delta`.
 * Call it before the row and its memberships are deleted.
 */
export async function recordObjectDeleted(trx: Executor, tenantId: string, object: MemberRef, now: number): Promise<void> {
  for (const groupId of await membershipsOf(trx, tenantId, object.id)) {
    await recordMembershipChange(trx, tenantId, groupId, object, 'member_removed', now);
  }
  await logChange(trx, {
    tenant_id: tenantId,
    object_type: object.type,
    object_id: object.id,
    change: 'deleted',
    member_id: null,
    member_type: null,
    created_at: now,
  });
}

/** How long the log of deletions and membership changes is kept: a delta token older than this starts over. */
export const CHANGE_LOG_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Housekeeping: forgets log entries older than the retention, and remembers per tenant the newest change
 * forgotten, so that a token from before it is told to start over (410) instead of missing a deletion.
 */
export async function pruneChangeLog(db: Executor, now: number): Promise<void> {
  const cutoff = now - CHANGE_LOG_RETENTION_MS;
  const old = await db
    .selectFrom('directory_changes')
    .select(['tenant_id', (eb) => eb.fn.max('change_seq').as('newest')])
    .where('created_at', '<', cutoff)
    .groupBy('tenant_id')
    .execute();
  for (const row of old) {
    const newest = Number(row.newest);
    await db
      .updateTable('directory_change_counters')
      .set({ pruned_through: newest })
      .where('tenant_id', '=', row.tenant_id)
      .where('pruned_through', '<', newest)
      .execute();
    await db.deleteFrom('directory_changes').where('tenant_id', '=', row.tenant_id).where('change_seq', '<=', newest).execute();
  }
}
