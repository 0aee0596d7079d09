/**
 * "Block future invitations": the link at the foot of every invitation e-mail. It is signed for one
 * address and one organization, so nobody can block (or unblock) someone else. Opening it only shows a
 * page; the change happens on a button press (a POST with a CSRF token), because mail scanners follow
 * links and must not unsubscribe people by looking.
 */

import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { activities, recordAudit } from '../../directory/audit-log.js';
import { findTenant } from '../../directory/tenants.js';
import type { AppContext } from '../../platform/context.js';
import { html } from '../../platform/html.js';
import { newId } from '../../platform/ids.js';
import { verifyLink } from '../../platform/instance-keys.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import { page, pageHeaders } from '../kit/layout.js';
import { brandOf } from '../sign-in/sign-in.js';

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

interface LinkParams {
  tenant: string;
  address: string;
  sig: string;
}

function readParams(source: unknown): LinkParams | undefined {
  const p = (source ?? {}) as Record<string, unknown>;
  const ok = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!ok(p.tenant, 64) || !ok(p.address, 320) || !ok(p.sig, 128)) return undefined;
  return { tenant: p.tenant, address: p.address, sig: p.sig };
}

export function registerBlockPages(app: FastifyInstance, ctx: AppContext): void {
  async function resolve(request: FastifyRequest, reply: FastifyReply, source: unknown) {
    const locale = chooseLocale([], request.headers['accept-language']);
    const t = messages[locale];
    const params = readParams(source);
    const valid = params && (await verifyLink(ctx.db, ctx.clock, ['block-invitations', params.tenant, params.address], params.sig));
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

  async function isBlocked(tenantId: string, address: string) {
    const row = await ctx.db.kysely
      .selectFrom('invitation_blocks')
      .select('created_at')
      .where('tenant_id', '=', tenantId)
      .where('address_lower', '=', address)
      .executeTakeFirst();
    return row !== undefined;
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
    const body = (await isBlocked(tenant.id, params.address))
      ? html`<h1>${t.blocked(tenant.displayName)}</h1><p>${t.blockedExplain(params.address)}</p>${form(reply, params, 'unblock', t.unblock)}`
      : html`<h1>${t.blockQuestion(tenant.displayName)}</h1><p>${t.blockExplain(tenant.displayName, params.address)}</p>${form(reply, params, 'block', t.block)}`;
    return reply.headers(pageHeaders).send(page(locale, t.title, body, brandOf(tenant)));
  });

  app.post('/invitations/block', { preHandler: app.csrfProtection }, async (request, reply) => {
    const it = await resolve(request, reply, request.body);
    if (!it) return reply;
    const { t, params, tenant, locale } = it;
    const action = (request.body as Record<string, unknown>).action === 'unblock' ? 'unblock' : 'block';
    const now = ctx.clock.now();
    await ctx.db.transaction(async (trx) => {
      const changed =
        action === 'block'
          ? (
              await trx
                .insertInto('invitation_blocks')
                .values({ tenant_id: tenant.id, address_lower: params.address, created_at: now })
                .onConflict((oc) => oc.columns(['tenant_id', 'address_lower']).doNothing())
                .executeTakeFirst()
            ).numInsertedOrUpdatedRows
          : (await trx.deleteFrom('invitation_blocks').where('tenant_id', '=', tenant.id).where('address_lower', '=', params.address).executeTakeFirst())
              .numDeletedRows;
      if (Number(changed ?? 0) > 0) {
        await recordAudit(trx, {
          tenantId: tenant.id,
          activity: action === 'block' ? activities.emailUnsubscribed : activities.emailSubscribed,
          category: 'UserManagement',
          operationType: 'Update',
          result: 'success',
          actor: { kind: 'recipient', address: params.address, ipAddress: request.ip },
          targets: [{ id: null, type: 'User', displayName: params.address }],
          correlationId: newId(),
          at: now,
        });
      }
    });
    const body =
      action === 'block'
        ? html`<h1 role="status">${t.blocked(tenant.displayName)}</h1><p>${t.blockedExplain(params.address)}</p>${form(reply, params, 'unblock', t.unblock)}`
        : html`<h1 role="status">${t.unblocked(tenant.displayName)}</h1><p>${t.unblockedExplain(params.address)}</p>${form(reply, params, 'block', t.block)}`;
    return reply.headers(pageHeaders).send(page(locale, t.title, body, brandOf(tenant)));
  });
}
