/**
 * Redemption tickets: 256 random bits in `inviteRedeemUrl`, stored only as their SHA-256, bound to one
 * invitation (and so to one invited address and guest), and dead once superseded, revoked or expired.
 */
import { randomToken, sha256 } from '../platform/ids.js';

export type TicketState = 'active' | 'superseded' | 'redeemed' | 'revoked';

export function newTicket(): { ticket: string; hash: string } {
  const ticket = randomToken(32);
  return { ticket, hash: sha256(ticket) };
}

/** The link people redeem with, shaped like Entra's (`tenant`, `user` = invitation id, `ticket`). */
export function redeemUrl(publicUrl: string, tenantId: string, invitationId: string, ticket: string): string {
  const params = new URLSearchParams({ tenant: tenantId, user: invitationId, ticket, ver: '2.0' });
  return `${publicUrl}/redeem?${params.toString()}`;
}

export function ticketExpiry(createdAt: number, lifetimeDays: number | null): number | null {
  return lifetimeDays === null ? null : createdAt + lifetimeDays * 86_400_000;
}

/** What a presented ticket is worth now (pure: the redemption page decides what to show from it). */
export function ticketVerdict(row: { ticket_state: string; ticket_expires_at: number | null }, now: number): TicketState | 'expired' {
  if (row.ticket_state !== 'active') return row.ticket_state as TicketState;
  if (row.ticket_expires_at !== null && now >= row.ticket_expires_at) return 'expired';
  return 'active';
}
