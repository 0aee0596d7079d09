/**
 * "Block future invitations": a recipient's choice, per organization and address, recorded with its
 * audit event in one transaction. The invitation_blocks table belongs to this feature.
 */
import { activities, recordAudit } from '../directory/audit-log.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';

export async function isInvitationBlocked(db: Executor, tenantId: string, addressLower: string): Promise<boolean> {
  const row = await db
    .selectFrom('invitation_blocks')
    .select('created_at')
    .where('tenant_id', '=', tenantId)
    .where('address_lower', '=', addressLower)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Blocks (or allows again) invitations from `tenantId` to `addressLower`, on the recipient's own request.
 * Only a real change is audited: pressing the button twice records one event.
 */
export async function setInvitationBlock(ctx: AppContext, b: { tenantId: string; addressLower: string; blocked: boolean; clientIp: string }): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
    const changed = b.blocked
      ? (
          await trx
            .insertInto('invitation_blocks')
            .values({ tenant_id: b.tenantId, address_lower: b.addressLower, created_at: now })
            .onConflict((oc) => oc.columns(['tenant_id', 'address_lower']).doNothing())
            .executeTakeFirst()
        ).numInsertedOrUpdatedRows
      : (await trx.deleteFrom('invitation_blocks').where('tenant_id', '=', b.tenantId).where('address_lower', '=', b.addressLower).executeTakeFirst())
          .numDeletedRows;
    if (Number(changed ?? 0) === 0) return;
    await recordAudit(trx, {
      tenantId: b.tenantId,
      activity: b.blocked ? activities.emailUnsubscribed : activities.emailSubscribed,
      category: 'UserManagement',
      operationType: 'Update',
      result: 'success',
      actor: { kind: 'recipient', address: b.addressLower, ipAddress: b.clientIp },
      targets: [{ id: null, type: 'User', displayName: b.addressLower }],
      correlationId: newId(),
      at: now,
    });
  });
}
