/**
 * The invitation manager: `POST /invitations` and `foyer invite` both end here. It checks the request
 * against the tenant's policies, then in ONE transaction creates or re-arms the guest, issues a fresh
 * ticket (retiring the guest's older ones), queues the e-mail in the outbox and writes the audit event:
 * either all of it is committed or none of it.
 */

import { activities, recordAudit } from '../directory/audit-log.js';
import { beginDirectoryWrite } from '../directory/changes.js';
import { insertInvitedUser, resetRedemption as resetGuestRedemption } from '../directory/invited-users.js';
import { enqueueMail, outboxSignal } from '../mail/index.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { seal, signLink } from '../platform/instance-keys.js';
import { isUniqueViolation } from '../platform/storage/database.js';
import { loadInvitationContext } from './invitation-context.js';
import { invitationLocale } from './invitation-email.js';
import type { InvitationMailPayload } from './invitation-mail.js';
import { type CreatedInvitation, checkRequest, guestUserPrincipalName, type InvitationRequest, type Inviter, refuse } from './invitation-request.js';
import { checkInviteeDomain, mayInvite } from './invite-rules.js';
import { addInvitationSponsors, findInvitee, type InvitedUser } from './invitee.js';
import { retireLinks } from './links.js';
import { newTicket, redeemUrl, ticketExpiry } from './tickets.js';

export { countInvitationRequest, forgetInvitationContext, INVITATION_CONTEXT_TTL_MS, loadInvitationContext } from './invitation-context.js';
export {
  type CreatedInvitation,
  guestUserPrincipalName,
  type InvitationRequest,
  type Inviter,
  MAX_CC_RECIPIENTS,
  MAX_MESSAGE_CHARS,
  MAX_SPONSORS,
} from './invitation-request.js';

export interface InvitationOptions {
  correlationId?: string;
}

export async function createInvitation(
  ctx: AppContext,
  tenantId: string,
  inviter: Inviter,
  req: InvitationRequest,
  options: InvitationOptions = {},
): Promise<CreatedInvitation> {
  const { address, message, ccRecipient, ccAddress, sponsorIds } = checkRequest(req);
  const invitedUserType = req.invitedUserType ?? 'Guest';
  const resetRedemption = req.resetRedemption === true;
  const send = req.sendInvitationMessage === true;
  const { tenant, domains, policies } = await loadInvitationContext(ctx, tenantId);
  refuse(mayInvite(inviter, policies.authorization.allowInvitesFrom, { invitedUserType, resetRedemption }));
  for (const [who, candidate] of [
    ['The invitee', address],
    ['The cc recipient', ccAddress],
  ] as const) {
    if (!candidate) continue;
    if (domains.some((d) => d.domain === candidate.domain)) {
      if (who === 'The invitee') {
        throw new FoyerError(
          'invitation.invitee_is_member',
          `${candidate.address} is on ${candidate.domain}, a verified domain of ${tenant.displayName}: people there are members of this organization, not guests. Create them with POST /users instead.`,
        );
      }
      continue; // a colleague in cc is fine
    }
    const refusal = checkInviteeDomain(candidate.domain, policies.b2bManagement);
    if (refusal) throw new FoyerError(refusal.code, who === 'The invitee' ? refusal.message : `${who}: ${refusal.message}`);
  }
  const correlationId = options.correlationId ?? newId();
  const now = ctx.clock.now();

  const ticket = newTicket();
  const invitationId = newId();
  const link = redeemUrl(ctx.config.publicUrl, tenantId, invitationId, ticket.ticket);
  // What only the e-mail needs: its "Block future invitations" link, and the ticket sealed for the outbox.
  const blockUrl = send ? await invitationBlockUrl(ctx, tenantId, address.lower) : '';
  const sealedTicket = send ? await seal(ctx, ticket.ticket) : null;

  const attempt = () =>
    ctx.db.transaction(async (trx): Promise<{ blocked: string } | { user: InvitedUser; status: CreatedInvitation['status'] }> => {
      // The tenant's directory writers queue on its change counter before holding any row (the invitee's
      // FOR UPDATE below, a new guest's foreign keys): see directory/changes.ts.
      await beginDirectoryWrite(trx, tenantId);
      if (send) {
        const addresses = [address.lower, ...(ccAddress ? [ccAddress.lower] : [])];
        const blocked = await trx
          .selectFrom('invitation_blocks')
          .select('address_lower')
          .where('tenant_id', '=', tenantId)
          .where('address_lower', 'in', addresses)
          .executeTakeFirst();
        if (blocked) {
          // The refusal is audited (Entra: "Email not sent, user unsubscribed"); nothing else is written.
          await recordAudit(trx, {
            tenantId,
            activity: activities.emailNotSentUnsubscribed,
            category: 'UserManagement',
            operationType: 'Other',
            result: 'failure',
            resultReason: 'The recipient blocked invitations from this organization',
            actor: inviter.actor,
            targets: [{ id: null, type: 'User', displayName: blocked.address_lower }],
            correlationId,
            at: now,
          });
          return { blocked: blocked.address_lower };
        }
      }
      const target = await findInvitee(ctx, trx, tenant, address, req.invitedUserId ?? null, resetRedemption, inviter);

      let user: InvitedUser;
      let status: CreatedInvitation['status'] = 'PendingAcceptance';
      if (target.kind === 'new') {
        const upn = guestUserPrincipalName(address.local, address.domain, tenant.initialDomain);
        const displayName = req.invitedUserDisplayName?.trim() || address.local;
        const id = newId();
        await insertInvitedUser(trx, { id, tenantId, upn, issuer: tenant.initialDomain, mail: address.address, displayName, userType: invitedUserType, now });
        user = { id, userPrincipalName: upn, preferredLanguage: null, displayName };
      } else {
        const existing = target.user;
        user = existing;
        if (resetRedemption) {
          await resetGuestRedemption(ctx, trx, tenantId, existing.id, now);
        } else if (existing.externalUserState === 'Accepted') {
          status = 'Completed';
        }
        // A new link replaces the old ones: only the latest invitation's ticket works, and e-mail still
        // waiting to carry an old link is not sent.
        await retireLinks(trx, existing.id, resetRedemption ? ['active', 'redeemed'] : ['active'], resetRedemption ? 'revoked' : 'superseded', now);
      }
      await addInvitationSponsors(trx, tenant, user.id, target.kind === 'new', sponsorIds, inviter, now);
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
      await recordAudit(trx, {
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
      });
      return { user, status };
    });

  // Simultaneous invitations of one address: the guest's unique UPN lets one create the guest, and the
  // one-active-ticket index lets one re-arm it; the others, retried, find that guest and re-invite it
  // (as if they had come a moment later), so exactly one link stays active.
  let outcome: Awaited<ReturnType<typeof attempt>>;
  for (let tries = 1; ; tries++) {
    try {
      outcome = await attempt();
      break;
    } catch (err) {
      const clash = isUniqueViolation(err) || (err instanceof FoyerError && err.code === 'directory.conflict');
      if (!clash || tries >= 5) throw err;
    }
  }
  // Wake this process's mail worker now that the message is committed.
  if (send && !('blocked' in outcome)) outboxSignal(ctx).emit('queued');
  if ('blocked' in outcome) {
    throw new FoyerError(
      'invitation.invitee_unsubscribed',
      `${outcome.blocked} has chosen to block future invitations from ${tenant.displayName}, so no invitation was sent. They can undo this from the link in any earlier invitation e-mail; or send the invitation with sendInvitationMessage false and share the link yourself.`,
    );
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

/** The signed "Block future invitations" link for an address and tenant. */
export async function invitationBlockUrl(ctx: AppContext, tenantId: string, addressLower: string): Promise<string> {
  const sig = await signLink(ctx, ['block-invitations', tenantId, addressLower]);
  const params = new URLSearchParams({ tenant: tenantId, address: addressLower, sig });
  return `${ctx.config.publicUrl}/invitations/block?${params.toString()}`;
}
