/** The identities users sign in with (`user_identities`): listed for Graph, and followed from a home account to its guests. */
import type { Executor } from '../platform/storage/database.js';
import type { Account } from './events.js';
import type { ObjectIdentity } from './user-rows.js';

export async function listIdentities(db: Executor, userIds: string[]): Promise<Map<string, ObjectIdentity[]>> {
  const out = new Map<string, ObjectIdentity[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom('user_identities')
    .select(['user_id', 'sign_in_type', 'issuer', 'issuer_assigned_id'])
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .execute();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push({ signInType: r.sign_in_type, issuer: r.issuer, issuerAssignedId: r.issuer_assigned_id });
    out.set(r.user_id, list);
  }
  return out;
}

/** The guests, in any tenant of this instance, whose bound home identity is `homeIssuer`/`accountId`. */
export async function findHomedGuests(db: Executor, homeIssuer: string, accountId: string): Promise<Account[]> {
  const rows = await db
    .selectFrom('user_identities')
    .select(['tenant_id', 'user_id'])
    .where('issuer', '=', homeIssuer)
    .where('issuer_assigned_id', '=', accountId)
    .execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, userId: r.user_id }));
}
