/**
 * Invitations as the redemption pages see them: found by the ticket a link presents (only its SHA-256
 * is stored) or by id, and spent when a redemption completes. The invitations table belongs to this
 * feature; redemption calls these instead of querying it.
 */
import { sha256 } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { InvitationsTable } from '../platform/storage/schema.js';
import { type TicketState, ticketVerdict } from './tickets.js';

export interface RedemptionInvitation {
  id: string;
  tenantId: string;
  guestId: string;
  /** As the inviter typed it, and lower-cased. */
  invitedEmail: string;
  invitedEmailLower: string;
  /** The inviting user's display name, or null when an app or the CLI invited. */
  inviterName: string | null;
  redirectUrl: string;
  messageLanguage: string | null;
  ticketHash: string;
  ticketState: TicketState;
  ticketExpiresAt: number | null;
}

function inviterName(inviter: string): string | null {
  try {
    const actor = JSON.parse(inviter) as { kind: string; displayName?: string };
    return actor.kind === 'user' && actor.displayName ? actor.displayName : null;
  } catch {
    return null;
  }
}

function fromRow(r: InvitationsTable): RedemptionInvitation {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    guestId: r.user_id,
    invitedEmail: r.invited_email,
    invitedEmailLower: r.invited_email_lower,
    inviterName: inviterName(r.inviter),
    redirectUrl: r.redirect_url,
    messageLanguage: r.message_language,
    ticketHash: r.ticket_hash,
    ticketState: r.ticket_state as TicketState,
    ticketExpiresAt: r.ticket_expires_at,
  };
}

/** The invitation whose link carries this ticket (tickets are 43 characters; anything far off is not one). */
export async function findInvitationByTicket(db: Executor, ticket: string): Promise<RedemptionInvitation | undefined> {
  if (ticket.length < 20 || ticket.length > 100) return undefined;
  const row = await db.selectFrom('invitations').selectAll().where('ticket_hash', '=', sha256(ticket)).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function findRedemptionInvitation(db: Executor, id: string): Promise<RedemptionInvitation | undefined> {
  const row = await db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** What the ticket of this invitation is worth now. */
export function invitationTicketVerdict(inv: RedemptionInvitation, now: number): TicketState | 'expired' {
  return ticketVerdict({ ticket_state: inv.ticketState, ticket_expires_at: inv.ticketExpiresAt }, now);
}

/** Guests of `tenantId` invited as this address whose link still works (replaced or withdrawn ones count for nothing). */
export async function findGuestIdsWithWorkingLink(db: Executor, tenantId: string, lower: string): Promise<string[]> {
  const rows = await db
    .selectFrom('invitations')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('invited_email_lower', '=', lower)
    .where('ticket_state', '=', 'active')
    .execute();
  return rows.map((r) => r.user_id);
}

/**
 * Spends the presented ticket inside the caller's transaction: a compare-and-set on the ticket's state
 * and expiry, so of two simultaneous redemptions exactly one gets true.
 */
export async function spendTicket(trx: Executor, t: { tenantId: string; invitationId: string; ticketHash: string; now: number }): Promise<boolean> {
  const spent = await trx
    .updateTable('invitations')
    .set({ ticket_state: 'redeemed', status: 'Completed', redeemed_at: t.now })
    .where('id', '=', t.invitationId)
    .where('ticket_hash', '=', t.ticketHash)
    .where('tenant_id', '=', t.tenantId)
    .where('ticket_state', '=', 'active')
    .where((eb) => eb.or([eb('ticket_expires_at', 'is', null), eb('ticket_expires_at', '>', t.now)]))
    .executeTakeFirst();
  return Number(spent.numUpdatedRows) === 1;
}

/** A guest redeemed by signing in to an app: the link still out there becomes a return link. */
export async function completeInvitationsOf(trx: Executor, guestId: string, now: number): Promise<void> {
  await trx
    .updateTable('invitations')
    .set({ ticket_state: 'redeemed', status: 'Completed', redeemed_at: now })
    .where('user_id', '=', guestId)
    .where('ticket_state', '=', 'active')
    .execute();
}
