/**
 * "Block future invitations": the link at the foot of every invitation e-mail. It is signed for one
 * address and one organization, so nobody can block (or unblock) someone else. Opening it only shows a
 * page; the change happens on a button press (a POST with a CSRF token), because mail scanners follow
 * links and must not unsubscribe people by looking.
 */

import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findTenant } from '../../directory/tenants.js';
import { isInvitationBlocked, setInvitationBlock } from '../../invitations/index.js';
import type { AppContext } from '../../platform/context.js';
import { html } from '../../platform/html.js';
import { verifyLink } from '../../platform/instance-keys.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import { parseForm } from '../kit/forms.js';
import { brandOf, page, pageHeaders } from '../kit/layout.js';

const messages = {
  'en-US': {
    title: 'Invitations from this organization',
    blockQuestion: (org: string) => `Block future invitations from ${org}?`,
    blockExplain: (org: string, address: string) =>
      `${org} will not be able to send invitation e-mail to ${address}. Invitations you already accepted keep working.`,
    block: 'Block future invitations',
    blocked: (org: string) => `You have blocked invitations from ${org}`,
    blockedExplain: (address: string) =>
      `No more invitation e-mail from this organization will be sent to ${address}. You can change your mind here at any time.`,
    unblock: 'Allow invitations again',
    unblocked: (org: string) => `Invitations from ${org} are allowed again`,
    unblockedExplain: (address: string) => `${address} can receive invitation e-mail from this organization again.`,
    invalidTitle: 'This link is not valid',
    invalidBody: 'The link may have been copied incompletely. Open it again from the invitation e-mail, or ask the person who invited you.',
  },
  'sv-SE': {
    title: 'Inbjudningar från den här organisationen',
    blockQuestion: (org: string) => `Blockera framtida inbjudningar från ${org}?`,
    blockExplain: (org: string, address: string) =>
      `${org} kommer inte att kunna skicka inbjudningar till ${address}. Inbjudningar som du redan har accepterat fortsätter att fungera.`,
    block: 'Blockera framtida inbjudningar',
    blocked: (org: string) => `Du har blockerat inbjudningar från ${org}`,
    blockedExplain: (address: string) => `Inga fler inbjudningar från organisationen skickas till ${address}. Du kan ändra dig här när som helst.`,
    unblock: 'Tillåt inbjudningar igen',
    unblocked: (org: string) => `Inbjudningar från ${org} tillåts igen`,
    unblockedExplain: (address: string) => `${address} kan ta emot inbjudningar från organisationen igen.`,
    invalidTitle: 'Länken är inte giltig',
    invalidBody: 'Länken kan ha kopierats ofullständigt. Öppna den igen från inbjudan, eller fråga personen som bjöd in dig.',
  },
} satisfies Record<Locale, unknown>;

/** The signed link's parameters; anything else (missing, too long, repeated) makes the link invalid. */
const linkParams = z.object({ tenant: z.string().min(1).max(64), address: z.string().min(1).max(320), sig: z.string().min(1).max(128) });
type LinkParams = z.infer<typeof linkParams>;

function readParams(source: unknown): LinkParams | undefined {
  return parseForm(linkParams.optional().catch(undefined), source);
}

/** Anything but "unblock" blocks: the block page's only other button. */
const actionForm = z.object({ action: z.string().catch('block') });

export function registerBlockPages(app: FastifyInstance, ctx: AppContext): void {
  async function resolve(request: FastifyRequest, reply: FastifyReply, source: unknown) {
    const locale = chooseLocale([], request.headers['accept-language']);
    const t = messages[locale];
    const params = readParams(source);
    const valid = params && (await verifyLink(ctx, ['block-invitations', params.tenant, params.address], params.sig));
    const tenant = valid ? await findTenant(ctx.db.kysely, params.tenant) : undefined;
    if (!params || !valid || !tenant || tenant.id !== params.tenant) {
      reply
        .code(400)
        .headers(pageHeaders)
        .send(page(locale, t.invalidTitle, html`<h1>${t.invalidTitle}</h1><p>${t.invalidBody}</p>`));
      return undefined;
    }
    return { locale, t, params, tenant };
  }

  function form(reply: FastifyReply, p: LinkParams, action: 'block' | 'unblock', label: string) {
    return html`<form method="post" action="/invitations/block">
<input type="hidden" name="_csrf" value="${reply.generateCsrf()}">
<input type="hidden" name="tenant" value="${p.tenant}">
<input type="hidden" name="address" value="${p.address}">
<input type="hidden" name="sig" value="${p.sig}">
<input type="hidden" name="action" value="${action}">
<div class="actions"><button type="submit" class="${action === 'block' ? 'primary' : 'secondary'}">${label}</button></div>
</form>`;
  }

  app.get('/invitations/block', async (request, reply) => {
    const it = await resolve(request, reply, request.query);
    if (!it) return reply;
    const { t, params, tenant, locale } = it;
    const body = (await isInvitationBlocked(ctx.db.kysely, tenant.id, params.address))
      ? html`<h1>${t.blocked(tenant.displayName)}</h1><p>${t.blockedExplain(params.address)}</p>${form(reply, params, 'unblock', t.unblock)}`
      : html`<h1>${t.blockQuestion(tenant.displayName)}</h1><p>${t.blockExplain(tenant.displayName, params.address)}</p>${form(reply, params, 'block', t.block)}`;
    return reply.headers(pageHeaders).send(page(locale, t.title, body, brandOf(tenant)));
  });

  app.post('/invitations/block', { preHandler: app.csrfProtection }, async (request, reply) => {
    const it = await resolve(request, reply, request.body);
    if (!it) return reply;
    const { t, params, tenant, locale } = it;
    const action = parseForm(actionForm, request.body).action === 'unblock' ? 'unblock' : 'block';
    await setInvitationBlock(ctx, { tenantId: tenant.id, addressLower: params.address, blocked: action === 'block', clientIp: request.ip });
    // A plain heading: role="status" on it would take away its heading role, and a page that has just
    // loaded is read from its title and heading anyway.
    const body =
      action === 'block'
        ? html`<h1>${t.blocked(tenant.displayName)}</h1><p>${t.blockedExplain(params.address)}</p>${form(reply, params, 'unblock', t.unblock)}`
        : html`<h1>${t.unblocked(tenant.displayName)}</h1><p>${t.unblockedExplain(params.address)}</p>${form(reply, params, 'block', t.block)}`;
    return reply.headers(pageHeaders).send(page(locale, t.title, body, brandOf(tenant)));
  });
}
