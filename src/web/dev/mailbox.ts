/**
 * The development mailbox: without `FOYER_SMTP_URL`, in development mode, mail is delivered to a table
 * and shown at `/_dev/mailbox`, so the invitation flow can be tried on a laptop with no mail server.
 * Scripts and tests read the same list as JSON (`/_dev/mailbox.json`, or `Accept: application/json`),
 * with each message's links picked out. Never served in production mode, and only to requests from this
 * machine (the page shows live redemption links).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findMailboxMessage, listMailboxPage, type MailboxMessage } from '../../mail/index.js';
import type { AppContext } from '../../platform/context.js';
import { type Html, html } from '../../platform/html.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import { page, pageHeaders } from '../kit/layout.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** How many messages one page of the list shows, newest first; `@odata.nextLink` / "Older messages" go on. */
const LIST_LIMIT = 100;

const texts = {
  'en-US': {
    title: 'Development mailbox',
    hint: 'Mail Foyer would have sent (no FOYER_SMTP_URL is set). Development mode only.',
    asJson: 'The same as JSON',
    empty: 'No mail yet.',
    cutOff: (n: number) => `Showing the newest ${n} messages.`,
    older: 'Older messages →',
    newest: '← Newest messages',
    badCursor: 'Not a message id',
    to: 'to',
    cc: 'cc',
    back: '← Mailbox',
    htmlPart: 'HTML part',
    links: 'Links in this message',
    from: 'From',
    toHeading: 'To',
    ccHeading: 'Cc',
    replyTo: 'Reply-To',
    notFound: 'Not found',
    noSuchMessage: 'No such message',
    backToMailbox: 'Back to the mailbox',
  },
  'sv-SE': {
    title: 'Utvecklingsbrevlåda',
    hint: 'E-post som Foyer skulle ha skickat (FOYER_SMTP_URL är inte satt). Endast i utvecklingsläge.',
    asJson: 'Samma sak som JSON',
    empty: 'Ingen e-post ännu.',
    cutOff: (n: number) => `Visar de ${n} senaste meddelandena.`,
    older: 'Äldre meddelanden →',
    newest: '← Senaste meddelandena',
    badCursor: 'Inget meddelande-id',
    to: 'till',
    cc: 'kopia',
    back: '← Brevlådan',
    htmlPart: 'HTML-delen',
    links: 'Länkar i meddelandet',
    from: 'Från',
    toHeading: 'Till',
    ccHeading: 'Kopia',
    replyTo: 'Svara till',
    notFound: 'Hittades inte',
    noSuchMessage: 'Meddelandet finns inte',
    backToMailbox: 'Tillbaka till brevlådan',
  },
} satisfies Record<Locale, Record<string, string | ((n: number) => string)>>;

/** http(s) URLs in plain text; trailing punctuation belongs to the sentence, not the link. */
const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

function urlsInText(text: string): string[] {
  return [...text.matchAll(URL_IN_TEXT)].map((m) => m[0].replace(TRAILING_PUNCTUATION, ''));
}

/** Every link of a message, whole and once each: the text part's, then any only the HTML part has. */
function linksOf(message: MailboxMessage): string[] {
  const hrefs = [...(message.mail.html ?? '').matchAll(/href="(https?:\/\/[^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
  return [...new Set([...urlsInText(message.mail.text), ...hrefs])];
}

/** A message as scripts read it: Graph-like names, the date as ISO 8601. */
function messageJson(message: MailboxMessage) {
  const { mail } = message;
  return {
    id: message.id,
    date: message.at,
    from: mail.from,
    to: mail.to.address,
    cc: mail.cc?.address ?? null,
    replyTo: mail.replyTo ?? null,
    subject: mail.subject,
    links: linksOf(message),
    text: mail.text,
  };
}

/** The text part with its links clickable; the rest stays text (escaped). */
function textWithLinks(text: string): Html[] {
  const parts: Html[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const url = m[0].replace(TRAILING_PUNCTUATION, '');
    parts.push(html`${text.slice(last, m.index)}`, html`<a href="${url}">${url}</a>`);
    last = m.index + url.length;
  }
  parts.push(html`${text.slice(last)}`);
  return parts;
}

/** `Accept: application/json` without HTML: a script, not a browser. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

// Long links (redemption tickets) wrap instead of running off the page, so they are seen whole.
const MAILBOX_STYLE = html`<style>.mail-text { white-space: pre-wrap; overflow-wrap: anywhere; background: #f0f1f3; padding: .75rem; border-radius: 3px; font-family: monospace; } .links a, .mail-text a { overflow-wrap: anywhere; }</style>`;

export function registerDevelopmentMailbox(app: FastifyInstance, ctx: AppContext): void {
  if (ctx.config.mode !== 'development') return;
  const localeOf = (request: FastifyRequest) => chooseLocale([], request.headers['accept-language']);
  // The mailbox shows live redemption links: only to the developer's own machine. A hook on each route
  // (not a check of the URL text, which %5F would get past) decides.
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!LOOPBACK.has(request.ip)) {
      const t = texts[localeOf(request)];
      return reply
        .code(404)
        .headers(pageHeaders)
        .send(page(localeOf(request), t.notFound, html`<h1>${t.notFound}</h1>`));
    }
  };

  const list = async (request: FastifyRequest, reply: FastifyReply, json: boolean) => {
    const query = request.query as { to?: unknown; before?: unknown };
    // `?to=` narrows the list to one recipient (a script waiting for its guest's mail), in the query, so
    // older mail to them is found however much newer mail others got; `?before=` is the next page.
    const to = typeof query.to === 'string' ? query.to.trim() : '';
    const before = typeof query.before === 'string' ? query.before : '';
    const locale = localeOf(request);
    const t = texts[locale];
    if (before && !UUID.test(before)) {
      if (json) return reply.code(400).send({ error: 'invalid_request', error_description: 'before is not a message id' });
      return reply
        .code(400)
        .headers(pageHeaders)
        .send(page(locale, t.badCursor, html`<h1>${t.badCursor}</h1><p><a href="/_dev/mailbox">${t.backToMailbox}</a></p>`));
    }
    const { messages: mails, more } = await listMailboxPage(ctx.db.kysely, ctx.db.dialect, { to, before, limit: LIST_LIMIT });
    const next = more ? pageQuery(to, mails.at(-1)!.id) : undefined;
    if (json) {
      const body: Record<string, unknown> = { value: mails.map(messageJson) };
      if (next) body['@odata.nextLink'] = `${ctx.config.publicUrl}/_dev/mailbox.json?${next}`;
      return reply.header('cache-control', 'no-store').send(body);
    }
    return reply.headers(pageHeaders).send(
      page(
        locale,
        t.title,
        html`${MAILBOX_STYLE}<h1>${t.title}</h1>
<p class="hint">${t.hint} <a href="/_dev/mailbox.json">${t.asJson}</a></p>
${
  mails.length
    ? html`<ul>${mails.map(
        (m) =>
          html`<li><a href="/_dev/mailbox/${m.id}">${m.mail.subject}</a><br><span class="hint">${t.to} ${m.mail.to.address}${m.mail.cc ? `, ${t.cc} ${m.mail.cc.address}` : ''} · ${m.at}</span>${linkList(linksOf(m))}</li>`,
      )}</ul>`
    : html`<p>${t.empty}</p>`
}${
  next || before
    ? html`<p class="hint">${next ? html`${t.cutOff(LIST_LIMIT)} <a href="/_dev/mailbox?${next}">${t.older}</a> ` : ''}${before ? html`<a href="/_dev/mailbox${to ? `?${pageQuery(to)}` : ''}">${t.newest}</a>` : ''}</p>`
    : ''
}`,
      ),
    );
  };

  app.get('/_dev/mailbox', { onRequest }, (request, reply) => list(request, reply, wantsJson(request)));
  app.get('/_dev/mailbox.json', { onRequest }, (request, reply) => list(request, reply, true));

  app.get('/_dev/mailbox/:id', { onRequest }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = UUID.test(id) ? await findMailboxMessage(ctx.db.kysely, id) : undefined;
    const locale = localeOf(request);
    const t = texts[locale];
    if (!found) {
      if (wantsJson(request)) return reply.code(404).send({ error: 'not_found', error_description: 'no such message' });
      return reply
        .code(404)
        .headers(pageHeaders)
        .send(page(locale, t.notFound, html`<h1>${t.noSuchMessage}</h1><p><a href="/_dev/mailbox">${t.backToMailbox}</a></p>`));
    }
    if (wantsJson(request)) return reply.header('cache-control', 'no-store').send(messageJson(found));
    const { mail } = found;
    return reply.headers(pageHeaders).send(
      page(
        locale,
        mail.subject,
        html`${MAILBOX_STYLE}<p><a href="/_dev/mailbox">${t.back}</a> · <a href="/_dev/mailbox/${id}/html">${t.htmlPart}</a></p>
<h1>${mail.subject}</h1>
<dl class="meta"><dt>${t.from}</dt><dd>${mail.from}</dd><dt>${t.toHeading}</dt><dd>${mail.to.address}</dd>${mail.cc ? html`<dt>${t.ccHeading}</dt><dd>${mail.cc.address}</dd>` : ''}${mail.replyTo ? html`<dt>${t.replyTo}</dt><dd>${mail.replyTo}</dd>` : ''}</dl>
<h2>${t.links}</h2>${linkList(linksOf(found))}
<div class="mail-text">${textWithLinks(mail.text)}</div>`,
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

/** The query string of a page of the list: the same recipient, and where it starts. */
function pageQuery(to: string, before?: string): string {
  const params = new URLSearchParams();
  if (to) params.set('to', to);
  if (before) params.set('before', before);
  return params.toString();
}

function linkList(links: string[]): Html {
  return links.length ? html`<ul class="links">${links.map((l) => html`<li><a href="${l}">${l}</a></li>`)}</ul>` : html``;
}
