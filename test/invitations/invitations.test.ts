/**
 * `POST /invitations` end to end: the official Microsoft Graph client creates invitations, the guest
 * object reads back as Entra shapes it, a real SMTP server on loopback receives the e-mail, and every
 * refusal answers with its status, code and message while creating nothing.
 */
import { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { appToken, graph } from '../support/tokens.js';

const REDIRECT = 'https://apps.contoso.example/welcome';

describe.each(backends)('invitations on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let smtp: TestSmtp;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    smtp = await startSmtp();
    foyer = await startTestFoyer({ backend, env: { FOYER_SMTP_URL: smtp.url, FOYER_MAIL_POLL_INTERVAL: '0.1', FOYER_MAIL_RETRY_BASE: '0.2' } });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const apps: Record<string, string[]> = {
      inviter: ['User.Invite.All'],
      admin: [
        'User.ReadWrite.All',
        'AuditLog.Read.All',
        'Policy.ReadWrite.Authorization',
        'Policy.ReadWrite.B2BManagementPolicy',
        'Organization.ReadWrite.All',
      ],
      reader: ['User.Read.All'],
    };
    for (const [name, permissions] of Object.entries(apps)) {
      const app = await foyer.createApp(tenant.id, { displayName: name, applicationPermissions: permissions });
      tokens[name] = await appToken(foyer, tenant, app);
    }
  });
  afterAll(async () => {
    await foyer?.stop();
    await smtp?.close();
  });
  beforeEach(() => {
    smtp.mode = 'accept';
  });

  const invite = (body: Record<string, unknown>, token = tokens.inviter!) => graph(foyer, token, 'POST', '/invitations', body);
  const counts = async () => {
    const db = foyer.ctx.db.kysely;
    const n = async (table: 'users' | 'invitations' | 'outbox') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { users: await n('users'), invitations: await n('invitations'), outbox: await n('outbox') };
  };
  const ticketOf = (url: string) => new URL(url).searchParams.get('ticket')!;
  /** The invitation once its e-mail is no longer queued (the SMTP server may see it a moment before Foyer records it). */
  const settled = async (id: string) => {
    for (;;) {
      const res = await graph(foyer, tokens.inviter!, 'GET', `/invitations/${id}`);
      if (res.body.messageDeliveryStatus?.state !== 'queued') return res;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  describe('with the official Microsoft Graph client', () => {
    it('creates an invitation and reads the guest back as Entra shapes it', async () => {
      const client = Client.init({
        baseUrl: `${foyer.url}/graph/`,
        defaultVersion: 'v1.0',
        fetchOptions: { headers: { authorization: `Bearer ${tokens.admin!}` } },
        authProvider: (done) => done(null, tokens.admin!),
      });
      const created = await client.api('/invitations').post({ invitedUserEmailAddress: 'Alice@Fabrikam.example', inviteRedirectUrl: REDIRECT });
      expect(created).toMatchObject({
        '@odata.context': `${foyer.url}/graph/v1.0/$metadata#invitations/$entity`,
        invitedUserEmailAddress: 'Alice@fabrikam.example',
        invitedUserType: 'Guest',
        sendInvitationMessage: false,
        resetRedemption: false,
        inviteRedirectUrl: REDIRECT,
        status: 'PendingAcceptance',
        invitedUser: { userPrincipalName: `Alice_fabrikam.example#EXT#@${tenant.initialDomain}` },
        invitedUserMessageInfo: { messageLanguage: null, customizedMessageBody: null, ccRecipients: [{ emailAddress: { name: null, address: null } }] },
      });
      expect(created.inviteRedeemUrl).toMatch(new RegExp(`^${foyer.url}/redeem\\?tenant=${tenant.id}&user=${created.id}&ticket=[A-Za-z0-9_-]{43}&ver=2\\.0$`));

      const guest = await client
        .api(`/users/${created.invitedUser.id}`)
        .select('id,userType,externalUserState,externalUserStateChangeDateTime,creationType,mail,otherMails,identities,userPrincipalName,displayName')
        .get();
      expect(guest).toMatchObject({
        userType: 'Guest',
        externalUserState: 'PendingAcceptance',
        creationType: 'Invitation',
        mail: 'Alice@fabrikam.example',
        otherMails: ['Alice@fabrikam.example'],
        displayName: 'Alice',
        identities: [{ signInType: 'userPrincipalName', issuer: tenant.initialDomain, issuerAssignedId: created.invitedUser.userPrincipalName }],
      });
      expect(Date.parse(guest.externalUserStateChangeDateTime)).toBeGreaterThan(Date.now() - 60_000);
      const listed = await client.api('/users').filter("userType eq 'Guest' and externalUserState eq 'PendingAcceptance'").get();
      expect(listed.value.map((u: { id: string }) => u.id)).toContain(created.invitedUser.id);
    });

    it('never stores the ticket: only its SHA-256 is in the database', async () => {
      const res = await invite({ invitedUserEmailAddress: 'hash.check@fabrikam.example', inviteRedirectUrl: REDIRECT });
      const ticket = ticketOf(res.body.inviteRedeemUrl);
      const row = await foyer.ctx.db.kysely.selectFrom('invitations').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(ticket);
      const { sha256 } = await import('../../src/platform/ids.js');
      expect(row.ticket_hash).toBe(sha256(ticket));
    });
  });

  describe('the invitation e-mail', () => {
    it('arrives in Swedish with the redeem link, personal message, cc, privacy note and block link', async () => {
      const before = smtp.messages.length;
      const res = await invite({
        invitedUserEmailAddress: 'bertil@fabrikam.example',
        invitedUserDisplayName: 'Bertil Berg',
        inviteRedirectUrl: REDIRECT,
        sendInvitationMessage: true,
        invitedUserMessageInfo: {
          messageLanguage: 'sv-SE',
          customizedMessageBody: 'Välkommen! <b>inte fet</b>',
          ccRecipients: [{ emailAddress: { name: 'Cecilia', address: 'cecilia@fabrikam.example' } }],
        },
      });
      expect(res.status).toBe(201);
      const [mail] = (await smtp.waitFor(before + 1)).slice(before);
      expect(mail!.to).toMatchObject({ value: [{ address: 'bertil@fabrikam.example', name: 'Bertil Berg' }] });
      expect(mail!.cc).toMatchObject({ value: [{ address: 'cecilia@fabrikam.example' }] });
      expect(mail!.replyTo).toBeUndefined(); // an app invited: nobody to reply to
      expect(mail!.subject).toBe('Contoso har bjudit in dig att använda program i sin organisation');
      expect(mail!.text).toContain('Contoso har inte tillhandahållit någon integritetspolicy'.slice(0, 10));
      expect(mail!.text).toContain(res.body.inviteRedeemUrl);
      expect(mail!.text).toContain('Välkommen! <b>inte fet</b>');
      expect(mail!.html).toContain('Välkommen! &lt;b&gt;inte fet&lt;/b&gt;');
      expect(mail!.html).toContain('Acceptera inbjudan');
      expect(mail!.html).toContain(res.body.inviteRedeemUrl.replace(/&/g, '&amp;'));
      expect(mail!.text).toContain(`${foyer.url}/invitations/block?`);
      expect(mail!.messageId).toMatch(/^<[0-9a-f-]{36}@localhost>$/);
      const status = await settled(res.body.id);
      expect(status.body.messageDeliveryStatus).toMatchObject({ state: 'sent', attempts: 1, error: null });
      expect(status.body).not.toHaveProperty('inviteRedeemUrl');
    });
  });

  describe('the invitation e-mail, branded', () => {
    it("shows the organization's logo, colour and privacy statement as soon as they are set", async () => {
      const org = (path: string, body: unknown) => graph(foyer, tokens.admin!, 'PATCH', `/organization/${tenant.id}${path}`, body);
      expect((await org('', { privacyProfile: { statementUrl: 'https://contoso.example/privacy', contactEmail: 'privacy@contoso.example' } })).status).toBe(
        204,
      );
      expect((await org('/branding', { bannerLogoUrl: 'https://contoso.example/logo.png', backgroundColor: '#1f4e79' })).status).toBe(204);
      try {
        const before = smtp.messages.length;
        await invite({ invitedUserEmailAddress: 'petra@fabrikam.example', inviteRedirectUrl: REDIRECT, sendInvitationMessage: true });
        const mail = (await smtp.waitFor(before + 1)).at(-1)!;
        expect(mail.subject).toBe('Contoso invited you to access applications within their organization');
        expect(mail.html).toContain('src="https://contoso.example/logo.png"');
        expect(mail.html).toContain('#1f4e79');
        expect(mail.html).toContain('href="https://contoso.example/privacy"');
        expect(mail.text).toContain('https://contoso.example/privacy');
        expect(mail.text).toContain('Accept invitation');
        expect(mail.text).toContain(`You will be taken to ${REDIRECT}`);
      } finally {
        await org('', { privacyProfile: { statementUrl: null } });
        await org('/branding', { bannerLogoUrl: null, backgroundColor: null });
      }
    });
  });

  describe('re-inviting', () => {
    it('re-inviting a pending guest gives a new link and the old one stops working', async () => {
      const first = await invite({ invitedUserEmailAddress: 'dora@fabrikam.example', inviteRedirectUrl: REDIRECT });
      const second = await invite({ invitedUserEmailAddress: 'DORA@fabrikam.example', inviteRedirectUrl: REDIRECT });
      expect(second.status).toBe(201);
      expect(second.body.invitedUser.id).toBe(first.body.invitedUser.id);
      expect(second.body.inviteRedeemUrl).not.toBe(first.body.inviteRedeemUrl);
      expect((await graph(foyer, tokens.inviter!, 'GET', `/invitations/${first.body.id}`)).body.redemptionLinkStatus).toBe('superseded');
      expect((await graph(foyer, tokens.inviter!, 'GET', `/invitations/${second.body.id}`)).body.redemptionLinkStatus).toBe('active');
    });

    it('inviting a guest who already accepted answers Completed', async () => {
      const first = await invite({ invitedUserEmailAddress: 'erik@fabrikam.example', inviteRedirectUrl: REDIRECT });
      await foyer.ctx.db.kysely.updateTable('users').set({ external_user_state: 'Accepted' }).where('id', '=', first.body.invitedUser.id).execute();
      const again = await invite({ invitedUserEmailAddress: 'erik@fabrikam.example', inviteRedirectUrl: REDIRECT });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ status: 'Completed', invitedUser: { id: first.body.invitedUser.id } });
    });
  });

  describe('refusals: status, code, message, and nothing created', () => {
    const cases: Array<[string, Record<string, unknown>, number, string, RegExp]> = [
      ['an address with a plus sign', { invitedUserEmailAddress: 'a+b@fabrikam.example' }, 400, 'invitation.invalid_address', /not a valid e-mail address/],
      ['no address at all', { invitedUserEmailAddress: 'not-an-address' }, 400, 'invitation.invalid_address', /not a valid e-mail address/],
      [
        'an http redirect URL off localhost',
        { inviteRedirectUrl: 'http://apps.contoso.example/' },
        400,
        'invitation.invalid_redirect_url',
        /absolute https URL/,
      ],
      ['a javascript: redirect URL', { inviteRedirectUrl: 'javascript:alert(1)' }, 400, 'invitation.invalid_redirect_url', /absolute https URL/],
      ['a relative redirect URL', { inviteRedirectUrl: '/welcome' }, 400, 'invitation.invalid_redirect_url', /absolute https URL/],
      [
        'a redirect URL with credentials',
        { inviteRedirectUrl: 'https://u:p@apps.contoso.example/' },
        400,
        'invitation.invalid_redirect_url',
        /user name or password/,
      ],
      [
        'an oversize personal message',
        { sendInvitationMessage: true, invitedUserMessageInfo: { customizedMessageBody: 'x'.repeat(4001) } },
        400,
        'invitation.invalid_message',
        /4001 characters long; at most 4000/,
      ],
      [
        'two cc recipients',
        { invitedUserMessageInfo: { ccRecipients: [{ emailAddress: { address: 'a@b.example' } }, { emailAddress: { address: 'c@d.example' } }] } },
        400,
        'invitation.invalid_message',
        /Only 1 additional recipient/,
      ],
      [
        'a line break in the display name',
        { invitedUserDisplayName: 'Eve\r\nAccept invitation: https://evil.example' },
        400,
        'request.invalid_body',
        /control characters are not allowed/,
      ],
      ['an unknown property', { invitedUserColour: 'blue' }, 400, 'request.invalid_body', /invitedUserColour' does not exist/],
      ['a wrongly typed property', { sendInvitationMessage: 'yes' }, 400, 'request.invalid_body', /sendInvitationMessage/],
      [
        'an address on a verified domain of the tenant',
        { invitedUserEmailAddress: 'newbie@contoso.example' },
        400,
        'invitation.invitee_is_member',
        /verified domain of Contoso/,
      ],
      ['resetRedemption without invitedUser', { resetRedemption: true }, 400, 'invitation.reset_invalid', /resetRedemption needs invitedUser.id/],
      [
        'six sponsors',
        { invitedUserSponsors: Array.from({ length: 6 }, (_, i) => ({ id: `00000000-0000-0000-0000-00000000000${i}` })) },
        400,
        'invitation.invalid_sponsors',
        /At most 5 sponsors/,
      ],
      [
        'an unknown sponsor',
        { invitedUserSponsors: [{ id: '00000000-0000-0000-0000-000000000001' }] },
        400,
        'invitation.invalid_sponsors',
        /is not a user of Contoso/,
      ],
    ];
    it.each(cases)('refuses %s', async (_name, patch, status, code, message) => {
      const before = await counts();
      const res = await invite({ invitedUserEmailAddress: 'refused@fabrikam.example', inviteRedirectUrl: REDIRECT, ...patch });
      expect(res.status).toBe(status);
      expect(res.body.error.innerError.code).toBe(code);
      expect(res.body.error.message).toMatch(message);
      expect(await counts()).toEqual(before);
    });

    it('refuses to invite a member of the tenant by their address', async () => {
      const before = await counts();
      const res = await invite({ invitedUserEmailAddress: tenant.admin.mail, inviteRedirectUrl: REDIRECT });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'BadRequest', innerError: { code: 'invitation.invitee_is_member' } });
      expect(await counts()).toEqual(before);
    });

    it('refuses an app without User.Invite.All', async () => {
      const before = await counts();
      const res = await invite({ invitedUserEmailAddress: 'x@fabrikam.example', inviteRedirectUrl: REDIRECT }, tokens.reader!);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('Authorization_RequestDenied');
      expect(await counts()).toEqual(before);
    });
  });

  describe('reset redemption', () => {
    it('needs the new address on the user object, then returns the guest to PendingAcceptance keeping its id', async () => {
      const first = await invite({ invitedUserEmailAddress: 'fred@fabrikam.example', inviteRedirectUrl: REDIRECT });
      const id = first.body.invitedUser.id;
      await foyer.ctx.db.kysely.updateTable('users').set({ external_user_state: 'Accepted' }).where('id', '=', id).execute();
      const body = { invitedUserEmailAddress: 'fred@tailspin.example', inviteRedirectUrl: REDIRECT, invitedUser: { id }, resetRedemption: true };

      const before = await counts();
      const refused = await invite(body, tokens.admin!);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe(
        "The email you're using to invite this user doesn't match any emails on the user object. Please add this email to the user object and try again.",
      );
      expect(await counts()).toEqual(before);

      expect((await invite(body, tokens.inviter!)).status).toBe(403); // User.Invite.All cannot reset
      expect((await graph(foyer, tokens.admin!, 'PATCH', `/users/${id}`, { otherMails: ['fred@fabrikam.example', 'fred@tailspin.example'] })).status).toBe(204);
      const reset = await invite(body, tokens.admin!);
      expect(reset.status).toBe(201);
      expect(reset.body).toMatchObject({
        resetRedemption: true,
        status: 'PendingAcceptance',
        invitedUser: { id, userPrincipalName: first.body.invitedUser.userPrincipalName },
      });
      const guest = await graph(foyer, tokens.admin!, 'GET', `/users/${id}?$select=externalUserState`);
      expect(guest.body.externalUserState).toBe('PendingAcceptance');
      expect((await graph(foyer, tokens.admin!, 'GET', `/invitations/${first.body.id}`)).body.redemptionLinkStatus).toBe('revoked');
    });
  });

  describe('sponsors', () => {
    it('records the named sponsors of a guest', async () => {
      const res = await invite({
        invitedUserEmailAddress: 'gina@fabrikam.example',
        inviteRedirectUrl: REDIRECT,
        invitedUserSponsors: [{ id: tenant.admin.id, '@odata.type': '#microsoft.graph.user' }],
      });
      expect(res.status).toBe(201);
      const sponsors = await graph(foyer, tokens.reader!, 'GET', `/users/${res.body.invitedUser.id}/sponsors`);
      expect(sponsors.body.value).toEqual([expect.objectContaining({ id: tenant.admin.id, userPrincipalName: tenant.admin.userPrincipalName })]);
    });
  });

  describe('policies', () => {
    it("refuses every inviter while allowInvitesFrom is 'none', naming the policy", async () => {
      expect((await graph(foyer, tokens.admin!, 'PATCH', '/policies/authorizationPolicy', { allowInvitesFrom: 'none' })).status).toBe(204);
      try {
        const before = await counts();
        const res = await invite({ invitedUserEmailAddress: 'hans@fabrikam.example', inviteRedirectUrl: REDIRECT });
        expect(res.status).toBe(403);
        expect(res.body.error).toMatchObject({ code: 'Authorization_RequestDenied', innerError: { code: 'invitation.not_allowed' } });
        expect(res.body.error.message).toContain("policies/authorizationPolicy sets allowInvitesFrom to 'none'");
        expect(await counts()).toEqual(before);
      } finally {
        await graph(foyer, tokens.admin!, 'PATCH', '/policies/authorizationPolicy', { allowInvitesFrom: 'everyone' });
      }
      expect((await graph(foyer, tokens.admin!, 'GET', '/policies/authorizationPolicy')).body.allowInvitesFrom).toBe('everyone');
    });

    it('applies a deny list with wildcards, then an allow list', async () => {
      const patch = (p: unknown) => graph(foyer, tokens.admin!, 'PATCH', '/policies/b2bManagementPolicy', { invitationsAllowedAndBlockedDomainsPolicy: p });
      expect((await patch({ blockedDomains: ['*.blocked.example', 'spam.example'] })).status).toBe(204);
      const before = await counts();
      for (const address of ['x@sub.blocked.example', 'x@spam.example']) {
        const res = await invite({ invitedUserEmailAddress: address, inviteRedirectUrl: REDIRECT });
        expect(res.status).toBe(403);
        expect(res.body.error.innerError.code).toBe('invitation.domain_blocked');
        expect(res.body.error.message).toMatch(/is currently blocked by your invitation policy: policies\/b2bManagementPolicy blocks/);
      }
      expect(await counts()).toEqual(before);
      expect((await invite({ invitedUserEmailAddress: 'x@blocked.example', inviteRedirectUrl: REDIRECT })).status).toBe(201);

      expect((await patch({ allowedDomains: ['fabrikam.example'] })).status).toBe(204);
      const res = await invite({ invitedUserEmailAddress: 'x@tailspin.example', inviteRedirectUrl: REDIRECT });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('allows invitations only to fabrikam.example');
      expect((await invite({ invitedUserEmailAddress: 'ivan@fabrikam.example', inviteRedirectUrl: REDIRECT })).status).toBe(201);

      const both = await patch({ allowedDomains: ['a.example'], blockedDomains: ['b.example'] });
      expect(both.status).toBe(400);
      expect(both.body.error.innerError.code).toBe('policy.invalid');
      const bad = await patch({ blockedDomains: ['not a domain'] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain("blockedDomains[0] 'not a domain'");
      expect((await graph(foyer, tokens.admin!, 'GET', '/policies/b2bManagementPolicy')).body.invitationsAllowedAndBlockedDomainsPolicy).toEqual({
        allowedDomains: ['fabrikam.example'],
        blockedDomains: [],
      });
      await patch({ blockedDomains: [] });
    });
  });

  describe('the audit log', () => {
    it('records invitations and policy changes, filterable by activity and date', async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const res = await invite({ invitedUserEmailAddress: 'jill@fabrikam.example', inviteRedirectUrl: REDIRECT });
      const audits = await graph(
        foyer,
        tokens.admin!,
        'GET',
        `/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDisplayName eq 'Invite external user' and activityDateTime ge ${since}`)}`,
      );
      expect(audits.status).toBe(200);
      const event = audits.body.value.find((e: any) => e.targetResources.some((t: any) => t.id === res.body.invitedUser.id));
      expect(event).toMatchObject({
        activityDisplayName: 'Invite external user',
        category: 'UserManagement',
        loggedByService: 'Invited Users',
        result: 'success',
        initiatedBy: { app: { appId: expect.any(String) } },
      });
      const policy = await graph(foyer, tokens.admin!, 'GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent("category eq 'Policy'")}&$top=1`);
      expect(policy.body.value[0]).toMatchObject({ activityDisplayName: 'Update B2B management policy', result: 'success' });
      expect(policy.body['@odata.nextLink']).toContain('skiptoken=');
      const next = await graph(foyer, tokens.admin!, 'GET', policy.body['@odata.nextLink'].slice(`${foyer.url}/graph/v1.0`.length));
      expect(next.status).toBe(200);
      expect(next.body.value[0].id).not.toBe(policy.body.value[0].id);
      expect((await graph(foyer, tokens.inviter!, 'GET', '/auditLogs/directoryAudits')).status).toBe(403);
      expect(
        (await graph(foyer, tokens.admin!, 'GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent('activityDateTime ge yesterday')}`)).status,
      ).toBe(400);
    });

    it('records the deletion of a guest as "Delete external user"', async () => {
      const res = await invite({ invitedUserEmailAddress: 'kim@fabrikam.example', inviteRedirectUrl: REDIRECT });
      expect((await graph(foyer, tokens.admin!, 'DELETE', `/users/${res.body.invitedUser.id}`)).status).toBe(204);
      const audits = await graph(
        foyer,
        tokens.admin!,
        'GET',
        `/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Delete external user'")}`,
      );
      expect(audits.body.value[0].targetResources[0]).toMatchObject({ id: res.body.invitedUser.id, type: 'User' });
      expect((await graph(foyer, tokens.admin!, 'GET', `/invitations/${res.body.id}`)).body.redemptionLinkStatus).toBe('revoked');
    });
  });

  describe('delivery', () => {
    it('retries while the SMTP server refuses for now, then delivers', async () => {
      smtp.mode = 'tempfail';
      const before = smtp.messages.length;
      const attempts = smtp.attempts;
      const res = await invite({ invitedUserEmailAddress: 'lena@fabrikam.example', inviteRedirectUrl: REDIRECT, sendInvitationMessage: true });
      while (smtp.attempts < attempts + 2) await new Promise((r) => setTimeout(r, 20));
      const queued = await graph(foyer, tokens.inviter!, 'GET', `/invitations/${res.body.id}`);
      expect(queued.body.messageDeliveryStatus).toMatchObject({ state: 'queued', error: expect.stringContaining('451') });
      smtp.mode = 'accept';
      const mails = await smtp.waitFor(before + 1);
      expect(mails.at(-1)!.to).toMatchObject({ value: [{ address: 'lena@fabrikam.example' }] });
      const status = (await settled(res.body.id)).body.messageDeliveryStatus;
      expect(status).toMatchObject({ state: 'sent', error: null });
      expect(status.attempts).toBeGreaterThanOrEqual(3);
    });

    it('marks a message failed, with the reason, when the server refuses for good', async () => {
      smtp.mode = 'permfail';
      const res = await invite({ invitedUserEmailAddress: 'mats@fabrikam.example', inviteRedirectUrl: REDIRECT, sendInvitationMessage: true });
      const status = (await settled(res.body.id)).body.messageDeliveryStatus;
      expect(status).toMatchObject({ state: 'failed', attempts: 1, error: expect.stringContaining('550') });
      const row = await foyer.ctx.db.kysely.selectFrom('outbox').select('secret').where('invitation_id', '=', res.body.id).executeTakeFirstOrThrow();
      expect(row.secret).toBeNull(); // nothing left to decrypt a link from
      const audits = await graph(
        foyer,
        tokens.admin!,
        'GET',
        `/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Invitation email delivery failed'")}`,
      );
      expect(audits.body.value[0]).toMatchObject({ result: 'failure', resultReason: expect.stringContaining('550') });
    });
  });

  describe('races', () => {
    it('ten simultaneous invitations of one new address make one guest with one working link', async () => {
      const all = await Promise.all(
        Array.from({ length: 10 }, () => invite({ invitedUserEmailAddress: 'race@fabrikam.example', inviteRedirectUrl: REDIRECT })),
      );
      expect(all.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(new Set(all.map((r) => r.body.invitedUser.id)).size).toBe(1);
      const states = await Promise.all(
        all.map(async (r) => (await graph(foyer, tokens.inviter!, 'GET', `/invitations/${r.body.id}`)).body.redemptionLinkStatus),
      );
      expect(states.filter((s) => s === 'active')).toHaveLength(1);

      const again = await Promise.all(
        Array.from({ length: 10 }, () => invite({ invitedUserEmailAddress: 'race@fabrikam.example', inviteRedirectUrl: REDIRECT })),
      );
      const after = await Promise.all(
        [...all, ...again].map(async (r) => (await graph(foyer, tokens.inviter!, 'GET', `/invitations/${r.body.id}`)).body.redemptionLinkStatus),
      );
      expect(after.filter((s) => s === 'active')).toHaveLength(1);
    });
  });

  describe('query options', () => {
    it('refuses repeated or malformed paging options instead of failing', async () => {
      for (const q of ['$skiptoken=a&$skiptoken=b', 'invitedUserId=a&invitedUserId=b', '$skiptoken=not-an-id', '$top=0', '$top=abc']) {
        const res = await graph(foyer, tokens.inviter!, 'GET', `/invitations?${q}`);
        expect(res.status, q).toBe(400);
        expect(res.body.error.innerError.code).toBe('request.invalid_query');
      }
    });
  });

  describe('delivery, continued', () => {
    it('counts a message refused for the invitee as failed even when the cc copy was accepted', async () => {
      smtp.rejectRecipients.add('nobody@fabrikam.example');
      try {
        const res = await invite({
          invitedUserEmailAddress: 'nobody@fabrikam.example',
          inviteRedirectUrl: REDIRECT,
          sendInvitationMessage: true,
          invitedUserMessageInfo: { ccRecipients: [{ emailAddress: { address: 'boss@fabrikam.example' } }] },
        });
        const status = (await settled(res.body.id)).body.messageDeliveryStatus;
        expect(status).toMatchObject({ state: 'failed', error: expect.stringContaining('No such user') });
      } finally {
        smtp.rejectRecipients.clear();
      }
    });
  });
});
