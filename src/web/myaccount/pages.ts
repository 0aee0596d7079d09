/**
 * "My organizations" (Entra's My Account → Organizations), for a person signed in on this instance:
 *   GET  /myaccount/organizations                      the organizations they are a guest of (and their home one)
 *   GET  /myaccount/organizations/sign-in              "Sign in to see your organizations": an address
 *   POST /myaccount/organizations/sign-in              "Check your inbox" (a link is mailed if the address is a guest)
 *   GET  /myaccount/organizations/link?ticket=…        the mailed link: "Continue" (spends nothing)
 *   POST /myaccount/organizations/link                 spends the link, starts the guest's bound sign-in flow
 *   GET  /myaccount/organizations/{guestId}/leave      "Leave X?" (or why not, and whom to contact)
 *   POST /myaccount/organizations/{guestId}/leave      leaves: the guest object is soft-deleted, "You left X"
 *
 * Who is signed in: only what this browser's session proved (signed-in-organizations.ts); the page has no
 * sign-in of its own. Without a usable proof it asks for the address the person was invited with, and must
 * not tell anyone whether that address is a guest anywhere (no account enumeration). So every well-formed
 * address gets the same "Check your inbox" page, with the same status, and the same work is done for it
 * (governance/myaccount-links.ts: both limits counted, the address looked up, one link row written); only
 * when the address is an accepted guest is an e-mail queued, with a one-time link to the guest who redeemed
 * first (in any tenant). An address that is no guest is sent nothing. Requests are limited per client
 * address (five times FOYER_SIGNIN_ATTEMPT_LIMIT per FOYER_SIGNIN_ATTEMPT_WINDOW) and per typed address
 * (FOYER_SIGNIN_ATTEMPT_LIMIT per window, so nobody's mailbox is flooded); past either, the same 429 page.
 *
 * The link (`?ticket=`, 256 random bits, kept hashed, one use, 15 minutes) opens a page with a button; a
 * GET spends nothing, so a mail scanner that fetches links does not use it up. The button's CSRF-protected
 * POST spends the ticket (compare-and-set) and starts a guest flow with the purpose `myaccount` and that
 * guest's bound identity: the guest pages (web/guest/) then prove it with the method the guest redeemed with
 * (the home organization's password, the personal account, the external provider, a one-time passcode),
 * exactly as when the guest signs in to that organization's app, single sign-on included, and record the
 * proof in the browser session. The link alone proves nothing: it only stands for the address that was typed.
 * Once proven, the flow goes back to the fixed internal path MY_ORGANIZATIONS_PATH
 * (web/kit/my-organizations-path.ts), never to an address taken from a request, so it is no open redirect; a
 * `myaccount` flow completes no redemption (redemption/next-step.ts). The page then lists every organization
 * the proven identities are guests of.
 *
 * Leaving is allowed when the organization's `policies/externalIdentitiesPolicy` allows it and the guest
 * account is enabled (governance/leave.ts); otherwise the page names the organization's privacy contact (the
 * organization's administrator when the guest holds its last Global Administrator role, which the directory
 * keeps). Both the GET and the POST find the guest only among this browser's own organizations, and the POST
 * is CSRF-protected.
 *
 * Second factor: the browser-session entries the list is built from are first factors only (the sign-in and
 * guest pages store them before any second-factor step, and the mailed link's sign-in has none). Listing
 * stays on that first factor: it shows only the organizations' names, logos, dates and privacy links, which
 * the person's own home identity (password, mailbox) already gives access to. Leaving asks for what signing in
 * to that organization would: when the guest has a method registered there, or its Conditional Access
 * policies ask the guest for MFA (as for all applications), this browser must have proven the guest's second
 * factor there at or after the entry's sign-in, or the guest's home tenant must have, when the organization
 * trusts its MFA (web/kit/second-factor-access.ts, `secondFactorDue`). Otherwise the confirmation page (GET)
 * opens the MFA pages' challenge, which comes back to that page's fixed internal path; a POST without it
 * leaves nothing and is sent to the confirmation page; MFA asked for with no method registered yet gets a
 * page asking the person to sign in to one of the organization's apps first (that sign-in registers one).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseEmailAddress } from '../../directory/domains.js';
import { since } from '../../directory/guest-organizations.js';
import { findUser } from '../../directory/users.js';
import { leaveOrganization, MYACCOUNT_LINK_TTL_MS, mayLeave, peekMyAccountLink, requestMyAccountLink, spendMyAccountLink } from '../../governance/index.js';
import type { AppContext } from '../../platform/context.js';
import { chooseLocale } from '../../platform/locale.js';
import { boundRoute } from '../../redemption/index.js';
import { type BrowserSession, readBrowserSession } from '../kit/browser-session.js';
import { parseForm, rawField } from '../kit/forms.js';
import { GUEST_FLOW_PATH, startFlow } from '../kit/guest-flows.js';
import { pageHeaders } from '../kit/layout.js';
import { MY_ORGANIZATIONS_PATH } from '../kit/my-organizations-path.js';
import { challengeGate, secondFactorDue } from '../kit/second-factor-access.js';
import { type MyOrganizations, myOrganizations } from './signed-in-organizations.js';
import { myAccountText } from './texts.js';
import {
  deadLinkPage,
  leaveConfirmPage,
  leaveRefusedPage,
  linkConfirmPage,
  linkSentPage,
  type MyAccountView,
  organizationsPage,
  outcomePage,
  signInPage,
} from './views.js';

const BASE = MY_ORGANIZATIONS_PATH;
const SIGN_IN = `${BASE}/sign-in`;
const LEAVE = `${BASE}/:guestId/leave`;
const LINK = `${BASE}/link`;
const LINK_MINUTES = MYACCOUNT_LINK_TTL_MS / 60_000;

const signInForm = z.object({ email: rawField });
const linkForm = z.object({ ticket: rawField });

/** The paths of one guest account's Leave pages: built from its id, never from the request. */
const leavePath = (guestId: string): `/${string}` => `${BASE}/${guestId}/leave`;

/** One of this browser's guest accounts, with the entry it was found through and the session. */
type Mine = MyOrganizations['guestOf'][number] & { session: BrowserSession | undefined };

const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(pageHeaders).send(body);

export function registerMyAccountPages(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.db.kysely;

  const view = (request: FastifyRequest, reply: FastifyReply): MyAccountView => ({
    locale: chooseLocale([], request.headers['accept-language']),
    csrfToken: reply.generateCsrf(),
  });

  /** One of this browser's guest accounts, by id; undefined when it is not theirs (or not there). */
  async function ownGuest(request: FastifyRequest): Promise<Mine | undefined> {
    const { guestId } = request.params as { guestId: string };
    const session = await readBrowserSession(ctx, request);
    const found = (await myOrganizations(ctx, session))?.guestOf.find((g) => g.guest.id === guestId);
    return found && { ...found, session };
  }

  app.get(BASE, async (request, reply) => {
    const v = view(request, reply);
    const mine = await myOrganizations(ctx, await readBrowserSession(ctx, request));
    if (!mine) return send(reply, 200, signInPage(v, { action: SIGN_IN }));
    const body = organizationsPage(v, {
      identities: mine.identities,
      homes: mine.homes.map((h) => ({ tenant: h.tenant, since: h.member.createdAt })),
      guestOf: mine.guestOf.map((g) => ({ tenant: g.tenant, since: since(g.guest), leaveHref: leavePath(g.guest.id) })),
      signInHref: SIGN_IN,
    });
    return send(reply, 200, body);
  });

  app.get(SIGN_IN, async (request, reply) => send(reply, 200, signInPage(view(request, reply), { action: SIGN_IN })));

  app.post(SIGN_IN, { preHandler: app.csrfProtection }, async (request, reply) => {
    const locale = chooseLocale([], request.headers['accept-language']);
    const typed = parseForm(signInForm, request.body).email;
    const address = parseEmailAddress(typed);
    if (!address) {
      const v = view(request, reply);
      const error = myAccountText(locale).invalidEmail;
      return send(reply, 400, signInPage(v, { action: SIGN_IN, email: typeof typed === 'string' ? typed.slice(0, 254) : '', error }));
    }
    const asked = await requestMyAccountLink(ctx, { address: address.address, lower: address.lower, locale, linkPath: LINK, clientIp: request.ip });
    if ('retryAfterMs' in asked) {
      // The same page whichever limit was passed and whatever the address: it repeats nothing typed.
      reply.header('retry-after', String(Math.ceil(asked.retryAfterMs / 1000)));
      const minutes = Math.max(1, Math.ceil(asked.retryAfterMs / 60_000));
      return send(reply, 429, signInPage(view(request, reply), { action: SIGN_IN, error: myAccountText(locale).tooManyTries(minutes) }));
    }
    return send(reply, 200, linkSentPage({ locale }, { minutes: LINK_MINUTES, againHref: SIGN_IN }));
  });

  const deadLink = (request: FastifyRequest, reply: FastifyReply) =>
    send(reply, 410, deadLinkPage({ locale: chooseLocale([], request.headers['accept-language']) }, { minutes: LINK_MINUTES, againHref: SIGN_IN }));

  app.get(LINK, async (request, reply) => {
    const ticket = parseForm(linkForm, request.query).ticket;
    const link = typeof ticket === 'string' ? await peekMyAccountLink(ctx, ticket) : undefined;
    if (!link || typeof ticket !== 'string') return deadLink(request, reply);
    return send(reply, 200, linkConfirmPage(view(request, reply), { address: link.address, action: LINK, ticket }));
  });

  app.post(LINK, { preHandler: app.csrfProtection }, async (request, reply) => {
    const ticket = parseForm(linkForm, request.body).ticket;
    const link = typeof ticket === 'string' ? await spendMyAccountLink(ctx, ticket) : undefined;
    if (!link) return deadLink(request, reply);
    // The guest may have left, been deleted or been reset since the link was sent: then it leads nowhere.
    const guest = await findUser(db, link.tenantId, link.guestId);
    const { route, bound } =
      guest?.externalUserState === 'Accepted' ? await boundRoute(ctx, link.tenantId, link.guestId) : { route: undefined, bound: undefined };
    if (!route || route.kind === 'none' || !bound) return deadLink(request, reply);
    await startFlow(ctx, request, reply, { purpose: 'myaccount', tenantId: link.tenantId, address: link.address, language: null, route, bound });
    return reply.redirect(GUEST_FLOW_PATH, 303);
  });

  /**
   * The second factor leaving needs (web/kit/second-factor-access.ts): undefined when it is settled;
   * otherwise the reply is on its way: a GET goes to the MFA pages' challenge, which comes back to the
   * confirmation page; a POST is not acted on and goes to that page (and so to the challenge); with no
   * method to prove, a page asks the person to sign in to one of the organization's apps first.
   */
  async function secondFactorPending(request: FastifyRequest, reply: FastifyReply, v: MyAccountView, mine: Mine): Promise<boolean> {
    const due = await secondFactorDue(ctx, mine.session, mine.guest, mine.entry);
    if (due.kind === 'settled') return false;
    const confirmPath = leavePath(mine.guest.id);
    if (due.kind === 'verify') {
      const t = myAccountText(v.locale);
      const org = mine.tenant.displayName;
      send(reply, 403, outcomePage(v, { title: t.verifyFirstTitle, body: t.verifyFirstBody(org), backHref: BASE }));
    } else if (request.method === 'GET') await challengeGate(ctx, request, reply, mine.guest, due, confirmPath);
    else reply.redirect(confirmPath, 303);
    return true;
  }

  app.get(LEAVE, async (request, reply) => {
    const v = view(request, reply);
    const mine = await ownGuest(request);
    if (!mine) return reply.redirect(BASE, 303);
    const decision = await mayLeave(ctx, mine.guest);
    if (!decision.allowed) return send(reply, 403, leaveRefusedPage(v, { tenant: mine.tenant, refusal: decision.refusal, backHref: BASE }));
    if (await secondFactorPending(request, reply, v, mine)) return reply;
    const body = leaveConfirmPage(v, {
      organization: mine.tenant.displayName,
      identity: mine.guest.mail ?? mine.guest.userPrincipalName,
      action: leavePath(mine.guest.id),
      cancelHref: BASE,
    });
    return send(reply, 200, body);
  });

  app.post(LEAVE, { preHandler: app.csrfProtection }, async (request, reply) => {
    const v = view(request, reply);
    const t = myAccountText(v.locale);
    const mine = await ownGuest(request);
    if (!mine) return send(reply, 404, outcomePage(v, { title: t.goneTitle, body: t.goneBody, backHref: BASE }));
    // Refused for the policy or a disabled account before any second factor is asked for: it would not help.
    const decision = await mayLeave(ctx, mine.guest);
    if (!decision.allowed) return send(reply, 403, leaveRefusedPage(v, { tenant: mine.tenant, refusal: decision.refusal, backHref: BASE }));
    if (await secondFactorPending(request, reply, v, mine)) return reply;
    const result = await leaveOrganization(ctx, mine.tenant.id, mine.guest.id, request.ip);
    if (!result.ok) {
      if (result.refusal === 'gone') return send(reply, 404, outcomePage(v, { title: t.goneTitle, body: t.goneBody, backHref: BASE }));
      return send(reply, 403, leaveRefusedPage(v, { tenant: mine.tenant, refusal: result.refusal, backHref: BASE }));
    }
    request.log.info({ tenant: mine.tenant.id, guest: mine.guest.id }, 'guest left the organization');
    const org = mine.tenant.displayName;
    return send(reply, 200, outcomePage(v, { title: t.leftTitle(org), body: t.leftBody(org), backHref: BASE, status: true }));
  });
}
