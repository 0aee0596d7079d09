/**
 * Pure decisions about an invitation: may this party invite, may it invite this address. Each refusal
 * names the rule that refused it, so an administrator reading the error knows which setting to change.
 */

import { domainMatches } from '../directory/domains.js';
import type { AllowInvitesFrom, B2bManagementPolicy } from '../directory/policies.js';
import { directoryRoles } from '../directory/roles.js';
import type { ErrorCode } from '../platform/errors/catalogue.js';

export interface InvitingParty {
  /** `cli`: the operator on the server's command line, treated like an app acting as itself. */
  kind: 'user' | 'app' | 'cli';
  /** Application permissions (app) or delegated scopes (user); unused for the CLI. */
  permissions: ReadonlySet<string>;
  /** For people: their directory roles and whether they are a guest here. */
  roleIds?: ReadonlySet<string>;
  userType?: 'Member' | 'Guest';
}

export interface Refusal {
  code: ErrorCode;
  message: string;
}

const ADMINS = [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id];
const INVITER_ROLES = [...ADMINS, directoryRoles.guestInviter.id];

const holds = (party: InvitingParty, roles: readonly string[]) => roles.some((r) => party.roleIds?.has(r));
const granted = (party: InvitingParty, names: readonly string[]) => party.kind === 'cli' || names.some((n) => party.permissions.has(n));

/** Permissions that allow creating invitations (Graph: User.Invite.All is the least privileged). */
export const invitePermissions = ['User.Invite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'] as const;
/** Resetting a redemption needs more (Graph: User.ReadWrite.All). */
export const resetPermissions = ['User.ReadWrite.All', 'Directory.ReadWrite.All'] as const;

export function mayInvite(
  party: InvitingParty,
  allowInvitesFrom: AllowInvitesFrom,
  request: { invitedUserType: 'Guest' | 'Member'; resetRedemption: boolean },
): Refusal | undefined {
  const denied = (message: string): Refusal => ({ code: 'invitation.not_allowed', message });
  if (!granted(party, invitePermissions)) {
    return denied(`Insufficient privileges to complete the operation: inviting needs one of the permissions ${invitePermissions.join(', ')}.`);
  }
  if (allowInvitesFrom === 'none') {
    return denied("Invitations are turned off for this organization: policies/authorizationPolicy sets allowInvitesFrom to 'none'.");
  }
  if (party.kind === 'user') {
    if (allowInvitesFrom === 'adminsAndGuestInviters' && !holds(party, INVITER_ROLES)) {
      return denied(
        "You do not have permission to invite users: policies/authorizationPolicy sets allowInvitesFrom to 'adminsAndGuestInviters', and you hold none of the roles Global Administrator, User Administrator or Guest Inviter.",
      );
    }
    if (allowInvitesFrom === 'adminsGuestInvitersAndAllMembers' && party.userType === 'Guest' && !holds(party, INVITER_ROLES)) {
      return denied(
        "You do not have permission to invite users: policies/authorizationPolicy sets allowInvitesFrom to 'adminsGuestInvitersAndAllMembers', which does not include guests.",
      );
    }
    if (request.invitedUserType === 'Member' && !holds(party, ADMINS)) {
      return denied("Only a Global Administrator or User Administrator can invite with invitedUserType 'Member'.");
    }
  }
  if (request.resetRedemption) {
    if (!granted(party, resetPermissions)) {
      return denied(`Insufficient privileges to complete the operation: resetRedemption needs one of the permissions ${resetPermissions.join(', ')}.`);
    }
    if (party.kind === 'user' && !holds(party, ADMINS)) {
      return denied('Only a Global Administrator or User Administrator can reset the redemption status of a user.');
    }
  }
  return undefined;
}

/** The domain allow or deny list (one or the other, as in Entra). */
export function checkInviteeDomain(domain: string, policy: B2bManagementPolicy): Refusal | undefined {
  const { allowedDomains, blockedDomains } = policy.invitationsAllowedAndBlockedDomainsPolicy;
  if (allowedDomains.length > 0 && !allowedDomains.some((p) => domainMatches(domain, p))) {
    return {
      code: 'invitation.domain_blocked',
      message: `The domain of the user (${domain}) is currently blocked by your invitation policy: policies/b2bManagementPolicy allows invitations only to ${allowedDomains.join(', ')}.`,
    };
  }
  const blocked = blockedDomains.find((p) => domainMatches(domain, p));
  if (blocked) {
    return {
      code: 'invitation.domain_blocked',
      message: `The domain of the user (${domain}) is currently blocked by your invitation policy: policies/b2bManagementPolicy blocks ${blocked}.`,
    };
  }
  return undefined;
}

/** `inviteRedirectUrl`: an absolute https URL, or http on localhost. */
export function checkRedirectUrl(value: string): Refusal | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const loopback = url && url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]');
  if (!url || !(url.protocol === 'https:' || loopback) || url.username || url.password || value.length > 2048) {
    return {
      code: 'invitation.invalid_redirect_url',
      message: `The inviteRedirectUrl '${value.slice(0, 200)}' is not valid: it must be an absolute https URL (http only on localhost), without user name or password, of at most 2048 characters.`,
    };
  }
  return undefined;
}
