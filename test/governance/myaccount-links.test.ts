/**
 * The "My organizations" sign-in links (src/governance/myaccount-links.ts) on both databases: a request
 * for an accepted guest's address and one for an unknown address write one row each, only the first queues
 * a mail (its ticket sealed), and no second one while the first link is live and unspent; the ticket in that mail is spent once even by two simultaneous presses, works
 * for 15 minutes and no longer, a GET's look spends nothing, and housekeeping removes links past their time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/directory/tenants.js';
import { createMember } from '../../src/directory/users.js';
import { peekMyAccountLink, requestMyAccountLink, spendMyAccountLink } from '../../src/governance/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { unseal } from '../../src/platform/instance-keys.js';
import { purgeExpired } from '../../src/server.js';
import { backends, freshContext } from '../support/backends.js';

describe.each(backends)('My organizations sign-in links on $name', (backend) => {
  let ctx: AppContext;
  let clock: ManualClock;
  let cleanup: () => Promise<void>;
  let guest: { tenantId: string; guestId: string };
  const address = 'Nina@Outlook.example';

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
    ({ ctx, cleanup } = await freshContext(backend, clock));
    const { tenant } = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'a@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    const user = await createMember(ctx, tenant.id, { userPrincipalName: 'nina.guest@contoso.example', displayName: 'Nina', password: 'Correct-Horse-9' });
    // An accepted guest, as a redemption leaves one.
    await ctx.db.kysely
      .updateTable('users')
      .set({
        creation_type: 'Invitation',
        external_user_state: 'Accepted',
        external_user_state_change_at: clock.now(),
        mail: address,
        mail_lower: address.toLowerCase(),
      })
      .where('id', '=', user.id)
      .execute();
    guest = { tenantId: tenant.id, guestId: user.id };
  });
  afterEach(() => cleanup());

  const ask = (typed: string, clientIp = '192.0.2.1') =>
    requestMyAccountLink(ctx, { address: typed, lower: typed.toLowerCase(), locale: 'en-US', linkPath: '/myaccount/organizations/link', clientIp });
  const links = () => ctx.db.kysely.selectFrom('myaccount_links').selectAll().orderBy('created_at').execute();
  const queued = () => ctx.db.kysely.selectFrom('outbox').select(['recipient', 'secret', 'kind']).where('kind', '=', 'myaccount-link').execute();
  /** The ticket the queued message carries, as the worker would unseal it. */
  const mailedTicket = async () => unseal(ctx, (await queued()).at(-1)!.secret!);

  it('writes a row for every request, and queues a mail only for the accepted guest', async () => {
    expect(await ask('nobody@outlook.example')).toEqual({ done: true });
    expect(await ask(address)).toEqual({ done: true });
    const rows = await links();
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.guest_id)).toEqual(expect.arrayContaining([null, guest.guestId]));
    expect((await queued()).map((q) => q.recipient)).toEqual([address]);
    const ticket = await mailedTicket();
    expect(ticket).toMatch(/^[\w-]{43}$/);
    // Only the hash is kept.
    expect(rows.some((r) => r.ticket_hash === ticket)).toBe(false);
    expect(await peekMyAccountLink(ctx, ticket)).toEqual({ ...guest, address });
  });

  it('spends a ticket once, even when two presses race', async () => {
    await ask(address);
    const ticket = await mailedTicket();
    expect(await peekMyAccountLink(ctx, ticket)).toBeDefined();
    expect(await peekMyAccountLink(ctx, ticket)).toBeDefined();
    const both = await Promise.all([spendMyAccountLink(ctx, ticket), spendMyAccountLink(ctx, ticket)]);
    expect(both.filter(Boolean)).toEqual([{ ...guest, address }]);
    expect(await peekMyAccountLink(ctx, ticket)).toBeUndefined();
    expect(await spendMyAccountLink(ctx, ticket)).toBeUndefined();
    expect(await spendMyAccountLink(ctx, '')).toBeUndefined();
    expect(await spendMyAccountLink(ctx, 'made-up')).toBeUndefined();
  });

  it('works for 15 minutes, then is gone; housekeeping removes it', async () => {
    await ask(address);
    const ticket = await mailedTicket();
    clock.advance(15 * 60_000 - 1);
    expect(await peekMyAccountLink(ctx, ticket)).toBeDefined();
    clock.advance(1);
    expect(await peekMyAccountLink(ctx, ticket)).toBeUndefined();
    expect(await spendMyAccountLink(ctx, ticket)).toBeUndefined();
    clock.advance(1);
    await purgeExpired(ctx);
    expect(await links()).toEqual([]);
  });

  it('limits requests per address (across clients) and per client (across addresses), the same for every address', async () => {
    // FOYER_SIGNIN_ATTEMPT_LIMIT is 10 by default: 10 per address, 50 per client.
    for (let i = 0; i < 10; i++) expect(await ask(address, `192.0.2.${i}`)).toEqual({ done: true });
    const guestRefused = await ask(address, '192.0.2.99');
    for (let i = 0; i < 10; i++) expect(await ask('nobody@outlook.example', `198.51.100.${i}`)).toEqual({ done: true });
    const strangerRefused = await ask('nobody@outlook.example', '198.51.100.99');
    expect(guestRefused).toEqual(strangerRefused);
    expect(guestRefused).toMatchObject({ retryAfterMs: expect.any(Number) });
    // One mail reached the guest's address: while its link is live and unspent, no other is sent.
    expect(await queued()).toHaveLength(1);

    for (let i = 0; i < 50; i++) expect(await ask(`probe${i}@outlook.example`, '203.0.113.1')).toEqual({ done: true });
    expect(await ask('another@outlook.example', '203.0.113.1')).toMatchObject({ retryAfterMs: expect.any(Number) });
  });
  it('mails no second link while one is live and unspent, whichever client asks, with the same answer', async () => {
    expect(await ask(address, '192.0.2.1')).toEqual({ done: true });
    expect(await ask(address, '198.51.100.7')).toEqual({ done: true });
    expect(await ask(address, '203.0.113.9')).toEqual({ done: true });
    // Three rows, as for any address; one mail, and only its ticket can be spent.
    expect(await links()).toHaveLength(3);
    expect(await queued()).toHaveLength(1);
    const first = await mailedTicket();

    // Spent: the next request mails a new link.
    expect(await spendMyAccountLink(ctx, first)).toEqual({ ...guest, address });
    expect(await ask(address, '192.0.2.2')).toEqual({ done: true });
    expect(await queued()).toHaveLength(2);
    const second = await mailedTicket();
    expect(second).not.toBe(first);

    // Expired: the next request mails a new one as well.
    clock.advance(15 * 60_000);
    expect(await ask(address, '192.0.2.3')).toEqual({ done: true });
    expect(await queued()).toHaveLength(3);
    expect(await peekMyAccountLink(ctx, await mailedTicket())).toEqual({ ...guest, address });
  });
});
