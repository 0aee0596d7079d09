/**
 * `POST /invitations` as Graph has it, plus what Graph lacks and operators need: `GET /invitations` and
 * `GET /invitations/{id}` with each invitation's e-mail delivery state (a Foyer extension; the redeem
 * link is never in them), and `GET /users/{id}/sponsors`.
 */
import { z } from 'zod';
import { directoryRoles } from '../directory/roles.js';
import { listSponsors } from '../directory/sponsors.js';
import { requireUser } from '../directory/users.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody, userRules } from '../graph/index.js';
import { type DeliveryReport, deliveryOf } from '../mail/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type CreatedInvitation, countInvitationRequest, createInvitation, type Inviter } from './create-invitation.js';
import { findInvitation, listInvitations, type StoredInvitation } from './invitation-queries.js';
import { invitePermissions } from './invite-rules.js';
import { ticketVerdict } from './tickets.js';

const recipient = z.object({
  emailAddress: z.object({ address: z.string().max(254).nullable().optional(), name: z.string().max(256).nullable().optional() }),
});

const invitationBody = z.strictObject({
  invitedUserEmailAddress: z.string().max(320),
  inviteRedirectUrl: z.string().max(4096),
  invitedUserDisplayName: z.string().trim().max(256).nullable().optional(),
  invitedUserType: z.enum(['Guest', 'Member'], { error: "expected 'Guest' or 'Member'" }).nullable().optional(),
  sendInvitationMessage: z.boolean().nullable().optional(),
  invitedUserMessageInfo: z
    .object({
      customizedMessageBody: z.string().max(100_000).nullable().optional(),
      messageLanguage: z.string().max(64).nullable().optional(),
      ccRecipients: z.array(recipient).max(10).nullable().optional(),
    })
    .nullable()
    .optional(),
  invitedUser: z
    .object({ id: z.string().max(64) })
    .nullable()
    .optional(),
  resetRedemption: z.boolean().nullable().optional(),
  invitedUserSponsors: z
    .array(z.object({ id: z.string().max(64) }))
    .max(20)
    .nullable()
    .optional(),
  // Read-only properties a script may send back unchanged; ignored, as Graph does.
  id: z.string().nullable().optional(),
  inviteRedeemUrl: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
});

// Invitations carry personal messages and cc addresses: people need an inviting or administering role
// to read other people's invitations back.
const readRule: AccessRule = {
  app: [...invitePermissions, 'User.Read.All', 'Directory.Read.All'],
  delegated: [...invitePermissions, 'User.Read.All', 'Directory.Read.All'],
  roles: [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id, directoryRoles.guestInviter.id],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A query option given once, as an object id (or absent). */
function idOption(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new FoyerError('request.invalid_query', `Query option '${name}' must be given once, as an object id.`);
  }
  return value.toLowerCase();
}

export function registerInvitationRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  function view(inv: CreatedInvitation | StoredInvitation, extra: { inviteRedeemUrl?: string; delivery?: DeliveryReport | null }) {
    return {
      '@odata.context': `${base}/$metadata#invitations/$entity`,
      id: inv.id,
      ...(extra.inviteRedeemUrl ? { inviteRedeemUrl: extra.inviteRedeemUrl } : {}),
      invitedUserDisplayName: inv.invitedUserDisplayName,
      invitedUserType: inv.invitedUserType,
      invitedUserEmailAddress: inv.invitedUserEmailAddress,
      sendInvitationMessage: inv.sendInvitationMessage,
      resetRedemption: inv.resetRedemption,
      inviteRedirectUrl: inv.inviteRedirectUrl,
      status: inv.status,
      invitedUserMessageInfo: {
        messageLanguage: inv.messageLanguage,
        customizedMessageBody: inv.customizedMessageBody,
        // Graph answers with one empty recipient when none was given; scripts index [0].
        ccRecipients: [{ emailAddress: { name: inv.ccRecipient?.name ?? null, address: inv.ccRecipient?.address ?? null } }],
      },
      invitedUser: inv.invitedUser,
      ...(extra.delivery !== undefined ? { messageDeliveryStatus: extra.delivery } : {}),
    };
  }

  /** Foyer's additions to a stored invitation: when it was made, and whether its link still works. */
  const extensions = (inv: StoredInvitation) => ({
    createdDateTime: new Date(inv.createdAt).toISOString(),
    redemptionLinkStatus: ticketVerdict({ ticket_state: inv.ticketState, ticket_expires_at: inv.ticketExpiresAt }, ctx.clock.now()),
    redemptionLinkExpirationDateTime: inv.ticketExpiresAt === null ? null : new Date(inv.ticketExpiresAt).toISOString(),
  });

  app.post('/invitations', async (request, reply) => {
    const who = await caller(request);
    authorize(who, { app: [...invitePermissions], delegated: [...invitePermissions] });
    // Per tenant for all callers together (Graph: 150 requests per 5 seconds per tenant).
    await countInvitationRequest(ctx, who.tenantId, { limit: ctx.config.invitationRateLimit, windowMs: ctx.config.invitationRateWindowSeconds * 1000 });
    const body = parseBody(invitationBody, request.body);
    const inviter: Inviter = {
      kind: who.kind,
      permissions: who.permissions,
      roleIds: who.user?.roleIds ?? new Set(),
      ...(who.user ? { userType: who.user.userType } : {}),
      actor: actorOf(who, request.ip),
    };
    const created = await createInvitation(ctx, who.tenantId, inviter, {
      invitedUserEmailAddress: body.invitedUserEmailAddress,
      inviteRedirectUrl: body.inviteRedirectUrl,
      invitedUserDisplayName: body.invitedUserDisplayName ?? null,
      invitedUserType: body.invitedUserType ?? 'Guest',
      sendInvitationMessage: body.sendInvitationMessage ?? false,
      customizedMessageBody: body.invitedUserMessageInfo?.customizedMessageBody ?? null,
      messageLanguage: body.invitedUserMessageInfo?.messageLanguage ?? null,
      ccRecipients: (body.invitedUserMessageInfo?.ccRecipients ?? []).map((r) => ({
        address: r.emailAddress.address ?? null,
        name: r.emailAddress.name ?? null,
      })),
      invitedUserId: body.invitedUser?.id ?? null,
      resetRedemption: body.resetRedemption ?? false,
      sponsorIds: (body.invitedUserSponsors ?? []).map((s) => s.id),
    });
    reply.code(201).header('location', `${base}/invitations/${created.id}`);
    return view(created, { inviteRedeemUrl: created.inviteRedeemUrl });
  });

  app.get('/invitations', async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    const query = request.query as Record<string, unknown>;
    const topText = query.$top;
    const top = topText === undefined ? 100 : typeof topText === 'string' && /^\d{1,3}$/.test(topText) ? Number(topText) : NaN;
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      throw new FoyerError('request.invalid_query', `Invalid page size specified: '${String(topText)}'. Must be between 1 and 999 inclusive.`);
    }
    const userId = idOption(query, 'invitedUserId');
    const page = await listInvitations(ctx.db.kysely, who.tenantId, { top, before: idOption(query, '$skiptoken'), userId });
    const delivery = await deliveryOf(
      ctx.db.kysely,
      page.items.map((i) => i.id),
    );
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#invitations`,
      value: page.items.map((i) => {
        const { '@odata.context': _ctx, ...rest } = view(i, { delivery: delivery.get(i.id) ?? null });
        return { ...rest, ...extensions(i) };
      }),
    };
    if (page.next) {
      const params = new URLSearchParams({ $top: String(top), $skiptoken: page.next });
      if (userId) params.set('invitedUserId', userId);
      body['@odata.nextLink'] = `${base}/invitations?${params.toString()}`;
    }
    return body;
  });

  app.get('/invitations/:id', async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    const { id } = request.params as { id: string };
    const inv = await findInvitation(ctx.db.kysely, who.tenantId, id);
    if (!inv) throw new FoyerError('invitation.not_found', `Invitation '${id}' does not exist in this organization.`);
    const delivery = await deliveryOf(ctx.db.kysely, [inv.id]);
    return { ...view(inv, { delivery: delivery.get(inv.id) ?? null }), ...extensions(inv) };
  });

  app.get('/users/:id/sponsors', async (request) => {
    const who = await caller(request);
    authorize(who, userRules.read);
    const { id } = request.params as { id: string };
    const user = await requireUser(ctx.db.kysely, who.tenantId, id);
    const sponsors = await listSponsors(ctx.db.kysely, user.id);
    return {
      '@odata.context': `${base}/$metadata#directoryObjects`,
      value: sponsors.map((r) => ({ '@odata.type': '#microsoft.graph.user', ...r })),
    };
  });
}
