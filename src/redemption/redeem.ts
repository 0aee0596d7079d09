/**
 * Completing a redemption (SPEC §6 step 5), in one transaction: the ticket is spent by a
 * compare-and-set (of two simultaneous redemptions exactly one wins), the guest moves from
 * PendingAcceptance to Accepted, its `identities` record the home identity, and the audit event
 * "Redeem external user invite" is written. Either all of it happens or none of it.
 */

import { activities, recordAudit } from '../directory/audit-log.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import { isUniqueViolation } from '../platform/storage/database.js';
import type { ProvenIdentity } from '../web/guest/flows.js';

export type RedeemFailure = 'spent' | 'identity_taken';

class Lost extends Error {
  constructor(readonly reason: RedeemFailure) {
    super(reason);
  }
}

export interface Redemption {
  tenantId: string;
  guestId: string;
  /** The ticket presented (its hash), when the person came through the invitation link. */
  ticket?: { invitationId: string; hash: string };
  proven: ProvenIdentity;
  clientIp: string;
}

export async function completeRedemption(ctx: AppContext, r: Redemption): Promise<{ ok: true } | { ok: false; reason: RedeemFailure }> {
  const now = ctx.clock.now();
  try {
    await ctx.db.transaction(async (trx) => {
      if (r.ticket) {
        const spent = await trx
          .updateTable('invitations')
          .set({ ticket_state: 'redeemed', status: 'Completed', redeemed_at: now })
          .where('id', '=', r.ticket.invitationId)
          .where('ticket_hash', '=', r.ticket.hash)
          .where('tenant_id', '=', r.tenantId)
          .where('ticket_state', '=', 'active')
          .where((eb) => eb.or([eb('ticket_expires_at', 'is', null), eb('ticket_expires_at', '>', now)]))
          .executeTakeFirst();
        if (Number(spent.numUpdatedRows) !== 1) throw new Lost('spent');
      } else {
        // Redeemed by signing in to an app: the link still out there becomes a return link.
        await trx
          .updateTable('invitations')
          .set({ ticket_state: 'redeemed', status: 'Completed', redeemed_at: now })
          .where('user_id', '=', r.guestId)
          .where('ticket_state', '=', 'active')
          .execute();
      }
      const accepted = await trx
        .updateTable('users')
        .set({ external_user_state: 'Accepted', external_user_state_change_at: now })
        .where('id', '=', r.guestId)
        .where('tenant_id', '=', r.tenantId)
        .where('external_user_state', '=', 'PendingAcceptance')
        .where('account_enabled', '=', 1)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(accepted.numUpdatedRows) !== 1) throw new Lost('spent');
      await trx
        .insertInto('user_identities')
        .values({
          user_id: r.guestId,
          tenant_id: r.tenantId,
          sign_in_type: 'federated',
          issuer: r.proven.issuer,
          issuer_assigned_id: r.proven.subject,
          created_at: now,
        })
        .execute();
      const guest = await trx.selectFrom('users').select(['display_name', 'user_principal_name']).where('id', '=', r.guestId).executeTakeFirstOrThrow();
      await recordAudit(trx, {
        tenantId: r.tenantId,
        activity: activities.redeem,
        category: 'UserManagement',
        operationType: 'Update',
        result: 'success',
        actor: { kind: 'recipient', address: r.proven.email, ipAddress: r.clientIp },
        targets: [{ id: r.guestId, type: 'User', displayName: guest.display_name, userPrincipalName: guest.user_principal_name }],
        details: {
          identityIssuer: r.proven.issuer,
          through: r.ticket ? 'invitation link' : 'sign-in to an application',
          ...(r.ticket ? { invitationId: r.ticket.invitationId } : {}),
        },
        correlationId: r.ticket?.invitationId ?? newId(),
        at: now,
      });
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof Lost) return { ok: false, reason: err.reason };
    if (isUniqueViolation(err)) return { ok: false, reason: 'identity_taken' };
    throw err;
  }
}
