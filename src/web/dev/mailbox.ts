/**
 * The development mailbox: without `FOYER_SMTP_URL`, in development mode, mail is delivered to a table
 * and shown at `/_dev/mailbox`, so the invitation flow can be tried on a laptop with no mail server.
 * Never served in production mode, and only to requests from this machine (the page shows live
 * redemption links).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findMailboxMessage, listMailbox } from '../../mail/index.js';
import type { AppContext } from '../../platform/context.js';
import { html } from '../../platform/html.js';
import { page, pageHeaders } from '../kit/layout.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function registerDevelopmentMailbox(app: FastifyInstance, ctx: AppContext): void {
  if (ctx.config.mode !== 'development') return;
  // The mailbox shows live redemption links: only to the developer's own machine. A hook on each route
  // (not a check of the URL text, which %5F would get past) decides.
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!LOOPBACK.has(request.ip)) {
      return reply
        .code(404)
        .headers(pageHeaders)
        .send(page('en-US', 'Not found', html`<h1>Not found</h1>`));
    }
  };

  app.get('/_dev/mailbox', { onRequest }, async (_request, reply) => {
    const mails = await listMailbox(ctx.db.kysely, 100);
    return reply.headers(pageHeaders).send(
      page(
        'en-US',
        'Development mailbox',
        html`<h1>Development mailbox</h1>
<p class="hint">Mail Foyer would have sent (no FOYER_SMTP_URL is set). Development mode only.</p>
${
  mails.length
    ? html`<ul>${mails.map((m) => html`<li><a href="/_dev/mailbox/${m.id}">${m.mail.subject}</a><br><span class="hint">to ${m.mail.to.address}${m.mail.cc ? `, cc ${m.mail.cc.address}` : ''} · ${m.at}</span></li>`)}</ul>`
    : html`<p>No mail yet.</p>`
}`,
      ),
    );
  });

  app.get('/_dev/mailbox/:id', { onRequest }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = UUID.test(id) ? await findMailboxMessage(ctx.db.kysely, id) : undefined;
    if (!found)
      return reply
        .code(404)
        .headers(pageHeaders)
        .send(page('en-US', 'Not found', html`<h1>No such message</h1><p><a href="/_dev/mailbox">Back to the mailbox</a></p>`));
    const { mail } = found;
    return reply.headers(pageHeaders).send(
      page(
        'en-US',
        mail.subject,
        html`<p><a href="/_dev/mailbox">← Mailbox</a> · <a href="/_dev/mailbox/${id}/html">HTML part</a></p>
<h1>${mail.subject}</h1>
<dl class="meta"><dt>From</dt><dd>${mail.from}</dd><dt>To</dt><dd>${mail.to.address}</dd>${mail.cc ? html`<dt>Cc</dt><dd>${mail.cc.address}</dd>` : ''}${mail.replyTo ? html`<dt>Reply-To</dt><dd>${mail.replyTo}</dd>` : ''}</dl>
<pre>${mail.text}</pre>`,
      ),
    );
  });

  app.get('/_dev/mailbox/:id/html', { onRequest }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = UUID.test(id) ? await findMailboxMessage(ctx.db.kysely, id) : undefined;
    if (!found) return reply.code(404).send('not found');
    const { mail } = found;
    // The HTML part as a mail client would show it: no scripts, sandboxed.
    return reply
      .headers({ ...pageHeaders, 'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:" })
      .send(mail.html);
  });
}
