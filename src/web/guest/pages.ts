/**
 * Redemption and guest sign-in (SPEC §6, §7), as pages:
 *
 *   GET  /redeem?tenant&user&ticket   the invitation link: who invited whom, or a page saying what is
 *                                     wrong with the link (unknown, expired, replaced, withdrawn)
 *   POST /redeem                      start: find the home identity (home-realm.ts) → /guest
 *   GET  /guest                       the flow's current step: home password, passcode, external
 *                                     provider, personal-account sign-up, identity check, consent
 *   POST /guest/password | passcode/send | passcode/verify | signup | switch | accept | cancel
 *   GET  /guest/callback              an external OpenID provider's answer
 *
 * A flow started from a tenant's sign-in page ends at `GET /{tenantId}/login/{uid}/guest`
 * (src/web/sign-in/sign-in.ts), which hands `takeGuestSignIn`'s result back to the tenant's OpenID provider.
 *
 * Opening a link changes nothing (mail scanners open links); every change is a CSRF-protected POST.
 * The flow's state is server-side (flows.ts). Whatever a person proves is recorded in the browser
 * session, so the next organization asks for nothing again (single sign-on across tenants).
 */

import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseEmailAddress } from '../../directory/domains.js';
import { checkPassword } from '../../directory/password-check.js';
import { readInvitationPolicies } from '../../directory/policies.js';
import { findTenant, listTenantDomains, type Tenant } from '../../directory/tenants.js';
import { findMemberBySignInName, findUser } from '../../directory/users.js';
import { checkInviteeDomain } from '../../invitations/invite-rules.js';
import { ticketVerdict } from '../../invitations/tickets.js';
import { issuerFor } from '../../oidc/accounts.js';
import type { AppContext } from '../../platform/context.js';
import { FoyerError } from '../../platform/errors/foyer-error.js';
import { sha256 } from '../../platform/ids.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import type { InvitationsTable } from '../../platform/storage/schema.js';
import { beginExternalSignIn, findExternalProvider, finishExternalSignIn, listExternalProviders } from '../../redemption/external-providers.js';
import { type HomeRoute, maskAddress, PASSCODE_ISSUER, personalIssuer, resolveHome, routeForBoundIdentity } from '../../redemption/home-realm.js';
import { sendPasscode, verifyPasscode } from '../../redemption/passcodes.js';
import { createPersonalAccount, findPersonalAccount, findPersonalAccountById } from '../../redemption/personal-accounts.js';
import { completeRedemption } from '../../redemption/redeem.js';
import { type BrowserSession, readBrowserSession, rememberAccount, type SignedInAccount, signInStillCounts } from '../kit/browser-session.js';
import { pageHeaders } from '../kit/layout.js';
import { brandOf } from '../sign-in/sign-in.js';
import { messagePage } from '../sign-in/sign-in-views.js';
import { endFlow, type GuestFlow, type LoadedFlow, loadFlow, type ProvenIdentity, saveFlow, startFlow } from './flows.js';
import { redemptionText } from './texts.js';
import { choicePage, consentPage, landingPage, passcodeStep, passwordStep, signUpStep, type View } from './views.js';

/** A passcode proves an address for this long in this browser (Entra: "sessions expire after 24 hours"). */
export const PASSCODE_SESSION_MS = 24 * 3600_000;

const G = '/guest';

type Invitation = InvitationsTable;

async function invitationByTicket(ctx: AppContext, ticket: string): Promise<Invitation | undefined> {
  if (ticket.length < 20 || ticket.length > 100) return undefined;
  return ctx.db.kysely.selectFrom('invitations').selectAll().where('ticket_hash', '=', sha256(ticket)).executeTakeFirst();
}

function inviterName(inv: Invitation): string | null {
  try {
    const actor = JSON.parse(inv.inviter) as { kind: string; displayName?: string };
    return actor.kind === 'user' && actor.displayName ? actor.displayName : null;
  } catch {
    return null;
  }
}

/** Where the address proves itself, for a new redemption or sign-in. */
export async function discoverHome(ctx: AppContext, tenantId: string, address: string, signUpAvailable: boolean): Promise<HomeRoute> {
  const parsed = parseEmailAddress(address)!;
  const db = ctx.db.kysely;
  const [domainRow, externalProviders, personal, policies] = await Promise.all([
    db.selectFrom('tenant_domains').select('tenant_id').where('domain', '=', parsed.domain).where('is_verified', '=', 1).executeTakeFirst(),
    listExternalProviders(db, tenantId),
    findPersonalAccount(db, parsed.lower),
    readInvitationPolicies(db, tenantId),
  ]);
  return resolveHome(
    {
      domain: parsed.domain,
      ...(domainRow && domainRow.tenant_id !== tenantId ? { domainTenantId: domainRow.tenant_id } : {}),
      externalProviders,
      personalAccount: personal !== undefined,
    },
    { configuration: policies.redemption, emailOtpEnabled: policies.emailOtp.allowExternalIdToUseEmailOtp !== 'disabled', signUpAvailable },
  );
}

/** An accepted guest's way home, from the identity bound at redemption. */
async function boundRoute(ctx: AppContext, tenantId: string, guestId: string): Promise<{ route: HomeRoute; bound?: GuestFlow['bound'] }> {
  const identity = await ctx.db.kysely
    .selectFrom('user_identities')
    .select(['issuer', 'issuer_assigned_id'])
    .where('user_id', '=', guestId)
    .where('sign_in_type', '=', 'federated')
    .executeTakeFirst();
  if (!identity) return { route: { kind: 'none' } };
  const bound = { issuer: identity.issuer, issuerAssignedId: identity.issuer_assigned_id };
  return { route: routeForBoundIdentity(bound, ctx.config.publicUrl, await listExternalProviders(ctx.db.kysely, tenantId)), bound };
}

/** The guest of `tenantId` whose bound home identity this is. */
async function guestByIdentity(ctx: AppContext, tenantId: string, issuer: string, subject: string) {
  const row = await ctx.db.kysely
    .selectFrom('user_identities')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('issuer', '=', issuer)
    .where('issuer_assigned_id', '=', subject)
    .executeTakeFirst();
  const user = row ? await findUser(ctx.db.kysely, tenantId, row.user_id) : undefined;
  return user?.userType === 'Guest' || user?.creationType === 'Invitation' ? user : undefined;
}

/**
 * The pending guest of `tenantId` this address may redeem by signing in to an app: one whose current
 * addresses (mail, otherMails) include it, found through its working invitation link or its mail.
 * Links that were replaced or withdrawn (a reset to another address) count for nothing.
 */
async function pendingGuestByAddress(ctx: AppContext, tenantId: string, lower: string) {
  const db = ctx.db.kysely;
  const invited = await db
    .selectFrom('invitations')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('invited_email_lower', '=', lower)
    .where('ticket_state', '=', 'active')
    .execute();
  const byMail = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('mail_lower', '=', lower)
    .where('deleted_at', 'is', null)
    .execute();
  for (const id of new Set([...invited.map((r) => r.user_id), ...byMail.map((r) => r.id)])) {
    const user = await findUser(db, tenantId, id);
    if (user?.creationType !== 'Invitation' || user.externalUserState !== 'PendingAcceptance') continue;
    if ([user.mail, ...user.otherMails].some((a) => a?.toLowerCase() === lower)) return user;
  }
  return undefined;
}

/**
 * Is this browser-session entry still good? A member's sign-in ends with a password reset or a
 * disable; a personal account's with the account.
 */
async function stillValid(ctx: AppContext, entry: SignedInAccount): Promise<boolean> {
  if (entry.tenantId && entry.userId) return signInStillCounts(await findUser(ctx.db.kysely, entry.tenantId, entry.userId), entry.authTime);
  if (entry.issuer === personalIssuer(ctx.config.publicUrl)) return (await findPersonalAccountById(ctx.db.kysely, entry.subject ?? '')) !== undefined;
  return true;
}

/** Does this proven identity own the address? A member answers to their UPN, mail and other mails. */
async function entryIsFor(ctx: AppContext, entry: SignedInAccount, lower: string): Promise<boolean> {
  if (entry.email?.toLowerCase() === lower) return true;
  if (!entry.tenantId || !entry.userId) return false;
  const member = await findUser(ctx.db.kysely, entry.tenantId, entry.userId);
  return !!member && [member.userPrincipalName, member.mail, ...member.otherMails].some((a) => a?.toLowerCase() === lower);
}

/**
 * Single sign-on for guests: a session entry for an identity bound to an accepted, enabled guest of
 * `tenantId` signs that guest in. Used by the tenant's sign-in page before it asks for anything.
 */
export async function guestFromBrowserSession(ctx: AppContext, session: BrowserSession | undefined, tenantId: string, loginHint: string | undefined) {
  for (const entry of session?.accounts ?? []) {
    if (!entry.issuer || !entry.subject) continue;
    if (loginHint && entry.email?.toLowerCase() !== loginHint.toLowerCase()) continue;
    const guest = await guestByIdentity(ctx, tenantId, entry.issuer, entry.subject);
    if (guest?.externalUserState !== 'Accepted' || !signInStillCounts(guest, entry.authTime)) continue;
    if (!(await stillValid(ctx, entry))) continue;
    return { guest, entry };
  }
  return undefined;
}

/** Called by a tenant's sign-in page when the typed address is not one of its members. */
export async function startGuestSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  s: { tenantId: string; uid: string; address: string; language: string | null; freshSignIn: boolean },
): Promise<FastifyReply> {
  const lower = s.address.toLowerCase();
  // A guest who already redeemed signs in with the identity bound then, whatever the address's home is today.
  const accepted = await ctx.db.kysely
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', s.tenantId)
    .where('mail_lower', '=', lower)
    .where('creation_type', '=', 'Invitation')
    .where('external_user_state', '=', 'Accepted')
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  const { route, bound } = accepted
    ? await boundRoute(ctx, s.tenantId, accepted.id)
    : { route: await discoverHome(ctx, s.tenantId, s.address, false), bound: undefined };
  await startFlow(ctx, request, reply, {
    purpose: 'signin',
    tenantId: s.tenantId,
    address: s.address,
    interactionUid: s.uid,
    language: s.language,
    // No way home (passcodes off, nothing else found) reads like the passcode page, whose code never
    // comes: a sign-in page must not tell guests from strangers.
    route: route.kind === 'none' ? { kind: 'passcode' } : route,
    // The app asked for a fresh sign-in (prompt=login, max_age): what this browser proved before does not count.
    ...(s.freshSignIn ? { freshSignIn: true } : {}),
    ...(bound ? { bound } : {}),
  });
  return reply.redirect(G, 303);
}

/** How a guest flow started from a tenant's sign-in page ended, for its hand-back to the OpenID provider. */
export type GuestSignInResult =
  | { kind: 'cancelled' }
  | { kind: 'signed-in'; guestId: string; amr: string[]; authTime: number }
  | { kind: 'refused'; page: { title: string; body: string } };

/**
 * Ends this browser's guest flow for the interaction `uid` of `tenant` and says how it ended; undefined
 * when the browser has no finished flow for that interaction.
 */
export async function takeGuestSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  uid: string,
  locale: Locale,
): Promise<GuestSignInResult | undefined> {
  const loaded = await loadFlow(ctx, request);
  const flow = loaded?.flow;
  if (!loaded || !flow || flow.purpose !== 'signin' || flow.tenantId !== tenant.id || flow.interactionUid !== uid || !flow.outcome) return undefined;
  await endFlow(ctx, reply, loaded);
  if (flow.outcome === 'cancelled') return { kind: 'cancelled' };
  const guest = await findUser(ctx.db.kysely, tenant.id, flow.outcome.guestId);
  if (!guest?.accountEnabled || !flow.proven) {
    const t = redemptionText(locale);
    return { kind: 'refused', page: { title: t.disabledTitle, body: t.disabledBody(tenant.displayName) } };
  }
  return { kind: 'signed-in', guestId: guest.id, amr: flow.proven.amr, authTime: flow.proven.authTime };
}

export function registerGuestRoutes(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.db.kysely;
  const publicUrl = ctx.config.publicUrl;
  const callbackUrl = `${publicUrl}${G}/callback`;

  function view(request: FastifyRequest, reply: FastifyReply, tenant: Tenant | undefined, language?: string | null): View {
    return {
      locale: chooseLocale([language], request.headers['accept-language']),
      brand: tenant ? brandOf(tenant) : {},
      csrfToken: reply.generateCsrf(),
    };
  }
  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(pageHeaders).send(body);
  const message = (reply: FastifyReply, v: View, status: number, title: string, body: string) =>
    send(reply, status, messagePage(v.locale, title, body, v.brand));

  /** The page for a ticket that cannot start a redemption, or undefined when it can. */
  async function ticketProblem(reply: FastifyReply, v: View, inv: Invitation | undefined, tenant: Tenant | undefined) {
    const t = redemptionText(v.locale);
    if (!inv || !tenant) return message(reply, v, 404, t.unknownTitle, t.unknownBody);
    const verdict = ticketVerdict(inv, ctx.clock.now());
    if (verdict === 'expired') return message(reply, v, 410, t.expiredTitle, t.expiredBody(tenant.displayName));
    if (verdict === 'superseded') return message(reply, v, 410, t.supersededTitle, t.supersededBody(maskAddress(inv.invited_email)));
    if (verdict === 'revoked') return message(reply, v, 410, t.revokedTitle, t.revokedBody(tenant.displayName));
    const guest = await findUser(db, tenant.id, inv.user_id);
    if (!guest) return message(reply, v, 410, t.revokedTitle, t.revokedBody(tenant.displayName));
    if (!guest.accountEnabled) return message(reply, v, 403, t.disabledTitle, t.disabledBody(tenant.displayName));
    if (verdict === 'active') {
      // A pending guest whose domain was blocked after the invitation cannot redeem (SPEC §4).
      const domain = inv.invited_email_lower.split('@')[1]!;
      if (checkInviteeDomain(domain, (await readInvitationPolicies(db, tenant.id)).b2bManagement)) {
        return message(reply, v, 403, t.blockedTitle, t.blockedBody(tenant.displayName, domain));
      }
    }
    return undefined;
  }

  async function ticketFrom(source: unknown) {
    const q = (source ?? {}) as Record<string, unknown>;
    const ticket = typeof q.ticket === 'string' ? q.ticket : '';
    const inv = await invitationByTicket(ctx, ticket);
    // The link names its tenant and invitation: a ticket presented for another one is unknown.
    const matches = inv && q.tenant === inv.tenant_id && q.user === inv.id;
    const tenant = matches ? await findTenant(db, inv.tenant_id) : undefined;
    return { ticket, inv: matches ? inv : undefined, tenant };
  }

  app.get('/redeem', async (request, reply) => {
    const { ticket, inv, tenant } = await ticketFrom(request.query);
    const v = view(request, reply, tenant, inv?.message_language);
    const problem = await ticketProblem(reply, v, inv, tenant);
    if (problem || !inv || !tenant) return problem;
    const t = redemptionText(v.locale);
    const inviter = inviterName(inv);
    const returning = inv.ticket_state === 'redeemed';
    return send(
      reply,
      200,
      landingPage(v, {
        title: returning ? t.returnTitle(tenant.displayName) : inviter ? t.invitedYou(inviter, tenant.displayName) : t.orgInvitedYou(tenant.displayName),
        body: returning ? t.returnBody : t.invitedBody(tenant.displayName),
        address: inv.invited_email,
        action: '/redeem',
        hidden: { tenant: inv.tenant_id, user: inv.id, ticket },
      }),
    );
  });

  app.post('/redeem', { preHandler: app.csrfProtection }, async (request, reply) => {
    const { ticket, inv, tenant } = await ticketFrom(request.body);
    const v = view(request, reply, tenant, inv?.message_language);
    const problem = await ticketProblem(reply, v, inv, tenant);
    if (problem || !inv || !tenant) return problem;
    const returning = inv.ticket_state === 'redeemed';
    const { route, bound } = returning
      ? await boundRoute(ctx, tenant.id, inv.user_id)
      : { route: await discoverHome(ctx, tenant.id, inv.invited_email, true), bound: undefined };
    await startFlow(ctx, request, reply, {
      purpose: returning ? 'return' : 'redeem',
      tenantId: tenant.id,
      address: inv.invited_email,
      invitationId: inv.id,
      ticketHash: sha256(ticket),
      language: inv.message_language,
      route,
      ...(bound ? { bound } : {}),
    });
    return reply.redirect(G, 303);
  });

  /** Loads the flow and its tenant, or answers with the "expired" page. */
  async function current(request: FastifyRequest, reply: FastifyReply) {
    const loaded = await loadFlow(ctx, request);
    const tenant = loaded ? await findTenant(db, loaded.flow.tenantId) : undefined;
    if (!loaded || !tenant) {
      const v = view(request, reply, undefined);
      const t = redemptionText(v.locale);
      message(reply, v, 400, t.flowExpiredTitle, t.flowExpiredBody);
      return undefined;
    }
    return { loaded, tenant, v: view(request, reply, tenant, loaded.flow.language) };
  }

  const issuerOf = async (route: HomeRoute, tenantId: string): Promise<string | undefined> => {
    switch (route.kind) {
      case 'tenant':
        return issuerFor(publicUrl, route.tenantId);
      case 'personal':
      case 'personal-signup':
        return personalIssuer(publicUrl);
      case 'passcode':
        return PASSCODE_ISSUER;
      case 'external':
        return (await findExternalProvider(db, tenantId, route.providerId))?.issuer;
      default:
        return undefined;
    }
  };

  async function prove(
    loaded: LoadedFlow,
    proven: ProvenIdentity,
    request: FastifyRequest,
    reply: FastifyReply,
    entry: Omit<SignedInAccount, 'amr' | 'authTime'>,
  ) {
    loaded.flow.proven = proven;
    loaded.flow.passcodeSent = false;
    await saveFlow(ctx, loaded);
    await rememberAccount(ctx, request, reply, {
      ...entry,
      issuer: proven.issuer,
      subject: proven.subject,
      email: proven.email,
      amr: proven.amr,
      authTime: proven.authTime,
    });
    return reply.redirect(G, 303);
  }

  const authTime = () => Math.floor(ctx.clock.now() / 1000);

  /** The home account's password page: the home tenant's branding, or none for a personal account. */
  function passwordPage(v: View, flow: GuestFlow, home: Tenant | undefined, error?: string) {
    const t = redemptionText(v.locale);
    return passwordStep(
      { ...v, brand: home ? brandOf(home) : {} },
      {
        title: home ? t.passwordFor(home.displayName) : t.personalPasswordTitle,
        address: flow.address,
        action: `${G}/password`,
        cancelAction: `${G}/cancel`,
        ...(error ? { error } : {}),
      },
    );
  }

  function passcodePage(v: View, flow: GuestFlow, error?: string) {
    return passcodeStep(v, {
      address: flow.address,
      sent: !!flow.passcodeSent,
      sendAction: `${G}/passcode/send`,
      verifyAction: `${G}/passcode/verify`,
      cancelAction: `${G}/cancel`,
      ...(error ? { error } : {}),
    });
  }

  const flowInvitation = (flow: GuestFlow) =>
    db
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', flow.invitationId ?? '')
      .executeTakeFirst();

  /** GET /guest: shows the step the flow is at. */
  async function step(request: FastifyRequest, reply: FastifyReply, loaded: LoadedFlow, tenant: Tenant, v: View) {
    const { flow } = loaded;
    const t = redemptionText(v.locale);
    const lower = flow.address.toLowerCase();
    if (flow.proven) return afterProof(request, reply, loaded, tenant, v);

    // This browser may have proven the identity already (single sign-on).
    const issuer = await issuerOf(flow.route, tenant.id);
    if (issuer && !flow.freshSignIn && flow.route.kind !== 'personal-signup') {
      const session = await readBrowserSession(ctx, request);
      const sameHome = (session?.accounts ?? []).filter((a) => a.issuer === issuer);
      let own = false;
      let other: SignedInAccount | undefined;
      for (const entry of sameHome) {
        const matches = flow.bound ? entry.subject === flow.bound.issuerAssignedId : await entryIsFor(ctx, entry, lower);
        const valid = await stillValid(ctx, entry);
        if (matches && valid) {
          // The flow's address when it is one of the account's (a member's UPN, mail or other mails).
          const email = flow.bound ? entry.email!.toLowerCase() : lower;
          flow.proven = { issuer, subject: entry.subject!, email, displayName: null, amr: entry.amr, authTime: entry.authTime };
          await saveFlow(ctx, loaded);
          return afterProof(request, reply, loaded, tenant, v);
        }
        own ||= matches;
        if (!matches && valid && entry.email) other ??= entry;
      }
      if (other && !own && flow.route.kind !== 'passcode') {
        // Signed in at the same home as someone else: say so, and offer to switch (SPEC §6 step 2).
        const masked = maskAddress(flow.address);
        return send(
          reply,
          200,
          choicePage(v, {
            title: t.mismatchTitle,
            body: flow.purpose === 'signin' ? t.mismatchSignInBody(masked, other.email!) : t.mismatchBody(masked, other.email!),
            primary: { action: `${G}/switch`, label: t.useAnotherAccount },
            cancelAction: `${G}/cancel`,
          }),
        );
      }
    }

    switch (flow.route.kind) {
      case 'tenant':
        return send(reply, 200, passwordPage(v, flow, await findTenant(db, flow.route.tenantId)));
      case 'personal':
        return send(reply, 200, passwordPage(v, flow, undefined));
      case 'passcode':
        if ((await readInvitationPolicies(db, tenant.id)).emailOtp.allowExternalIdToUseEmailOtp === 'disabled') {
          // The same page for a passcode guest and for a stranger: the setting is the organization's.
          return message(reply, v, 409, t.passcodesOffTitle, t.passcodesOffBody(tenant.displayName));
        }
        return send(reply, 200, passcodePage(v, flow));
      case 'personal-signup':
        if (flow.signUpVerified)
          return send(reply, 200, signUpStep({ ...v, brand: {} }, { address: flow.address, action: `${G}/signup`, cancelAction: `${G}/cancel` }));
        return send(reply, 200, passcodePage(v, flow));
      case 'external': {
        const provider = await findExternalProvider(db, tenant.id, flow.route.providerId);
        if (!provider) return message(reply, v, 409, t.noRouteTitle, t.noRouteBody(tenant.displayName));
        try {
          const { url, pending } = await beginExternalSignIn(ctx, provider, callbackUrl, flow.address, !!flow.freshSignIn);
          flow.external = { ...pending, providerId: provider.id };
          await saveFlow(ctx, loaded);
          return reply.redirect(url, 303);
        } catch (err) {
          request.log.warn({ err, provider: provider.issuer }, 'external identity provider unreachable');
          return message(reply, v, 502, t.externalFailedTitle, t.externalFailedBody);
        }
      }
      default:
        return message(reply, v, 409, t.noRouteTitle, t.noRouteBody(tenant.displayName));
    }
  }

  /** The person proved an identity: is it the right one, and what comes next? */
  async function afterProof(_request: FastifyRequest, reply: FastifyReply, loaded: LoadedFlow, tenant: Tenant, v: View) {
    const { flow } = loaded;
    const proven = flow.proven!;
    const t = redemptionText(v.locale);
    const lower = flow.address.toLowerCase();
    const mismatch = (body: string) =>
      send(
        reply,
        200,
        choicePage(v, { title: t.mismatchTitle, body, primary: { action: `${G}/switch`, label: t.useAnotherAccount }, cancelAction: `${G}/cancel` }),
      );

    if (flow.bound) {
      // Only the identity bound at redemption may sign in as this guest.
      if (proven.issuer !== flow.bound.issuer || proven.subject !== flow.bound.issuerAssignedId) {
        return mismatch(
          flow.purpose === 'return' ? t.mismatchBody(maskAddress(flow.address), proven.email) : t.mismatchSignInBody(maskAddress(flow.address), proven.email),
        );
      }
    } else if (proven.email !== lower) {
      return mismatch(
        flow.purpose === 'signin' ? t.mismatchSignInBody(maskAddress(flow.address), proven.email) : t.mismatchBody(maskAddress(flow.address), proven.email),
      );
    }

    if (flow.purpose === 'return') {
      const inv = await flowInvitation(flow);
      const guest = inv ? await findUser(db, tenant.id, inv.user_id) : undefined;
      if (!inv || !guest || inv.ticket_state !== 'redeemed') return message(reply, v, 410, t.revokedTitle, t.revokedBody(tenant.displayName));
      if (!guest.accountEnabled) return message(reply, v, 403, t.disabledTitle, t.disabledBody(tenant.displayName));
      await endFlow(ctx, reply, loaded);
      return reply.redirect(inv.redirect_url, 303);
    }

    if (flow.purpose === 'signin') {
      const bound = await guestByIdentity(ctx, tenant.id, proven.issuer, proven.subject);
      if (bound) {
        if (!bound.accountEnabled) return message(reply, v, 403, t.disabledTitle, t.disabledBody(tenant.displayName));
        flow.outcome = { guestId: bound.id };
        await saveFlow(ctx, loaded);
        return reply.redirect(`/${tenant.id}/login/${flow.interactionUid}/guest`, 303);
      }
      const pending = await pendingGuestByAddress(ctx, tenant.id, lower);
      if (!pending) return message(reply, v, 403, t.noGuestTitle(tenant.displayName), t.noGuestBody(proven.email, tenant.displayName));
      if (!pending.accountEnabled) return message(reply, v, 403, t.disabledTitle, t.disabledBody(tenant.displayName));
      flow.guestId = pending.id;
      await saveFlow(ctx, loaded);
    } else {
      const inv = await flowInvitation(flow);
      const problem = await ticketProblem(reply, v, inv && inv.ticket_hash === flow.ticketHash ? inv : undefined, tenant);
      if (problem) return problem;
      if (inv!.ticket_state === 'redeemed') return message(reply, v, 409, t.alreadyTitle, t.alreadyBody(tenant.displayName));
      if (inv!.ticket_state !== 'active') return message(reply, v, 410, t.revokedTitle, t.revokedBody(tenant.displayName));
    }
    const domain = (await listTenantDomains(db, tenant.id)).find((d) => d.isDefault)?.domain ?? tenant.initialDomain;
    if (flow.purpose === 'signin') {
      const blocked = checkInviteeDomain(lower.split('@')[1]!, (await readInvitationPolicies(db, tenant.id)).b2bManagement);
      if (blocked) return message(reply, v, 403, t.blockedTitle, t.blockedBody(tenant.displayName, lower.split('@')[1]!));
    }
    return send(
      reply,
      200,
      consentPage(v, {
        organization: tenant.displayName,
        domain,
        privacyStatementUrl: tenant.privacyStatementUrl,
        address: flow.address,
        acceptAction: `${G}/accept`,
        cancelAction: `${G}/cancel`,
      }),
    );
  }

  app.get(G, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    return step(request, reply, c.loaded, c.tenant, c.v);
  });

  app.post(`${G}/password`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, v } = c;
    const { flow } = loaded;
    const t = redemptionText(v.locale);
    const password = typeof (request.body as Record<string, unknown>)?.password === 'string' ? String((request.body as Record<string, unknown>).password) : '';
    const route = flow.route;
    if (flow.proven || (route.kind !== 'tenant' && route.kind !== 'personal')) return reply.redirect(G, 303);
    const lower = flow.address.toLowerCase();
    let accountKey: string;
    let hash: string | null | undefined;
    let found: { id: string; name: string; enabled: boolean } | undefined;
    let home: Tenant | undefined;
    if (route.kind === 'tenant') {
      home = await findTenant(db, route.tenantId);
      const member = home ? await findMemberBySignInName(db, home.id, lower) : undefined;
      accountKey = `${route.tenantId}:${member?.id ?? lower}`;
      hash = member?.passwordHash;
      found = member && { id: member.id, name: member.displayName, enabled: member.accountEnabled };
    } else {
      const account = await findPersonalAccount(db, lower);
      accountKey = `consumers:${account?.id ?? lower}`;
      hash = account?.passwordHash;
      found = account && { id: account.id, name: account.displayName, enabled: true };
    }
    const again = (status: number, error: string) => send(reply, status, passwordPage(v, flow, home, error));
    const verdict = await checkPassword(ctx, request.ip, accountKey, hash, password);
    if ('retryAfterMs' in verdict) {
      reply.header('retry-after', String(Math.ceil(verdict.retryAfterMs / 1000)));
      return again(429, t.tooManyAttempts(Math.max(1, Math.ceil(verdict.retryAfterMs / 60_000))));
    }
    if (!verdict.ok || !found?.enabled) return again(400, t.wrongPassword);
    const issuer = route.kind === 'tenant' ? issuerFor(publicUrl, route.tenantId) : personalIssuer(publicUrl);
    return prove(loaded, { issuer, subject: found.id, email: lower, displayName: found.name, amr: ['pwd'], authTime: authTime() }, request, reply, {
      tenantId: route.kind === 'tenant' ? route.tenantId : '',
      userId: route.kind === 'tenant' ? found.id : '',
    });
  });

  app.post(`${G}/passcode/send`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, tenant, v } = c;
    const { flow } = loaded;
    const t = redemptionText(v.locale);
    if (flow.proven || (flow.route.kind !== 'passcode' && flow.route.kind !== 'personal-signup')) return reply.redirect(G, 303);
    // From a sign-in page anyone can type any address: codes go only to guests of this tenant, and the
    // page looks the same either way.
    const lower = flow.address.toLowerCase();
    const otpAllowed = (await readInvitationPolicies(db, tenant.id)).emailOtp.allowExternalIdToUseEmailOtp !== 'disabled';
    const deliver =
      (flow.route.kind === 'personal-signup' || otpAllowed) &&
      (flow.purpose !== 'signin' || flow.bound !== undefined || (await pendingGuestByAddress(ctx, tenant.id, lower)) !== undefined);
    const result = await sendPasscode(ctx, {
      flowIdHash: loaded.idHash,
      tenantId: tenant.id,
      organizationName: tenant.displayName,
      address: flow.address,
      locale: v.locale,
      purpose: flow.route.kind === 'personal-signup' ? 'sign-up' : 'sign-in',
      clientIp: request.ip,
      deliver,
    });
    if ('retryAfterMs' in result) {
      reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
      return send(reply, 429, passcodePage(v, flow, t.tooManyCodes(Math.max(1, Math.ceil(result.retryAfterMs / 60_000)))));
    }
    flow.passcodeSent = true;
    await saveFlow(ctx, loaded);
    return reply.redirect(G, 303);
  });

  app.post(`${G}/passcode/verify`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, v } = c;
    const { flow } = loaded;
    const t = redemptionText(v.locale);
    if (flow.proven || !flow.passcodeSent || (flow.route.kind !== 'passcode' && flow.route.kind !== 'personal-signup')) return reply.redirect(G, 303);
    const typed = (request.body as Record<string, unknown>)?.code;
    const verdict = await verifyPasscode(ctx, loaded.idHash, typeof typed === 'string' ? typed.slice(0, 40) : '');
    if (!verdict.ok) {
      const error = verdict.reason === 'wrong' ? t.wrongCode(verdict.attemptsLeft) : verdict.reason === 'expired' ? t.expiredCode : t.lockedCode;
      return send(reply, verdict.reason === 'locked' ? 429 : 400, passcodePage(v, flow, error));
    }
    if (flow.route.kind === 'personal-signup') {
      flow.signUpVerified = true;
      flow.passcodeSent = false;
      await saveFlow(ctx, loaded);
      return reply.redirect(G, 303);
    }
    const now = ctx.clock.now();
    return prove(
      loaded,
      { issuer: PASSCODE_ISSUER, subject: verdict.address, email: verdict.address, displayName: null, amr: ['otp'], authTime: authTime() },
      request,
      reply,
      {
        tenantId: '',
        userId: '',
        expiresAt: now + PASSCODE_SESSION_MS,
      },
    );
  });

  app.post(`${G}/signup`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, v } = c;
    const { flow } = loaded;
    const t = redemptionText(v.locale);
    if (flow.proven || flow.route.kind !== 'personal-signup' || !flow.signUpVerified) return reply.redirect(G, 303);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name : '';
    const password = typeof body.password === 'string' ? body.password : '';
    try {
      const account = await createPersonalAccount(ctx, { email: flow.address.toLowerCase(), displayName: name, password });
      return prove(
        loaded,
        {
          issuer: personalIssuer(publicUrl),
          subject: account.id,
          email: flow.address.toLowerCase(),
          displayName: account.displayName,
          amr: ['pwd'],
          authTime: authTime(),
        },
        request,
        reply,
        { tenantId: '', userId: '' },
      );
    } catch (err) {
      if (err instanceof FoyerError && err.code === 'directory.conflict') {
        // Someone (this person, in another window) created it meanwhile: sign in with it instead.
        flow.route = { kind: 'personal' };
        await saveFlow(ctx, loaded);
        return reply.redirect(G, 303);
      }
      if (err instanceof FoyerError && (err.code === 'directory.weak_password' || err.code === 'request.invalid_body')) {
        return send(
          reply,
          400,
          signUpStep(
            { ...v, brand: {} },
            {
              address: flow.address,
              action: `${G}/signup`,
              cancelAction: `${G}/cancel`,
              name: name.slice(0, 256),
              error: err.code === 'directory.weak_password' ? t.weakPassword : t.invalidName,
            },
          ),
        );
      }
      throw err;
    }
  });

  app.post(`${G}/switch`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { flow } = c.loaded;
    delete flow.proven;
    delete flow.external;
    flow.freshSignIn = true;
    flow.passcodeSent = false;
    await saveFlow(ctx, c.loaded);
    return reply.redirect(G, 303);
  });

  app.get(`${G}/callback`, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, tenant, v } = c;
    const { flow } = loaded;
    const t = redemptionText(v.locale);
    const pending = flow.external;
    const provider = pending ? await findExternalProvider(db, tenant.id, pending.providerId) : undefined;
    if (!pending || !provider || flow.route.kind !== 'external') return message(reply, v, 400, t.flowExpiredTitle, t.flowExpiredBody);
    delete flow.external;
    await saveFlow(ctx, loaded);
    try {
      const identity = await finishExternalSignIn(ctx, provider, new URL(request.url, publicUrl), pending);
      const vouched = identity.emailVerified ? parseEmailAddress(identity.email) : undefined;
      if (!vouched) throw new Error('the provider did not vouch for a valid e-mail address');
      return prove(
        loaded,
        { issuer: provider.issuer, subject: identity.subject, email: vouched.lower, displayName: identity.name, amr: identity.amr, authTime: authTime() },
        request,
        reply,
        { tenantId: '', userId: '' },
      );
    } catch (err) {
      request.log.warn({ err, provider: provider.issuer }, 'external sign-in failed');
      return message(reply, v, 400, t.externalFailedTitle, t.externalFailedBody);
    }
  });

  app.post(`${G}/accept`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, tenant, v } = c;
    const flow = loaded.flow;
    const t = redemptionText(v.locale);
    if (!flow.proven || flow.purpose === 'return') return reply.redirect(G, 303);
    const lower = flow.address.toLowerCase();
    if (!flow.bound && flow.proven.email !== lower) return reply.redirect(G, 303);
    const domain = lower.split('@')[1]!;
    if (checkInviteeDomain(domain, (await readInvitationPolicies(db, tenant.id)).b2bManagement)) {
      return message(reply, v, 403, t.blockedTitle, t.blockedBody(tenant.displayName, domain));
    }
    if (flow.purpose === 'redeem') {
      const inv = await flowInvitation(flow);
      if (!inv) return message(reply, v, 410, t.revokedTitle, t.revokedBody(tenant.displayName));
      const result = await completeRedemption(ctx, {
        tenantId: tenant.id,
        guestId: inv.user_id,
        ticket: { invitationId: inv.id, hash: flow.ticketHash! },
        proven: flow.proven,
        clientIp: request.ip,
      });
      if (!result.ok) return redemptionFailed(reply, v, tenant, result.reason, inv);
      await endFlow(ctx, reply, loaded);
      request.log.info({ tenant: tenant.id, guest: inv.user_id }, 'invitation redeemed');
      return reply.redirect(inv.redirect_url, 303);
    }
    if (!flow.guestId) return reply.redirect(G, 303);
    const result = await completeRedemption(ctx, { tenantId: tenant.id, guestId: flow.guestId, proven: flow.proven, clientIp: request.ip });
    if (!result.ok) return redemptionFailed(reply, v, tenant, result.reason);
    flow.outcome = { guestId: flow.guestId };
    await saveFlow(ctx, loaded);
    return reply.redirect(`/${tenant.id}/login/${flow.interactionUid}/guest`, 303);
  });

  async function redemptionFailed(reply: FastifyReply, v: View, tenant: Tenant, reason: 'spent' | 'identity_taken', inv?: Invitation) {
    const t = redemptionText(v.locale);
    if (reason === 'identity_taken') {
      return send(
        reply,
        409,
        choicePage(v, {
          title: t.identityTakenTitle,
          body: t.identityTakenBody(tenant.displayName),
          primary: { action: `${G}/switch`, label: t.useAnotherAccount },
        }),
      );
    }
    // Another window (or person) redeemed first, or the link was replaced or withdrawn meanwhile.
    const now = inv ? await db.selectFrom('invitations').select('ticket_state').where('id', '=', inv.id).executeTakeFirst() : undefined;
    if (!inv || now?.ticket_state === 'redeemed') return message(reply, v, 409, t.alreadyTitle, t.alreadyBody(tenant.displayName));
    return message(reply, v, 409, t.revokedTitle, t.revokedBody(tenant.displayName));
  }

  app.post(`${G}/cancel`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const c = await current(request, reply);
    if (!c) return reply;
    const { loaded, tenant, v } = c;
    const flow = loaded.flow;
    if (flow.purpose === 'signin') {
      flow.outcome = 'cancelled';
      await saveFlow(ctx, loaded);
      return reply.redirect(`/${tenant.id}/login/${flow.interactionUid}/guest`, 303);
    }
    await endFlow(ctx, reply, loaded);
    const t = redemptionText(v.locale);
    return message(reply, v, 200, t.cancelledTitle, t.cancelledBody);
  });
}
