/**
 * The invitation manager: `POST /invitations` and `foyer invite` both end here. It checks the request
 * against the tenant's policies, then in ONE transaction creates or re-arms the guest, issues a fresh
 * ticket (retiring the guest's older ones), queues the e-mail in the outbox and writes the audit event:
 * either all of it is committed or none of it.
 */

import { LRUCache } from 'lru-cache';
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import { parseEmailAddress } from '../directory/domains.js';
import { type InvitationPolicies, readInvitationPolicies } from '../directory/policies.js';
import { assertMayChangeUser } from '../directory/protection.js';
import { listTenantDomains, requireTenant, type Tenant, type TenantDomain } from '../directory/tenants.js';
import { insertUserRow, listRoleIdsOf, type User, userFromRow } from '../directory/users.js';
import { cancelQueuedMail, enqueueMail, type InvitationMailPayload, outboxSignal } from '../mail/outbox.js';
import { revokeAccountArtefacts } from '../oidc/adapter.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { seal, signLink } from '../platform/instance-keys.js';
import { hit } from '../platform/rate-limit.js';
import { type Executor, isUniqueViolation } from '../platform/storage/database.js';
import { invitationLocale } from './invitation-email.js';
import type { InvitationFields } from './invitation-queries.js';
import { checkInviteeDomain, checkRedirectUrl, type InvitingParty, mayInvite } from './invite-rules.js';
import { newTicket, redeemUrl, ticketExpiry } from './tickets.js';

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
  const ccAddress = cc[0] ? parseEmailAddress(cc[0].address) : undefined;
  if (cc[0]) {
    if (!ccAddress)
      throw new FoyerError('invitation.invalid_address', `The ccRecipients address '${String(cc[0].address).slice(0, 256)}' is not a valid e-mail address.`);
    ccRecipient = { address: ccAddress.address, name: cc[0].name ?? null };
  }
  // Names end up in mail headers and in the text part: no line breaks or other control characters.
  for (const [field, value] of [
    ['invitedUserDisplayName', req.invitedUserDisplayName],
    ['ccRecipients.emailAddress.name', cc[0]?.name],
  ] as const) {
    if (value && /[\u0000-\u001f\u007f]/.test(value)) {
      throw new FoyerError('request.invalid_body', `Invalid value for property '${field}': line breaks and other control characters are not allowed.`);
    }
  }
  if (req.resetRedemption && !req.invitedUserId) {
    throw new FoyerError('invitation.reset_invalid', 'resetRedemption needs invitedUser.id: the user whose redemption status is reset.');
  }
  const sponsorIds = [...new Set((req.sponsorIds ?? []).map((s) => s.toLowerCase()))];
  if (sponsorIds.length > MAX_SPONSORS) {
    throw new FoyerError('invitation.invalid_sponsors', `At most ${MAX_SPONSORS} sponsors can be named; ${sponsorIds.length} were given.`);
  }
  return { address, message, ccRecipient, ccAddress, sponsorIds };
}

export interface InvitationOptions {
  correlationId?: string;
}

export interface InvitationContext {
  tenant: Tenant;
  domains: TenantDomain[];
  policies: InvitationPolicies;
}

/**
 * How long a process reuses a tenant's settings for invitations. Every invitation needs them; reading
 * them each time was a fifth of the cost of an invitation. A change made through this process applies
 * at once (see forgetInvitationContext); one made through another process within this many ms.
 */
export const INVITATION_CONTEXT_TTL_MS = 2000;
const contexts = new WeakMap<object, LRUCache<string, InvitationContext>>();

function contextCache(ctx: AppContext): LRUCache<string, InvitationContext> {
  let cache = contexts.get(ctx.db);
  if (!cache) {
    cache = new LRUCache({ max: 1000, ttl: INVITATION_CONTEXT_TTL_MS });
    contexts.set(ctx.db, cache);
  }
  return cache;
}

/** Drops this process's copy of a tenant's invitation settings (after a policy or branding change). */
export function forgetInvitationContext(ctx: AppContext, tenantId: string): void {
  contextCache(ctx).delete(tenantId);
}

export async function loadInvitationContext(ctx: AppContext, tenantId: string): Promise<InvitationContext> {
  const cache = contextCache(ctx);
  const hit = cache.get(tenantId);
  if (hit) return hit;
  const [tenant, domains, policies] = await Promise.all([
    requireTenant(ctx.db.kysely, tenantId),
    listTenantDomains(ctx.db.kysely, tenantId),
    readInvitationPolicies(ctx.db.kysely, tenantId),
  ]);
  const loaded = { tenant, domains, policies };
  cache.set(tenantId, loaded);
  return loaded;
}

/**
 * Counts a request against the tenant's invitation limit (the API's; the command line has none) and
 * refuses it past the limit. Every request counts, before any other work, as Graph counts them. The
 * count is its own short transaction: inside the invitation's, its row would stay locked on PostgreSQL
 * until that commits, queueing the tenant's invitations one behind the other.
 */
export async function countInvitationRequest(ctx: AppContext, tenantId: string, limit: { limit: number; windowMs: number }): Promise<void> {
  const window = await ctx.db.transaction((trx) => hit(trx, `invitations:${tenantId}`, limit.windowMs, ctx.clock.now()));
  if (window.hits > limit.limit) {
    throw new FoyerError(
      'request.throttled',
      `Too many invitation requests for this organization: at most ${limit.limit} per ${limit.windowMs / 1000} seconds. Retry after the time in Retry-After.`,
    ).withHeader('retry-after', String(Math.max(1, Math.ceil(window.retryAfterMs / 1000))));
  }
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
  const sealedTicket = send ? await seal(ctx.db, ctx.clock, ticket.ticket) : null;

  const attempt = () =>
    ctx.db.transaction(async (trx): Promise<{ blocked: string } | { user: InvitedUser; status: CreatedInvitation['status'] }> => {
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
        // Before redemption a guest's only identity is its name here, as Entra shows it (item 53).
        await insertUserRow(trx, {
          id,
          tenantId,
          upn,
          issuer: tenant.initialDomain,
          mail: address.address,
          displayName,
          passwordHash: null,
          now,
          extra: {
            other_mails: JSON.stringify([address.address]),
            user_type: invitedUserType,
            creation_type: 'Invitation',
            external_user_state: 'PendingAcceptance',
            external_user_state_change_at: now,
          },
        });
        user = { id, userPrincipalName: upn, preferredLanguage: null, displayName };
      } else {
        const existing = target.user;
        user = existing;
        const retired = resetRedemption ? ['active', 'redeemed'] : ['active'];
        const old = await trx.selectFrom('invitations').select('id').where('user_id', '=', existing.id).where('ticket_state', 'in', retired).execute();
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
        } else if (existing.externalUserState === 'Accepted') {
          status = 'Completed';
        }
        // A new link replaces the old ones: only the latest invitation's ticket works, and e-mail still
        // waiting to carry an old link is not sent.
        if (old.length) {
          const ids = old.map((o) => o.id);
          await trx
            .updateTable('invitations')
            .set({ ticket_state: resetRedemption ? 'revoked' : 'superseded' })
            .where('id', 'in', ids)
            .execute();
          await cancelQueuedMail(trx, ids, now);
        }
      }
      await addSponsors(trx, tenant, user.id, target.kind === 'new', sponsorIds, inviter, now);
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
  if (send && !('blocked' in outcome)) outboxSignal(ctx.db).emit('queued');
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

type Invitee = { kind: 'new' } | { kind: 'existing'; user: User };
type InvitedUser = { id: string; userPrincipalName: string; preferredLanguage: string | null; displayName: string };

/**
 * Sponsors (Entra: up to 5 per guest). Named sponsors are added to the guest's; with none named, the
 * inviting person sponsors a NEW guest (re-inviting does not make every re-inviter a sponsor).
 */
async function addSponsors(trx: Executor, tenant: Tenant, userId: string, isNew: boolean, named: string[], inviter: Inviter, now: number): Promise<void> {
  const wanted = named.length ? named : isNew && inviter.actor.kind === 'user' ? [inviter.actor.id] : [];
  if (wanted.length === 0) return;
  if (named.length) {
    const found = await trx
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('id', 'in', named)
      .where('deleted_at', 'is', null)
      .execute();
    const missing = named.find((s) => !found.some((f) => f.id === s));
    if (missing) throw new FoyerError('invitation.invalid_sponsors', `The sponsor '${missing}' is not a user of ${tenant.displayName}.`);
  }
  const current = await trx.selectFrom('user_sponsors').select('sponsor_id').where('user_id', '=', userId).execute();
  const total = new Set([...current.map((c) => c.sponsor_id), ...wanted]);
  if (total.size > MAX_SPONSORS) {
    throw new FoyerError(
      'invitation.invalid_sponsors',
      `A guest can have at most ${MAX_SPONSORS} sponsors; this one has ${current.length}, and ${wanted.length} more were named.`,
    );
  }
  await trx
    .insertInto('user_sponsors')
    .values(wanted.map((s) => ({ user_id: userId, sponsor_id: s, tenant_id: tenant.id, created_at: now })))
    .onConflict((oc) => oc.columns(['user_id', 'sponsor_id']).doNothing())
    .execute();
}

/** Which user this invitation is for: an existing guest (re-invite), a reset target, or a new guest. */
async function findInvitee(
  ctx: AppContext,
  trx: Executor,
  tenant: Tenant,
  address: { address: string; lower: string; local: string; domain: string },
  invitedUserId: string | null,
  reset: boolean,
  inviter: Inviter,
): Promise<Invitee> {
  if (invitedUserId) {
    let byId = trx
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', invitedUserId.toLowerCase())
      .where('deleted_at', 'is', null);
    // PostgreSQL: hold the guest while its tickets are replaced, so simultaneous re-invitations queue.
    if (ctx.db.dialect === 'postgres') byId = byId.forUpdate();
    const row = await byId.executeTakeFirst();
    if (!row) {
      throw new FoyerError(
        'directory.not_found',
        `Resource '${invitedUserId}' does not exist or one of its queried reference-property objects are not present.`,
      );
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
    if (reset) {
      const roles = new Set(await listRoleIdsOf(trx, tenant.id, user.id));
      // Entra: app-only calls cannot reset users who hold directory roles.
      if (roles.size && inviter.kind !== 'user') {
        throw new FoyerError('invitation.not_allowed', 'An app acting as itself cannot reset the redemption status of a user who holds a directory role.');
      }
      // A reset lets someone bind a new identity to the account: administrators are protected from
      // administrators below them, as for a password reset.
      if (inviter.kind === 'user') {
        assertMayChangeUser({ kind: 'user', permissions: inviter.permissions, roleIds: inviter.roleIds ?? new Set() }, roles, new Set(['redemption']));
      }
    }
    return { kind: 'existing', user };
  }
  const guestUpn = guestUserPrincipalName(address.local, address.domain, tenant.initialDomain).toLowerCase();
  // Two index lookups: SQLite's planner would answer `mail = ? OR upn = ?` by reading every user of
  // the tenant.
  let mailQuery = trx
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('mail_lower', '=', address.lower)
    .where('deleted_at', 'is', null);
  let upnQuery = trx.selectFrom('users').selectAll().where('upn_lower', '=', guestUpn).where('tenant_id', '=', tenant.id).where('deleted_at', 'is', null);
  if (ctx.db.dialect === 'postgres') {
    mailQuery = mailQuery.forUpdate();
    upnQuery = upnQuery.forUpdate();
  }
  const byMail = await mailQuery.execute();
  const byUpn = await upnQuery.execute();
  const users = [...byMail, ...byUpn.filter((u) => !byMail.some((m) => m.id === u.id))].map(userFromRow);
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

/** The signed "Block future invitations" link for an address and tenant. */
export async function invitationBlockUrl(ctx: AppContext, tenantId: string, addressLower: string): Promise<string> {
  const sig = await signLink(ctx.db, ctx.clock, ['block-invitations', tenantId, addressLower]);
  const params = new URLSearchParams({ tenant: tenantId, address: addressLower, sig });
  return `${ctx.config.publicUrl}/invitations/block?${params.toString()}`;
}
