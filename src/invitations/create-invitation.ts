/**
 * The invitation manager: `POST /invitations` and `foyer invite` both end here. It checks the request
 * against the tenant's policies, then in ONE transaction creates or re-arms the guest, issues a fresh
 * ticket (retiring the guest's older ones), queues the e-mail in the outbox and writes the audit event:
 * either all of it is committed or none of it.
 */
import type { AppContext } from '../context.js';
import { type Actor, type AuditEvent, activities, recordAudit, recordAudits } from '../audit/audit-log.js';
import { parseEmailAddress } from '../directory/domains.js';
import { type Tenant, type TenantDomain, listTenantDomains, requireTenant } from '../directory/tenants.js';
import { type User, userFromRow } from '../directory/users.js';
import { FoyerError } from '../errors/foyer-error.js';
import { invitationLocale } from '../mail/invitation-email.js';
import { type InvitationMailPayload, enqueueMail } from '../mail/outbox.js';
import { newId } from '../platform/ids.js';
import { seal, signLink } from '../platform/instance-keys.js';
import { type Executor, isUniqueViolation } from '../storage/database.js';
import { revokeAccountArtefacts } from '../oidc/adapter.js';
import { type InvitingParty, checkInviteeDomain, checkRedirectUrl, mayInvite } from './invite-rules.js';
import { type InvitationPolicies, readInvitationPolicies } from './policies.js';
import { newTicket, redeemUrl, ticketExpiry } from './tickets.js';
import type { InvitationFields } from './invitation-queries.js';

/** Entra allows one cc recipient (item 109) and five sponsors (item 20). */
export const MAX_CC_RECIPIENTS = 1;
export const MAX_SPONSORS = 5;
/** Long enough for any welcome note, short enough that nobody mails a document through Foyer. */
export const MAX_MESSAGE_CHARS = 4000;

export interface InvitationRequest {
  invitedUserEmailAddress: string;
  inviteRedirectUrl: string;
  invitedUserDisplayName?: string | null;
  invitedUserType?: 'Guest' | 'Member';
  sendInvitationMessage?: boolean;
  customizedMessageBody?: string | null;
  messageLanguage?: string | null;
  ccRecipients?: Array<{ address: string | null; name: string | null }>;
  /** `invitedUser.id`: re-invite this user, or reset their redemption. */
  invitedUserId?: string | null;
  resetRedemption?: boolean;
  /** `invitedUserSponsors` ids; empty: the inviting person is the sponsor. */
  sponsorIds?: string[];
}

export interface Inviter extends InvitingParty {
  actor: Actor;
}

export interface CreatedInvitation extends InvitationFields {
  /** Returned once, here; never stored. */
  inviteRedeemUrl: string;
  invitedUser: { id: string; userPrincipalName: string };
  sponsorIds: string[];
}

const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/;

/** `alice@Example.com` invited into contoso.foyer.example → `alice_example.com#EXT#@contoso.foyer.example`. */
export function guestUserPrincipalName(local: string, domain: string, initialDomain: string): string {
  return `${local}_${domain}#EXT#@${initialDomain}`;
}

function refuse(refusal: { code: ConstructorParameters<typeof FoyerError>[0]; message: string } | undefined): void {
  if (refusal) throw new FoyerError(refusal.code, refusal.message);
}

/** Everything that can be checked before touching the database, in the order a person would fix them. */
function checkRequest(req: InvitationRequest) {
  const address = parseEmailAddress(req.invitedUserEmailAddress);
  if (!address) {
    throw new FoyerError(
      'invitation.invalid_address',
      `The invitedUserEmailAddress '${String(req.invitedUserEmailAddress).slice(0, 256)}' is not a valid e-mail address. Use a single person's address; the characters ~ ! # $ % ^ & * ( ) + = [ ] { } \\ / | ; : " < > ? , are not allowed.`,
    );
  }
  refuse(checkRedirectUrl(req.inviteRedirectUrl));
  const message = req.customizedMessageBody?.trim() ? req.customizedMessageBody : null;
  if (message && message.length > MAX_MESSAGE_CHARS) {
    throw new FoyerError(
      'invitation.invalid_message',
      `The customizedMessageBody is ${message.length} characters long; at most ${MAX_MESSAGE_CHARS} are allowed.`,
    );
  }
  if (req.messageLanguage && !LANGUAGE_TAG.test(req.messageLanguage)) {
    throw new FoyerError('invitation.invalid_message', `The messageLanguage '${req.messageLanguage.slice(0, 40)}' is not a language tag like en-US.`);
  }
  // Graph's SDKs send an empty placeholder recipient ({ name: null, address: null }): not a recipient.
  const cc = (req.ccRecipients ?? []).filter((r) => r.address !== null && r.address !== '');
  if (cc.length > MAX_CC_RECIPIENTS) {
    throw new FoyerError('invitation.invalid_message', `Only ${MAX_CC_RECIPIENTS} additional recipient is supported in ccRecipients; ${cc.length} were given.`);
  }
  let ccRecipient: CreatedInvitation['ccRecipient'] = null;
  if (cc[0]) {
    const parsed = parseEmailAddress(cc[0].address);
    if (!parsed) throw new FoyerError('invitation.invalid_address', `The ccRecipients address '${String(cc[0].address).slice(0, 256)}' is not a valid e-mail address.`);
    ccRecipient = { address: parsed.address, name: cc[0].name ?? null };
  }
  if (req.resetRedemption && !req.invitedUserId) {
    throw new FoyerError('invitation.reset_invalid', 'resetRedemption needs invitedUser.id: the user whose redemption status is reset.');
  }
  const sponsorIds = [...new Set((req.sponsorIds ?? []).map((s) => s.toLowerCase()))];
  if (sponsorIds.length > MAX_SPONSORS) {
    throw new FoyerError('invitation.sponsor_not_found', `At most ${MAX_SPONSORS} sponsors can be named; ${sponsorIds.length} were given.`);
  }
  return { address, message, ccRecipient, sponsorIds };
}

export interface InvitationOptions {
  correlationId?: string;
  /** Tenant, domains and policies already loaded (bulk invite loads them once). */
  preloaded?: { tenant: Tenant; domains: TenantDomain[]; policies: InvitationPolicies };
}

export async function loadInvitationContext(ctx: AppContext, tenantId: string) {
  const [tenant, domains, policies] = await Promise.all([
    requireTenant(ctx.db.kysely, tenantId),
    listTenantDomains(ctx.db.kysely, tenantId),
    readInvitationPolicies(ctx.db.kysely, tenantId),
  ]);
  return { tenant, domains, policies };
}

export async function createInvitation(
  ctx: AppContext,
  tenantId: string,
  inviter: Inviter,
  req: InvitationRequest,
  options: InvitationOptions = {},
): Promise<CreatedInvitation> {
  const { address, message, ccRecipient, sponsorIds } = checkRequest(req);
  const invitedUserType = req.invitedUserType ?? 'Guest';
  const resetRedemption = req.resetRedemption === true;
  const send = req.sendInvitationMessage === true;
  const { tenant, domains, policies } = options.preloaded ?? (await loadInvitationContext(ctx, tenantId));
  refuse(mayInvite(inviter, policies.authorization.allowInvitesFrom, { invitedUserType, resetRedemption }));
  if (domains.some((d) => d.domain === address.domain)) {
    throw new FoyerError(
      'invitation.invitee_is_member',
      `${address.address} is on ${address.domain}, a verified domain of ${tenant.displayName}: people there are members of this organization, not guests. Create them with POST /users instead.`,
    );
  }
  refuse(checkInviteeDomain(address.domain, policies.b2bManagement));
  const correlationId = options.correlationId ?? newId();
  const now = ctx.clock.now();

  if (send) {
    const blocked = await ctx.db.kysely
      .selectFrom('invitation_blocks')
      .select('created_at')
      .where('tenant_id', '=', tenantId)
      .where('address_lower', '=', address.lower)
      .executeTakeFirst();
    if (blocked) {
      await recordAudit(ctx.db.kysely, {
        tenantId,
        activity: activities.emailNotSentUnsubscribed,
        category: 'UserManagement',
        operationType: 'Other',
        result: 'failure',
        resultReason: 'The recipient blocked invitations from this organization',
        actor: inviter.actor,
        targets: [{ id: null, type: 'User', displayName: address.address }],
        correlationId,
        at: now,
      });
      throw new FoyerError(
        'invitation.invitee_unsubscribed',
        `${address.address} has chosen to block future invitations from ${tenant.displayName}, so no invitation was sent. They can undo this from the link in any earlier invitation e-mail; or send the invitation with sendInvitationMessage false and share the link yourself.`,
      );
    }
  }

  const ticket = newTicket();
  const invitationId = newId();
  const link = redeemUrl(ctx.config.publicUrl, tenantId, invitationId, ticket.ticket);
  const blockUrl = await invitationBlockUrl(ctx, tenantId, address.lower);
  const sealedTicket = send ? await seal(ctx.db, ctx.clock, ticket.ticket) : null;

  const attempt = () =>
    ctx.db.transaction(async (trx) => {
      const target = await findInvitee(trx, tenant, address, req.invitedUserId ?? null, resetRedemption, inviter);
      const sponsors = sponsorIds.length ? sponsorIds : inviter.actor.kind === 'user' ? [inviter.actor.id] : [];
      if (sponsorIds.length) {
        const found = await trx.selectFrom('users').select('id').where('tenant_id', '=', tenantId).where('id', 'in', sponsorIds).where('deleted_at', 'is', null).execute();
        const missing = sponsorIds.find((s) => !found.some((f) => f.id === s));
        if (missing) throw new FoyerError('invitation.sponsor_not_found', `The sponsor '${missing}' is not a user of ${tenant.displayName}.`);
      }

      let user: { id: string; userPrincipalName: string; preferredLanguage: string | null; displayName: string };
      let status: CreatedInvitation['status'] = 'PendingAcceptance';
      if (target.kind === 'new') {
        const upn = guestUserPrincipalName(address.local, address.domain, tenant.initialDomain);
        const displayName = req.invitedUserDisplayName?.trim() || address.local;
        const id = newId();
        await insertGuestRow(trx, { id, tenantId, upn, mail: address.address, displayName, userType: invitedUserType, issuer: tenant.initialDomain, now });
        user = { id, userPrincipalName: upn, preferredLanguage: null, displayName };
      } else {
        const existing = target.user;
        user = existing;
        if (resetRedemption) {
          // Back to PendingAcceptance with the same object id, UPN, groups and apps; the identity bound
          // at the last redemption is released so the person can redeem again, maybe with another one.
          await trx
            .updateTable('users')
            .set({ external_user_state: 'PendingAcceptance', external_user_state_change_at: now, tokens_revoked_at: now })
            .where('id', '=', existing.id)
            .execute();
          await trx.deleteFrom('user_identities').where('user_id', '=', existing.id).where('sign_in_type', '<>', 'userPrincipalName').execute();
          await revokeAccountArtefacts(trx, tenantId, existing.id);
          await trx.updateTable('invitations').set({ ticket_state: 'revoked' }).where('user_id', '=', existing.id).where('ticket_state', 'in', ['active', 'redeemed']).execute();
        } else if (existing.externalUserState === 'Accepted') {
          status = 'Completed';
        }
        // A new link replaces the old one: only the latest invitation's ticket works.
        await trx.updateTable('invitations').set({ ticket_state: 'superseded' }).where('user_id', '=', existing.id).where('ticket_state', '=', 'active').execute();
      }
      if (sponsors.length) {
        await trx
          .insertInto('user_sponsors')
          .values(sponsors.map((s) => ({ user_id: user.id, sponsor_id: s, tenant_id: tenantId, created_at: now })))
          .onConflict((oc) => oc.columns(['user_id', 'sponsor_id']).doNothing())
          .execute();
      }
      await trx
        .insertInto('invitations')
        .values({
          id: invitationId,
          tenant_id: tenantId,
          user_id: user.id,
          invited_email: address.address,
          invited_email_lower: address.lower,
          invited_display_name: req.invitedUserDisplayName ?? null,
          invited_user_type: invitedUserType,
          redirect_url: req.inviteRedirectUrl,
          send_message: send ? 1 : 0,
          message_body: message,
          message_language: req.messageLanguage ?? null,
          cc_address: ccRecipient?.address ?? null,
          cc_name: ccRecipient?.name ?? null,
          reset_redemption: resetRedemption ? 1 : 0,
          status,
          ticket_hash: ticket.hash,
          // An accepted guest's new link is a return link: it signs in the bound identity, binds no other.
          ticket_state: status === 'Completed' ? 'redeemed' : 'active',
          ticket_expires_at: ticketExpiry(now, policies.invitation.redemptionTicketLifetimeInDays),
          inviter: JSON.stringify(inviter.actor),
          created_at: now,
          redeemed_at: null,
        })
        .execute();
      if (send) {
        const payload: InvitationMailPayload = {
          kind: 'invitation',
          to: { address: address.address, name: req.invitedUserDisplayName ?? null },
          cc: ccRecipient,
          replyTo: inviter.actor.kind === 'user' ? inviter.actor.mail : null,
          email: {
            locale: invitationLocale(req.messageLanguage, user.preferredLanguage, tenant.preferredLanguage),
            organization: {
              name: tenant.displayName,
              primaryDomain: domains.find((d) => d.isDefault)?.domain ?? tenant.initialDomain,
              logoUrl: tenant.branding.bannerLogoUrl ?? null,
              backgroundColor: tenant.branding.backgroundColor ?? null,
              privacyStatementUrl: tenant.privacyStatementUrl,
            },
            inviter:
              inviter.actor.kind === 'user'
                ? { kind: 'user', displayName: inviter.actor.displayName, mail: inviter.actor.mail }
                : { kind: 'app', displayName: tenant.displayName },
            invitee: { address: address.address, displayName: req.invitedUserDisplayName ?? null },
            personalMessage: message,
            redirectUrl: req.inviteRedirectUrl,
            blockUrl,
          },
        };
        await enqueueMail(trx, ctx, { tenantId, invitationId, recipient: address.address, payload, secret: sealedTicket, now });
      }
      const audit: AuditEvent = {
        tenantId,
        activity: resetRedemption ? activities.inviteWithReset : activities.invite,
        category: 'UserManagement',
        operationType: resetRedemption ? 'Update' : 'Add',
        result: 'success',
        actor: inviter.actor,
        targets: [
          { id: user.id, type: 'User', displayName: user.displayName, userPrincipalName: user.userPrincipalName },
          { id: invitationId, type: 'Invitation', displayName: address.address },
        ],
        details: { invitedUserEmailAddress: address.address, invitedUserType, sendInvitationMessage: String(send), status },
        correlationId,
        at: now,
      };
      await recordAudits(trx, [audit]);
      return { user, status };
    });

  let outcome: Awaited<ReturnType<typeof attempt>>;
  try {
    outcome = await attempt();
  } catch (err) {
    // Two invitations for one new address at once: the guest's unique UPN lets one create it; the
    // other, retried, finds that guest and re-invites it (as if it had come a moment later).
    if (!isUniqueViolation(err)) throw err;
    outcome = await attempt();
  }
  return {
    id: invitationId,
    inviteRedeemUrl: link,
    invitedUserDisplayName: req.invitedUserDisplayName ?? null,
    invitedUserEmailAddress: address.address,
    invitedUserType,
    inviteRedirectUrl: req.inviteRedirectUrl,
    sendInvitationMessage: send,
    resetRedemption,
    status: outcome.status,
    messageLanguage: req.messageLanguage ?? null,
    customizedMessageBody: message,
    ccRecipient,
    invitedUser: { id: outcome.user.id, userPrincipalName: outcome.user.userPrincipalName },
    sponsorIds,
  };
}

type Invitee = { kind: 'new' } | { kind: 'existing'; user: User };

/** Which user this invitation is for: an existing guest (re-invite), a reset target, or a new guest. */
async function findInvitee(
  trx: Executor,
  tenant: Tenant,
  address: { address: string; lower: string; local: string; domain: string },
  invitedUserId: string | null,
  reset: boolean,
  inviter: Inviter,
): Promise<Invitee> {
  if (invitedUserId) {
    const row = await trx
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', invitedUserId.toLowerCase())
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) {
      throw new FoyerError('directory.not_found', `Resource '${invitedUserId}' does not exist or one of its queried reference-property objects are not present.`);
    }
    const user = userFromRow(row);
    const addresses = [user.mail, ...user.otherMails].filter((m): m is string => !!m).map((m) => m.toLowerCase());
    if (!addresses.includes(address.lower)) {
      throw new FoyerError(
        'invitation.reset_invalid',
        "The email you're using to invite this user doesn't match any emails on the user object. Please add this email to the user object and try again.",
      );
    }
    if (user.creationType !== 'Invitation') {
      throw new FoyerError(
        reset ? 'invitation.reset_invalid' : 'invitation.invitee_is_member',
        `${user.userPrincipalName} is a member of ${tenant.displayName}, not an invited user; its redemption status cannot be reset.`,
      );
    }
    if (reset && inviter.kind !== 'user') {
      // Entra: app-only calls cannot reset users who hold directory roles.
      const roles = await trx.selectFrom('role_assignments').select('role_template_id').where('principal_id', '=', user.id).executeTakeFirst();
      if (roles) throw new FoyerError('invitation.not_allowed', 'An app acting as itself cannot reset the redemption status of a user who holds a directory role.');
    }
    return { kind: 'existing', user };
  }
  const guestUpn = guestUserPrincipalName(address.local, address.domain, tenant.initialDomain).toLowerCase();
  const rows = await trx
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('mail_lower', '=', address.lower), eb('upn_lower', '=', guestUpn)]))
    .execute();
  const users = rows.map(userFromRow);
  const member = users.find((u) => u.creationType !== 'Invitation');
  if (member) {
    throw new FoyerError(
      'invitation.invitee_is_member',
      `${address.address} is already a member of ${tenant.displayName} (${member.userPrincipalName}); members cannot be invited as guests.`,
    );
  }
  const guest = users.find((u) => u.userPrincipalName.toLowerCase() === guestUpn) ?? users[0];
  if (reset) throw new FoyerError('invitation.reset_invalid', 'resetRedemption needs invitedUser.id.');
  return guest ? { kind: 'existing', user: guest } : { kind: 'new' };
}

async function insertGuestRow(
  trx: Executor,
  g: { id: string; tenantId: string; upn: string; mail: string; displayName: string; userType: 'Guest' | 'Member'; issuer: string; now: number },
): Promise<void> {
  await trx
    .insertInto('users')
    .values({
      id: g.id,
      tenant_id: g.tenantId,
      user_principal_name: g.upn,
      upn_lower: g.upn.toLowerCase(),
      mail: g.mail,
      mail_lower: g.mail.toLowerCase(),
      other_mails: JSON.stringify([g.mail]),
      display_name: g.displayName,
      display_name_lower: g.displayName.toLowerCase(),
      given_name: null,
      given_name_lower: null,
      surname: null,
      surname_lower: null,
      job_title: null,
      company_name: null,
      preferred_language: null,
      account_enabled: 1,
      user_type: g.userType,
      creation_type: 'Invitation',
      external_user_state: 'PendingAcceptance',
      external_user_state_change_at: g.now,
      password_hash: null,
      tokens_revoked_at: null,
      created_at: g.now,
      deleted_at: null,
    })
    .execute();
  // Before redemption a guest's only identity is its name here, as Entra shows it (item 53).
  await trx
    .insertInto('user_identities')
    .values({ user_id: g.id, tenant_id: g.tenantId, sign_in_type: 'userPrincipalName', issuer: g.issuer, issuer_assigned_id: g.upn, created_at: g.now })
    .execute();
}

/** The signed "Block future invitations" link for an address and tenant. */
export async function invitationBlockUrl(ctx: AppContext, tenantId: string, addressLower: string): Promise<string> {
  const sig = await signLink(ctx.db, ctx.clock, ['block-invitations', tenantId, addressLower]);
  const params = new URLSearchParams({ tenant: tenantId, address: addressLower, sig });
  return `${ctx.config.publicUrl}/invitations/block?${params.toString()}`;
}
