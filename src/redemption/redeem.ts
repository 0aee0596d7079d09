/**
 * Completing a redemption, in one transaction: the ticket is spent by a
 * compare-and-set (of two simultaneous redemptions exactly one wins), the guest moves from
 * PendingAcceptance to Accepted, its `identities` record the home identity, and the audit event
 * "Redeem external user invite" is written. Either all of it happens or none of it. Each table is
 * changed by its owner's function, with this transaction.
 */

import { activities, recordAudit } from '../directory/audit-log.js';
import { beginDirectoryWrite } from '../directory/changes.js';
import { acceptGuest } from '../directory/guests.js';
import { completeInvitationsOf, spendTicket } from '../invitations/index.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import { isUniqueViolation } from '../platform/storage/database.js';
import type { ProvenIdentity } from './flow-state.js';

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
      // A directory write (the guest accepts): queue on the tenant's change counter first (directory/changes.ts).
      await beginDirectoryWrite(trx, r.tenantId);
      if (r.ticket) {
        if (!(await spendTicket(trx, { tenantId: r.tenantId, invitationId: r.ticket.invitationId, ticketHash: r.ticket.hash, now }))) throw new Lost('spent');
      } else {
        await completeInvitationsOf(trx, r.guestId, now);
      }
      const guest = await acceptGuest(trx, { tenantId: r.tenantId, guestId: r.guestId, issuer: r.proven.issuer, subject: r.proven.subject, now });
      if (!guest) throw new Lost('spent');
      await recordAudit(trx, {
        tenantId: r.tenantId,
        activity: activities.redeem,
        category: 'UserManagement',
        operationType: 'Update',
        result: 'success',
        actor: { kind: 'recipient', address: r.proven.email, ipAddress: r.clientIp },
        targets: [{ id: r.guestId, type: 'User', displayName: guest.displayName, userPrincipalName: guest.userPrincipalName }],
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
