/**
 * One-time sign-in links for the "My organizations" page (web/myaccount/), so that the page's sign-in
 * tells nobody whether an address is a guest anywhere on the instance (no account enumeration).
 *
 * Asking (`requestMyAccountLink`) does the same work whatever the address: it counts the request against
 * the client's limit and the address's limit, looks the address up, and writes one link row in one
 * transaction. Only when the address is an accepted guest does that row name the guest (the one who
 * redeemed first, in any tenant) and does the transaction also queue the e-mail with the link; otherwise the
 * row names nobody and stores a hash no ticket matches, and nothing is sent. The caller answers the same page
 * in both cases. Delivery happens later, in the outbox worker, so its time is not the request's. While a
 * link mailed to the guest earlier is still live (unspent, within its quarter of an hour), no new one is
 * mailed: the row is then written as for an unknown address, and the answer is again the same. So however
 * many client addresses ask, a guest's mailbox gets at most one of these mails per MYACCOUNT_LINK_TTL_MS.
 *
 * A link carries 256 random bits (`?ticket=`, a parameter the log redacts), stored only as their SHA-256,
 * lives MYACCOUNT_LINK_TTL_MS and is spent once by a compare-and-set. Spending it proves nothing by itself:
 * the page then starts the guest's bound sign-in flow, in which the person proves the identity the guest
 * redeemed with. So a forwarded or intercepted link lets nobody in; it only saves typing the address again.
 */
import { findFirstAcceptedGuestByMail } from '../directory/guest-organizations.js';
import { enqueueMail, outboxSignal } from '../mail/index.js';
import type { AppContext } from '../platform/context.js';
import { newId, randomToken, sha256 } from '../platform/ids.js';
import { seal } from '../platform/instance-keys.js';
import type { Locale } from '../platform/locale.js';
import { attempt } from '../platform/rate-limit.js';
import type { MyAccountLinkMailPayload } from './myaccount-link-mail.js';

/** How long a mailed link works. */
export const MYACCOUNT_LINK_TTL_MS = 15 * 60_000;

export interface MyAccountLinkRequest {
  /** The address as typed (already parsed), and its lower-case form. */
  address: string;
  lower: string;
  /** The language of the page it was asked on: the e-mail's language. */
  locale: Locale;
  /** Where the link leads, a path on this instance (the page set's link page); `?ticket=` is added. */
  linkPath: string;
  clientIp: string;
}

/**
 * Counts the request, and sends a link if the address is an accepted guest. The answer says only whether
 * a limit was passed: it is the same for an address that is a guest and one that is not.
 */
export async function requestMyAccountLink(ctx: AppContext, r: MyAccountLinkRequest): Promise<{ done: true } | { retryAfterMs: number }> {
  const db = ctx.db.kysely;
  const now = ctx.clock.now();
  // Per client (many addresses from one machine) and per address (one mailbox flooded from many machines),
  // both counted for every request, known address or not, before anything is looked up.
  const blocked = await attempt(
    db,
    [
      { key: `myaccount:lookup-ip:${r.clientIp}`, limit: ctx.config.signInAttemptLimit * 5 },
      { key: `myaccount:link-address:${sha256(r.lower)}`, limit: ctx.config.signInAttemptLimit },
    ],
    ctx.config.signInAttemptWindowSeconds * 1000,
    now,
  );
  if (blocked) return { retryAfterMs: blocked.retryAfterMs };

  const found = await findFirstAcceptedGuestByMail(db, r.lower);
  // At most one live link per guest: while one sent earlier is unspent and unexpired, no other is mailed
  // (asked for again from ever new client addresses, the mailbox gets one mail a quarter of an hour). The
  // query runs for every address, the answer is the same, and the row is written as for an unknown address.
  const pending = await db
    .selectFrom('myaccount_links')
    .select('ticket_hash')
    .where('tenant_id', '=', found?.tenantId ?? '')
    .where('guest_id', '=', found?.guestId ?? '')
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  const guest = pending ? undefined : found;
  const ticket = randomToken(32);
  const sealed = await seal(ctx, ticket);
  await ctx.db.transaction(async (trx) => {
    await trx
      .insertInto('myaccount_links')
      .values({
        // No guest: a hash no ticket has, so the row can never be spent.
        ticket_hash: guest ? sha256(ticket) : `none:${newId()}`,
        tenant_id: guest?.tenantId ?? null,
        guest_id: guest?.guestId ?? null,
        address: guest ? r.address : null,
        created_at: now,
        expires_at: now + MYACCOUNT_LINK_TTL_MS,
        used_at: null,
      })
      .execute();
    if (!guest) return;
    const payload: MyAccountLinkMailPayload = {
      kind: 'myaccount-link',
      to: { address: r.address, name: null },
      locale: r.locale,
      linkPath: r.linkPath,
      minutes: MYACCOUNT_LINK_TTL_MS / 60_000,
    };
    await enqueueMail(trx, ctx, { tenantId: guest.tenantId, invitationId: null, recipient: r.address, payload, secret: sealed, now });
  });
  if (guest) outboxSignal(ctx).emit('queued');
  return { done: true };
}

/** The guest a live link signs in for. */
export interface MyAccountLink {
  tenantId: string;
  guestId: string;
  address: string;
}

function liveLink(ctx: AppContext, ticket: string, now: number) {
  return ctx.db.kysely
    .selectFrom('myaccount_links')
    .select(['ticket_hash', 'tenant_id', 'guest_id', 'address'])
    .where('ticket_hash', '=', sha256(ticket))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where('guest_id', 'is not', null)
    .executeTakeFirst();
}

const asLink = (row: { tenant_id: string | null; guest_id: string | null; address: string | null }): MyAccountLink | undefined =>
  row.tenant_id && row.guest_id && row.address ? { tenantId: row.tenant_id, guestId: row.guest_id, address: row.address } : undefined;

/** What a link is for, if it still works, without spending it (the confirmation page a mail scanner may fetch). */
export async function peekMyAccountLink(ctx: AppContext, ticket: string): Promise<MyAccountLink | undefined> {
  if (!ticket) return undefined;
  const row = await liveLink(ctx, ticket, ctx.clock.now());
  return row && asLink(row);
}

/** Spends a link: once, by a compare-and-set, so two presses of the same link start one sign-in. */
export async function spendMyAccountLink(ctx: AppContext, ticket: string): Promise<MyAccountLink | undefined> {
  if (!ticket) return undefined;
  const now = ctx.clock.now();
  const row = await liveLink(ctx, ticket, now);
  if (!row) return undefined;
  const spent = await ctx.db.kysely
    .updateTable('myaccount_links')
    .set({ used_at: now })
    .where('ticket_hash', '=', row.ticket_hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(spent.numUpdatedRows) === 1 ? asLink(row) : undefined;
}

/** Housekeeping: links past their quarter of an hour, spent or not. */
export async function purgeExpiredMyAccountLinks(ctx: AppContext): Promise<void> {
  await ctx.db.kysely.deleteFrom('myaccount_links').where('expires_at', '<', ctx.clock.now()).execute();
}
