/**
 * Who may invite (people through an app, under `allowInvitesFrom` and their directory roles), what
 * their e-mail looks like (Reply-To, sponsor), the recipient's "Block future invitations" link, the
 * per-tenant rate limit, link expiry, and the development mailbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createMember } from '../../src/directory/users.js';
import { ticketVerdict } from '../../src/invitations/tickets.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { formWith, HttpBrowser, visibleText } from '../support/http-browser.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'https://apps.contoso.example/welcome';
const CALLBACK = 'http://localhost:3999/callback';

describe.each(backends)('inviters and recipients on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let smtp: TestSmtp;
  let admin: string;
  let people: Record<'member' | 'inviter' | 'userAdmin', string>;

  beforeAll(async () => {
    smtp = await startSmtp();
    foyer = await startTestFoyer({ backend, env: { FOYER_SMTP_URL: smtp.url, FOYER_MAIL_POLL_INTERVAL: '0.1' } });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    admin = await appToken(
      foyer,
      tenant,
      await foyer.createApp(tenant.id, {
        displayName: 'admin',
        applicationPermissions: ['Policy.ReadWrite.Authorization', 'AuditLog.Read.All', 'User.Read.All'],
      }),
    );
    const console = await foyer.createApp(tenant.id, {
      displayName: 'Console',
      redirectUris: [CALLBACK],
      delegatedPermissions: ['User.Read', 'User.Invite.All', 'User.ReadWrite.All'],
    });
    await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'mia@contoso.example', displayName: 'Mia Member', password: 'Mia-Passphrase-1' });
    const ivar = await createMember(foyer.ctx, tenant.id, {
      userPrincipalName: 'ivar@contoso.example',
      displayName: 'Ivar Inviter',
      password: 'Lamp-Passphrase-1',
    });
    await assignRole(foyer.ctx, tenant.id, directoryRoles.guestInviter.id, ivar.id);
    const ulla = await createMember(foyer.ctx, tenant.id, {
      userPrincipalName: 'ulla@contoso.example',
      displayName: 'Ulla Useradmin',
      password: 'Meadow-Passphrase-1',
    });
    await assignRole(foyer.ctx, tenant.id, directoryRoles.userAdministrator.id, ulla.id);
    const scope = 'openid User.Invite.All';
    people = {
      member: (await delegatedTokens(foyer, tenant, console, CALLBACK, { email: 'mia@contoso.example', password: 'Mia-Passphrase-1' }, scope)).access_token,
      inviter: (await delegatedTokens(foyer, tenant, console, CALLBACK, { email: 'ivar@contoso.example', password: 'Lamp-Passphrase-1' }, scope)).access_token,
      userAdmin: (
        await delegatedTokens(
          foyer,
          tenant,
          console,
          CALLBACK,
          { email: 'ulla@contoso.example', password: 'Meadow-Passphrase-1' },
          'openid User.Invite.All User.ReadWrite.All',
        )
      ).access_token,
    };
  });
  afterAll(async () => {
    await foyer?.stop();
    await smtp?.close();
  });

  const invite = (token: string, body: Record<string, unknown>) => graph(foyer, token, 'POST', '/invitations', { inviteRedirectUrl: REDIRECT, ...body });

  it("a member's invitation names them: Reply-To is their address and they become the guest's sponsor", async () => {
    const before = smtp.messages.length;
    const res = await invite(people.member, { invitedUserEmailAddress: 'nora@fabrikam.example', sendInvitationMessage: true });
    expect(res.status).toBe(201);
    const mail = (await smtp.waitFor(before + 1)).at(-1)!;
    expect(mail.subject).toBe('Mia Member invited you to access applications within Contoso');
    expect(mail.replyTo).toMatchObject({ value: [{ address: 'mia@contoso.example' }] });
    expect(mail.text).toContain('mia@contoso.example');
    const sponsors = await graph(foyer, admin, 'GET', `/users/${res.body.invitedUser.id}/sponsors`);
    expect(sponsors.body.value.map((s: { userPrincipalName: string }) => s.userPrincipalName)).toEqual(['mia@contoso.example']);
  });

  it('re-inviting does not make the re-inviter a sponsor; only people who invite or administer may read invitations back', async () => {
    const first = await invite(people.member, { invitedUserEmailAddress: 'sam@fabrikam.example' });
    await invite(people.inviter, { invitedUserEmailAddress: 'sam@fabrikam.example' });
    const sponsors = await graph(foyer, admin, 'GET', `/users/${first.body.invitedUser.id}/sponsors`);
    expect(sponsors.body.value.map((s: { userPrincipalName: string }) => s.userPrincipalName)).toEqual(['mia@contoso.example']);
    expect((await graph(foyer, people.member, 'GET', `/invitations/${first.body.id}`)).status).toBe(403);
    expect((await graph(foyer, people.inviter, 'GET', `/invitations/${first.body.id}`)).status).toBe(200);
  });

  it('a User Administrator cannot reset the redemption of a guest who is a Global Administrator', async () => {
    const made = await invite(people.inviter, { invitedUserEmailAddress: 'gail@fabrikam.example' });
    const id = made.body.invitedUser.id;
    await assignRole(foyer.ctx, tenant.id, directoryRoles.globalAdministrator.id, id);
    const before = (await graph(foyer, admin, 'GET', `/users/${id}?$select=externalUserState`)).body;
    const res = await invite(people.userAdmin, { invitedUserEmailAddress: 'gail@fabrikam.example', invitedUser: { id }, resetRedemption: true });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('Authorization_RequestDenied');
    expect((await graph(foyer, admin, 'GET', `/users/${id}?$select=externalUserState`)).body).toEqual(before);
    // The same reset of an ordinary guest is the User Administrator's to make.
    const plain = await invite(people.inviter, { invitedUserEmailAddress: 'hugo@fabrikam.example' });
    const ok = await invite(people.userAdmin, {
      invitedUserEmailAddress: 'hugo@fabrikam.example',
      invitedUser: { id: plain.body.invitedUser.id },
      resetRedemption: true,
    });
    expect(ok.status).toBe(201);
  });

  it('only administrators may invite as Member', async () => {
    const res = await invite(people.inviter, { invitedUserEmailAddress: 'olle@fabrikam.example', invitedUserType: 'Member' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe("Only a Global Administrator or User Administrator can invite with invitedUserType 'Member'.");
  });

  it("with 'adminsAndGuestInviters', a Guest Inviter may invite and a plain member may not", async () => {
    expect((await graph(foyer, admin, 'PATCH', '/policies/authorizationPolicy', { allowInvitesFrom: 'adminsAndGuestInviters' })).status).toBe(204);
    try {
      const refused = await invite(people.member, { invitedUserEmailAddress: 'per@fabrikam.example' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.innerError.code).toBe('invitation.not_allowed');
      expect(refused.body.error.message).toContain("allowInvitesFrom to 'adminsAndGuestInviters'");
      const guests = await graph(foyer, admin, 'GET', `/users?$filter=${encodeURIComponent("mail eq 'per@fabrikam.example'")}`);
      expect(guests.body.value).toEqual([]);
      expect((await invite(people.inviter, { invitedUserEmailAddress: 'per@fabrikam.example' })).status).toBe(201);
    } finally {
      await graph(foyer, admin, 'PATCH', '/policies/authorizationPolicy', { allowInvitesFrom: 'everyone' });
    }
  });

  it('"Block future invitations" stops the next invitation e-mail, and can be undone', async () => {
    const before = smtp.messages.length;
    await invite(people.inviter, { invitedUserEmailAddress: 'quinn@fabrikam.example', sendInvitationMessage: true });
    const mail = (await smtp.waitFor(before + 1)).at(-1)!;
    const link = /(http:\/\/\S+\/invitations\/block\?\S+)/.exec(mail.text!)![1]!;

    const browser = new HttpBrowser();
    const page = await browser.go(link);
    expect(page.status).toBe(200);
    expect(visibleText(page)).toContain('Block future invitations from Contoso?');
    // Opening the link changed nothing (mail scanners open links).
    expect((await invite(people.inviter, { invitedUserEmailAddress: 'quinn@fabrikam.example', sendInvitationMessage: true })).status).toBe(201);

    const noCsrf = await browser.request(new URL('/invitations/block', link).toString(), {
      form: Object.fromEntries(new URL(link).searchParams),
    });
    expect(noCsrf.status).toBe(403);

    const done = await browser.submit(page, formWith(page, 'sig'), {});
    expect(visibleText(done)).toContain('You have blocked invitations from Contoso');

    const invitationsBefore = (await graph(foyer, admin, 'GET', '/invitations?$top=999')).body.value.length;
    const refused = await invite(people.inviter, { invitedUserEmailAddress: 'quinn@fabrikam.example', sendInvitationMessage: true });
    expect(refused.status).toBe(400);
    expect((await graph(foyer, admin, 'GET', '/invitations?$top=999')).body.value.length).toBe(invitationsBefore);
    expect(refused.body.error.innerError.code).toBe('invitation.invitee_unsubscribed');
    expect(refused.body.error.message).toContain('has chosen to block future invitations from Contoso');
    const audits = await graph(
      foyer,
      admin,
      'GET',
      `/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName in ('Email unsubscribed', 'Email not sent, user unsubscribed')")}`,
    );
    expect(audits.body.value.map((a: { activityDisplayName: string }) => a.activityDisplayName)).toEqual([
      'Email not sent, user unsubscribed',
      'Email unsubscribed',
    ]);
    // Without an e-mail the invitation may still be made (the inviter shares the link).
    expect((await invite(people.inviter, { invitedUserEmailAddress: 'quinn@fabrikam.example' })).status).toBe(201);

    const undo = await browser.submit(done, formWith(done, 'sig'), {});
    expect(visibleText(undo)).toContain('Invitations from Contoso are allowed again');
    expect((await invite(people.inviter, { invitedUserEmailAddress: 'quinn@fabrikam.example', sendInvitationMessage: true })).status).toBe(201);
  });

  it('a block link signed for another address is refused', async () => {
    const before = smtp.messages.length;
    await invite(people.inviter, { invitedUserEmailAddress: 'rita@fabrikam.example', sendInvitationMessage: true });
    const mail = (await smtp.waitFor(before + 1)).at(-1)!;
    const link = new URL(/(http:\/\/\S+\/invitations\/block\?\S+)/.exec(mail.text!)![1]!);
    link.searchParams.set('address', 'someone.else@fabrikam.example');
    const page = await new HttpBrowser().go(link.toString());
    expect(page.status).toBe(400);
    expect(visibleText(page)).toContain('This link is not valid');
  });
});

describe.each(backends)('limits and lifetimes on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  const clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock, env: { FOYER_INVITATION_RATE_LIMIT: '3', FOYER_INVITATION_RATE_WINDOW: '5' } });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'inviter', applicationPermissions: ['User.ReadWrite.All', 'Policy.ReadWrite.Authorization'] });
    token = await appToken(foyer, tenant, app);
  });
  afterAll(() => foyer?.stop());

  it('answers 429 with Retry-After past the per-tenant limit, and creates nothing', async () => {
    clock.set(Date.parse('2026-11-25T12:00:00Z'));
    for (let i = 0; i < 3; i++) {
      expect(
        (await graph(foyer, token, 'POST', '/invitations', { invitedUserEmailAddress: `r${i}@fabrikam.example`, inviteRedirectUrl: REDIRECT })).status,
      ).toBe(201);
    }
    clock.advance(2000);
    const refused = await graph(foyer, token, 'POST', '/invitations', { invitedUserEmailAddress: 'r3@fabrikam.example', inviteRedirectUrl: REDIRECT });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(refused.body.error.code).toBe('TooManyRequests');
    expect((await graph(foyer, token, 'GET', `/users?$filter=${encodeURIComponent("mail eq 'r3@fabrikam.example'")}`)).body.value).toEqual([]);
    clock.advance(3000);
    expect((await graph(foyer, token, 'POST', '/invitations', { invitedUserEmailAddress: 'r3@fabrikam.example', inviteRedirectUrl: REDIRECT })).status).toBe(
      201,
    );
  });

  it("links expire after the tenant's lifetime (30 days by default; configurable; or never)", async () => {
    clock.advance(10_000); // a fresh rate-limit window for the three invitations below
    const made = await graph(foyer, token, 'POST', '/invitations', { invitedUserEmailAddress: 'life@fabrikam.example', inviteRedirectUrl: REDIRECT });
    const expires = clock.now() + 30 * 86_400_000;
    const read = async (id: string) => (await graph(foyer, token, 'GET', `/invitations/${id}`)).body;
    expect(await read(made.body.id)).toMatchObject({ redemptionLinkStatus: 'active', redemptionLinkExpirationDateTime: new Date(expires).toISOString() });
    // What the redemption page will be told at and after that instant (the access token would expire
    // too if the fake clock ran 30 days, so the verdict is checked where it is decided).
    const row = await foyer.ctx.db.kysely.selectFrom('invitations').selectAll().where('id', '=', made.body.id).executeTakeFirstOrThrow();
    expect(ticketVerdict(row, expires - 1)).toBe('active');
    expect(ticketVerdict(row, expires)).toBe('expired');

    expect((await graph(foyer, token, 'PATCH', '/policies/invitationPolicy', { redemptionTicketLifetimeInDays: 7 })).status).toBe(204);
    const week = await graph(foyer, token, 'POST', '/invitations', { invitedUserEmailAddress: 'week@fabrikam.example', inviteRedirectUrl: REDIRECT });
    expect((await read(week.body.id)).redemptionLinkExpirationDateTime).toBe(new Date(clock.now() + 7 * 86_400_000).toISOString());

    expect((await graph(foyer, token, 'PATCH', '/policies/invitationPolicy', { redemptionTicketLifetimeInDays: null })).status).toBe(204);
    const forever = await graph(foyer, token, 'POST', '/invitations', { invitedUserEmailAddress: 'forever@fabrikam.example', inviteRedirectUrl: REDIRECT });
    expect(await read(forever.body.id)).toMatchObject({ redemptionLinkStatus: 'active', redemptionLinkExpirationDateTime: null });
    const bad = await graph(foyer, token, 'PATCH', '/policies/invitationPolicy', { redemptionTicketLifetimeInDays: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('redemptionTicketLifetimeInDays');
  });
});

describe.each(backends)('queued e-mail on $name', (backend) => {
  it('is cancelled when a newer invitation replaces its link, or the guest is deleted', async () => {
    // This process only queues (FOYER_MAIL_DELIVERY=off), so what waits in the outbox stays there.
    const foyer = await startTestFoyer({ backend, env: { FOYER_MAIL_DELIVERY: 'off' } });
    try {
      const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
      const token = await appToken(foyer, tenant, await foyer.createApp(tenant.id, { displayName: 'i', applicationPermissions: ['User.ReadWrite.All'] }));
      const invite = () =>
        graph(foyer, token, 'POST', '/invitations', {
          invitedUserEmailAddress: 'olga@fabrikam.example',
          inviteRedirectUrl: REDIRECT,
          sendInvitationMessage: true,
        });
      const delivery = async (id: string) => (await graph(foyer, token, 'GET', `/invitations/${id}`)).body.messageDeliveryStatus.state;
      const first = await invite();
      const second = await invite();
      expect(await delivery(first.body.id)).toBe('cancelled');
      expect(await delivery(second.body.id)).toBe('queued');
      const outbox = await foyer.ctx.db.kysely.selectFrom('outbox').select(['invitation_id', 'secret']).execute();
      expect(outbox.find((o) => o.invitation_id === first.body.id)!.secret).toBeNull();
      expect((await graph(foyer, token, 'DELETE', `/users/${second.body.invitedUser.id}`)).status).toBe(204);
      expect(await delivery(second.body.id)).toBe('cancelled');
    } finally {
      await foyer.stop();
    }
  });
});

describe('the development mailbox', () => {
  const sqlite = backends.find((b) => b.name === 'sqlite')!;

  it('shows mail in development mode when no SMTP server is configured', async () => {
    const foyer = await startTestFoyer({ backend: sqlite, env: { FOYER_MAIL_POLL_INTERVAL: '0.1' } });
    try {
      const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
      const token = await appToken(foyer, tenant, await foyer.createApp(tenant.id, { displayName: 'i', applicationPermissions: ['User.Invite.All'] }));
      const made = await graph(foyer, token, 'POST', '/invitations', {
        invitedUserEmailAddress: 'dev@fabrikam.example',
        inviteRedirectUrl: REDIRECT,
        sendInvitationMessage: true,
      });
      const browser = new HttpBrowser();
      let list;
      do list = await browser.go(`${foyer.url}/_dev/mailbox`);
      while (!list.body.includes('dev@fabrikam.example'));
      const href = /href="(\/_dev\/mailbox\/[0-9a-f-]{36})"/.exec(list.body)![1]!;
      const message = await browser.go(`${foyer.url}${href}`);
      expect(visibleText(message)).toContain(made.body.inviteRedeemUrl);
    } finally {
      await foyer.stop();
    }
  });

  it('is not shown to other machines, however the path is spelled', async () => {
    const foyer = await startTestFoyer({ backend: sqlite });
    try {
      for (const url of ['/_dev/mailbox', '/%5Fdev/mailbox', '/%5fdev/mailbox', '/_dev/mailbox/']) {
        const res = await foyer.app.http.inject({ url, remoteAddress: '10.1.2.3' });
        expect(res.statusCode, url).toBe(404);
        expect(res.body).not.toContain('Development mailbox');
      }
      expect((await foyer.app.http.inject({ url: '/_dev/mailbox', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    } finally {
      await foyer.stop();
    }
  });

  it('is not served in production mode', async () => {
    const foyer = await startTestFoyer({ backend: sqlite, env: { FOYER_MODE: 'production', FOYER_PUBLIC_URL: 'https://foyer.example' } });
    try {
      const res = await fetch(`http://127.0.0.1:${foyer.port}/_dev/mailbox`, { headers: { host: 'foyer.example' } });
      expect(res.status).toBe(404);
    } finally {
      await foyer.stop();
    }
  });
});
