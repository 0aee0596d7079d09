/**
 * Re-inviting a guest who has not accepted yet replaces their link: whoever follows the new link binds
 * their identity to the account. When that guest was given an administrator role, a Guest Inviter, a
 * member, an app or a lesser administrator could so take the role over; only those who may reset the
 * administrator's redemption may re-invite them. A refused re-invitation leaves the old link working
 * and queues no e-mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { HttpBrowser, visibleText } from '../support/http-browser.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const REDIRECT = 'https://apps.contoso.example/welcome';
const CALLBACK = 'http://localhost:3999/callback';

describe.each(backends)('re-inviting a pending guest who holds an administrator role on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let script: string;
  let people: Record<'member' | 'inviter' | 'userAdmin' | 'globalAdmin', string>;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    script = await appToken(
      foyer,
      tenant,
      await foyer.createApp(tenant.id, { displayName: 'script', applicationPermissions: ['User.Invite.All', 'User.ReadWrite.All'] }),
    );
    const console = await foyer.createApp(tenant.id, {
      displayName: 'Console',
      redirectUris: [CALLBACK],
      delegatedPermissions: ['User.Read', 'User.Invite.All', 'User.ReadWrite.All'],
    });
    const member = async (local: string, displayName: string, role?: string) => {
      const user = await createMember(foyer.ctx, tenant.id, { userPrincipalName: `${local}@contoso.example`, displayName, password: 'Quiet-Lantern-Orbit-7' });
      if (role) await assignRole(foyer.ctx, tenant.id, role, user.id);
      return `${local}@contoso.example`;
    };
    const token = async (email: string, password = 'Quiet-Lantern-Orbit-7') =>
      (await delegatedTokens(foyer, tenant, console, CALLBACK, { email, password }, 'openid User.Invite.All User.ReadWrite.All')).access_token;
    people = {
      member: await token(await member('mia', 'Mia Member')),
      inviter: await token(await member('ivo', 'Ivo Inviter', directoryRoles.guestInviter.id)),
      userAdmin: await token(await member('uma', 'Uma Useradmin', directoryRoles.userAdministrator.id)),
      globalAdmin: await token(tenant.admin.userPrincipalName, tenant.admin.password),
    };
  });
  afterAll(() => foyer?.stop());

  const invite = (token: string, body: Record<string, unknown>) =>
    graph(foyer, token, 'POST', '/invitations', { inviteRedirectUrl: REDIRECT, sendInvitationMessage: true, ...body });
  const queuedMail = async (address: string) => (await foyer.ctx.db.kysely.selectFrom('outbox').select('id').where('recipient', '=', address).execute()).length;
  const landing = async (link: string) => visibleText(await new HttpBrowser().go(link));

  async function pendingGuestWithRole(address: string, roleId: string): Promise<{ id: string; link: string }> {
    const made = await invite(people.inviter, { invitedUserEmailAddress: address });
    expect(made.status).toBe(201);
    await assignRole(foyer.ctx, tenant.id, roleId, made.body.invitedUser.id);
    return { id: made.body.invitedUser.id, link: made.body.inviteRedeemUrl };
  }

  it('a Guest Inviter, a member, an app and a User Administrator get 403; the old link keeps working and no mail is queued', async () => {
    const gail = await pendingGuestWithRole('gail@fabrikam.example', directoryRoles.globalAdministrator.id);
    expect(await landing(gail.link)).toContain('invited you');
    const mails = await queuedMail('gail@fabrikam.example');

    for (const token of [people.inviter, people.member, script, people.userAdmin]) {
      for (const body of [
        { invitedUserEmailAddress: 'gail@fabrikam.example' },
        { invitedUserEmailAddress: 'gail@fabrikam.example', invitedUser: { id: gail.id } },
      ]) {
        const res = await invite(token, body);
        expect(res.status).toBe(403);
        expect(res.body.error).toMatchObject({ code: 'Authorization_RequestDenied', innerError: { code: 'invitation.not_allowed' } });
        expect(res.body.error.message).toContain('holds an administrator role and has not accepted their invitation yet');
      }
    }
    expect(await queuedMail('gail@fabrikam.example')).toBe(mails);
    const landed = await landing(gail.link);
    expect(landed).toContain('invited you');
    expect(landed).not.toContain('replaced by a newer one');

    // A Global Administrator may: the new link replaces the old one, and its e-mail is queued.
    const byAdmin = await invite(people.globalAdmin, { invitedUserEmailAddress: 'gail@fabrikam.example' });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.invitedUser.id).toBe(gail.id);
    expect(await queuedMail('gail@fabrikam.example')).toBe(mails + 1);
    expect(await landing(gail.link)).toContain('replaced by a newer one');
  });

  it('a pending User Administrator may be re-invited by a User Administrator, not by a Guest Inviter', async () => {
    const ursula = await pendingGuestWithRole('ursula@fabrikam.example', directoryRoles.userAdministrator.id);
    expect((await invite(people.inviter, { invitedUserEmailAddress: 'ursula@fabrikam.example' })).status).toBe(403);
    expect(await landing(ursula.link)).toContain('invited you');
    const byUserAdmin = await invite(people.userAdmin, { invitedUserEmailAddress: 'ursula@fabrikam.example' });
    expect(byUserAdmin.status).toBe(201);
    expect(await landing(ursula.link)).toContain('replaced by a newer one');
  });

  it('a pending guest whose role is not an administrator’s (Guest Inviter) is re-invited by anyone who may invite', async () => {
    const gus = await pendingGuestWithRole('gus@fabrikam.example', directoryRoles.guestInviter.id);
    const again = await invite(people.member, { invitedUserEmailAddress: 'gus@fabrikam.example' });
    expect(again.status).toBe(201);
    expect(await landing(gus.link)).toContain('replaced by a newer one');
  });
});
