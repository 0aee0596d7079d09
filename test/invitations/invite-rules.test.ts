/** The pure decisions behind an invitation, as tables of cases. */
import { describe, expect, it } from 'vitest';
import { domainMatches } from '../../src/directory/domains.js';
import type { AllowInvitesFrom } from '../../src/directory/policies.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { checkInviteeDomain, checkRedirectUrl, type InvitingParty, mayInvite } from '../../src/invitations/invite-rules.js';
import { ticketVerdict } from '../../src/invitations/tickets.js';
import { retryDelay } from '../../src/mail/outbox.js';

const app = (p: string[]): InvitingParty => ({ kind: 'app', permissions: new Set(p) });
const person = (userType: 'Member' | 'Guest', roles: string[] = [], scopes = ['User.Invite.All']): InvitingParty => ({
  kind: 'user',
  permissions: new Set(scopes),
  roleIds: new Set(roles),
  userType,
});
const GI = directoryRoles.guestInviter.id;
const UA = directoryRoles.userAdministrator.id;

describe('who may invite', () => {
  type Request = { invitedUserType: 'Guest' | 'Member'; resetRedemption: boolean };
  const guest: Request = { invitedUserType: 'Guest', resetRedemption: false };
  const cases: Array<[string, InvitingParty, AllowInvitesFrom, Request, boolean]> = [
    ['an app with User.Invite.All, everyone', app(['User.Invite.All']), 'everyone', guest, true],
    ['an app with User.Invite.All, admins only (2024 rule: apps still may)', app(['User.Invite.All']), 'adminsAndGuestInviters', guest, true],
    ['an app with User.Invite.All, none', app(['User.Invite.All']), 'none', guest, false],
    ['an app with only User.Read.All', app(['User.Read.All']), 'everyone', guest, false],
    ['a member, everyone', person('Member'), 'everyone', guest, true],
    ['a guest, everyone', person('Guest'), 'everyone', guest, true],
    ['a guest, members only', person('Guest'), 'adminsGuestInvitersAndAllMembers', guest, false],
    ['a guest who is a Guest Inviter, members only', person('Guest', [GI]), 'adminsGuestInvitersAndAllMembers', guest, true],
    ['a member, members only', person('Member'), 'adminsGuestInvitersAndAllMembers', guest, true],
    ['a member, admins only', person('Member'), 'adminsAndGuestInviters', guest, false],
    ['a Guest Inviter, admins only', person('Member', [GI]), 'adminsAndGuestInviters', guest, true],
    ['a User Administrator, none', person('Member', [UA]), 'none', guest, false],
    ['a member without the scope', person('Member', [], ['User.Read']), 'everyone', guest, false],
    ['a member inviting a Member', person('Member'), 'everyone', { invitedUserType: 'Member', resetRedemption: false }, false],
    ['a User Administrator inviting a Member', person('Member', [UA]), 'everyone', { invitedUserType: 'Member', resetRedemption: false }, true],
    ['an app resetting with User.Invite.All', app(['User.Invite.All']), 'everyone', { invitedUserType: 'Guest', resetRedemption: true }, false],
    ['an app resetting with User.ReadWrite.All', app(['User.ReadWrite.All']), 'everyone', { invitedUserType: 'Guest', resetRedemption: true }, true],
    ['a Guest Inviter resetting', person('Member', [GI], ['User.ReadWrite.All']), 'everyone', { invitedUserType: 'Guest', resetRedemption: true }, false],
    ['a User Administrator resetting', person('Member', [UA], ['User.ReadWrite.All']), 'everyone', { invitedUserType: 'Guest', resetRedemption: true }, true],
    ['the command line, everyone', { kind: 'cli', permissions: new Set() }, 'everyone', guest, true],
    ['the command line, none', { kind: 'cli', permissions: new Set() }, 'none', guest, false],
  ];
  it.each(cases)('%s → %s', (_name, party, policy, request, allowed) => {
    const refusal = mayInvite(party, policy, request);
    expect(refusal === undefined).toBe(allowed);
    if (refusal) expect(refusal.code).toBe('invitation.not_allowed');
  });
});

describe('domain lists', () => {
  it.each([
    ['fabrikam.example', 'fabrikam.example', true],
    ['FABRIKAM.example', 'fabrikam.example', true],
    ['mail.fabrikam.example', '*.fabrikam.example', true],
    ['a.b.fabrikam.example', '*.fabrikam.example', true],
    ['fabrikam.example', '*.fabrikam.example', false],
    ['evilfabrikam.example', '*.fabrikam.example', false],
    ['fabrikam.example.evil', 'fabrikam.example', false],
  ])('%s matches %s: %s', (domain, pattern, expected) => {
    expect(domainMatches(domain, pattern)).toBe(expected);
  });

  const policy = (allowedDomains: string[], blockedDomains: string[]) => ({ invitationsAllowedAndBlockedDomainsPolicy: { allowedDomains, blockedDomains } });
  it('allows everything when both lists are empty', () => expect(checkInviteeDomain('any.example', policy([], []))).toBeUndefined());
  it('refuses outside an allow list, naming the list', () =>
    expect(checkInviteeDomain('other.example', policy(['fabrikam.example'], []))?.message).toContain('allows invitations only to fabrikam.example'));
  it('refuses inside a deny list, naming the entry', () =>
    expect(checkInviteeDomain('x.spam.example', policy([], ['*.spam.example']))?.message).toContain('blocks *.spam.example'));
});

describe('redirect URLs', () => {
  it.each([
    ['https://apps.contoso.example/path?x=1', true],
    ['http://localhost:3000/cb', true],
    ['http://127.0.0.1/cb', true],
    ['http://apps.contoso.example/', false],
    ['ftp://apps.contoso.example/', false],
    ['javascript:alert(1)', false],
    ['//apps.contoso.example/', false],
    ['https://user:pw@apps.contoso.example/', false],
    [`https://a.example/${'x'.repeat(2100)}`, false],
  ])('%s → %s', (url, ok) => expect(checkRedirectUrl(url) === undefined).toBe(ok));
});

describe('ticket verdicts', () => {
  it.each([
    [{ ticket_state: 'active', ticket_expires_at: null }, 10, 'active'],
    [{ ticket_state: 'active', ticket_expires_at: 100 }, 99, 'active'],
    [{ ticket_state: 'active', ticket_expires_at: 100 }, 100, 'expired'],
    [{ ticket_state: 'superseded', ticket_expires_at: null }, 10, 'superseded'],
    [{ ticket_state: 'revoked', ticket_expires_at: 100 }, 200, 'revoked'],
    [{ ticket_state: 'redeemed', ticket_expires_at: null }, 10, 'redeemed'],
  ] as const)('%o at %d → %s', (row, now, verdict) => expect(ticketVerdict(row, now)).toBe(verdict));
});

describe('mail retry back-off', () => {
  const s = { retryBaseMs: 60_000, retryMaxMs: 3_600_000 };
  it('doubles from the base, within ±20%, up to the maximum', () => {
    expect(retryDelay(1, s, () => 0.5)).toBe(60_000);
    expect(retryDelay(2, s, () => 0.5)).toBe(120_000);
    expect(retryDelay(3, s, () => 0)).toBe(192_000);
    expect(retryDelay(4, s, () => 1)).toBe(576_000);
    expect(retryDelay(20, s, () => 0.5)).toBe(3_600_000);
  });
});
