/** Retiring a guest's redemption links: the tickets stop working, and e-mail still waiting to carry one is not sent. */
import { cancelQueuedMail } from '../mail/index.js';
import type { Executor } from '../platform/storage/database.js';
import type { TicketState } from './tickets.js';

/** Moves the guest's invitations whose ticket is in one of `from` to `to`, in the caller's transaction. */
export async function retireLinks(trx: Executor, userId: string, from: TicketState[], to: 'superseded' | 'revoked', now: number): Promise<void> {
  const old = await trx.selectFrom('invitations').select('id').where('user_id', '=', userId).where('ticket_state', 'in', from).execute();
  if (old.length === 0) return;
  const ids = old.map((o) => o.id);
  await trx.updateTable('invitations').set({ ticket_state: to }).where('id', 'in', ids).execute();
  await cancelQueuedMail(trx, ids, now);
}

/** A deleted guest's links are revoked, and no e-mail for any of its invitations is sent any more. */
export async function revokeLinksOfDeletedGuest(trx: Executor, userId: string, now: number): Promise<void> {
  const invitations = await trx.selectFrom('invitations').select('id').where('user_id', '=', userId).execute();
  await trx
    .updateTable('invitations')
    .set({ ticket_state: 'revoked' })
    .where('user_id', '=', userId)
    .where('ticket_state', 'in', ['active', 'redeemed'])
    .execute();
  await cancelQueuedMail(
    trx,
    invitations.map((i) => i.id),
    now,
  );
}
