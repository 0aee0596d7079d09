/** A guest's sponsors (`user_sponsors`): the people of the tenant responsible for them (Entra: up to five). */
import type { Executor } from '../platform/storage/database.js';

export interface Sponsor {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
}

export async function listSponsorIds(trx: Executor, userId: string): Promise<string[]> {
  const rows = await trx.selectFrom('user_sponsors').select('sponsor_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.sponsor_id);
}

/** Adds `sponsorIds` to the user's sponsors (those already there stay once). */
export async function addSponsors(trx: Executor, tenantId: string, userId: string, sponsorIds: string[], now: number): Promise<void> {
  if (sponsorIds.length === 0) return;
  await trx
    .insertInto('user_sponsors')
    .values(sponsorIds.map((s) => ({ user_id: userId, sponsor_id: s, tenant_id: tenantId, created_at: now })))
    .onConflict((oc) => oc.columns(['user_id', 'sponsor_id']).doNothing())
    .execute();
}

/** The user's sponsors who still exist, by id. */
export async function listSponsors(db: Executor, userId: string): Promise<Sponsor[]> {
  const rows = await db
    .selectFrom('user_sponsors')
    .innerJoin('users', 'users.id', 'user_sponsors.sponsor_id')
    .select(['users.id', 'users.display_name', 'users.user_principal_name', 'users.mail'])
    .where('user_sponsors.user_id', '=', userId)
    .where('users.deleted_at', 'is', null)
    .orderBy('users.id')
    .execute();
  return rows.map((r) => ({ id: r.id, displayName: r.display_name, userPrincipalName: r.user_principal_name, mail: r.mail }));
}
