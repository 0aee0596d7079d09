/**
 * The invitation link (redemption's first two steps):
 *   GET  /redeem?tenant&user&ticket   who invited whom, or the page that says what is wrong with the link
 *   POST /redeem                      start: find the home identity (home-realm.ts) → /guest
 * Opening the link changes nothing (mail scanners open links); starting is a CSRF-protected POST.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findTenant } from '../../directory/tenants.js';
import { findInvitationByTicket } from '../../invitations/index.js';
import { sha256 } from '../../platform/ids.js';
import { boundRoute, discoverHome, linkFacts, linkRefusal } from '../../redemption/index.js';
import { parseForm, textField } from '../kit/forms.js';
import { startFlow } from '../kit/guest-flows.js';
import { redemptionText } from '../kit/guest-texts.js';
import type { GuestPages } from './guest-page.js';
import { landingPage } from './views.js';

const linkParams = z.object({ tenant: textField(), user: textField(), ticket: textField() });

export function registerLinkPages(app: FastifyInstance, pages: GuestPages): void {
  const { ctx } = pages;

  /** The invitation a link presents: it names its tenant and invitation, so a ticket presented for another one is unknown. */
  async function presented(source: unknown) {
    const q = parseForm(linkParams, source);
    const found = await findInvitationByTicket(ctx.db.kysely, q.ticket);
    const inv = found && q.tenant === found.tenantId && q.user === found.id ? found : undefined;
    const tenant = inv ? await findTenant(ctx.db.kysely, inv.tenantId) : undefined;
    const refusal = linkRefusal(await linkFacts(ctx, inv, tenant?.id));
    return { ticket: q.ticket, inv, tenant, refusal };
  }

  app.get('/redeem', async (request, reply) => {
    const { ticket, inv, tenant, refusal } = await presented(request.query);
    const v = pages.view(request, reply, tenant, inv?.messageLanguage);
    if (refusal || !inv || !tenant) {
      return pages.refuse(reply, v, refusal ?? 'unknown-link', { organization: tenant?.displayName ?? '', address: inv?.invitedEmail ?? '' });
    }
    const t = redemptionText(v.locale);
    const returning = inv.ticketState === 'redeemed';
    const title = returning
      ? t.returnTitle(tenant.displayName)
      : inv.inviterName
        ? t.invitedYou(inv.inviterName, tenant.displayName)
        : t.orgInvitedYou(tenant.displayName);
    return pages.send(
      reply,
      200,
      landingPage(v, {
        title,
        body: returning ? t.returnBody : t.invitedBody(tenant.displayName),
        address: inv.invitedEmail,
        action: '/redeem',
        hidden: { tenant: inv.tenantId, user: inv.id, ticket },
      }),
    );
  });

  app.post('/redeem', { preHandler: app.csrfProtection }, async (request, reply) => {
    const { ticket, inv, tenant, refusal } = await presented(request.body);
    const v = pages.view(request, reply, tenant, inv?.messageLanguage);
    if (refusal || !inv || !tenant) {
      return pages.refuse(reply, v, refusal ?? 'unknown-link', { organization: tenant?.displayName ?? '', address: inv?.invitedEmail ?? '' });
    }
    const returning = inv.ticketState === 'redeemed';
    const { route, bound } = returning
      ? await boundRoute(ctx, tenant.id, inv.guestId)
      : { route: await discoverHome(ctx, tenant.id, inv.invitedEmail, true), bound: undefined };
    await startFlow(ctx, request, reply, {
      purpose: returning ? 'return' : 'redeem',
      tenantId: tenant.id,
      address: inv.invitedEmail,
      invitationId: inv.id,
      ticketHash: sha256(ticket),
      language: inv.messageLanguage,
      route,
      ...(bound ? { bound } : {}),
    });
    return pages.showStep(reply);
  });
}
