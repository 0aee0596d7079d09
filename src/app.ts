/**
 * The composition root: builds one Foyer HTTP application from a context. Nothing here is global, so a
 * test can run two instances (two "processes") in one Node.js process.
 */
import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { listTenants } from './directory/tenant-list.js';
import { countTenants, findTenant } from './directory/tenants.js';
import type { FeatureRegistry } from './features.js';
import { fromFrameworkError, graphPlugin, sendGraphError } from './graph/index.js';
import { isOAuthClientEndpoint, ProviderRegistry, sendOAuthErrorFor } from './oidc/index.js';
import type { AppContext } from './platform/context.js';
import { FoyerError } from './platform/errors/foyer-error.js';
import { html } from './platform/html.js';
import { randomToken } from './platform/ids.js';
import type { InstanceSecrets } from './platform/instance-secrets.js';
import { depthBoundedJsonParser } from './platform/json-body.js';
import { chooseLocale } from './platform/locale.js';
import { redactUrl } from './platform/log-redaction.js';
import { isMigrated } from './platform/storage/migrate.js';
import { text } from './web/kit/i18n.js';
import { messagePage, page, pageHeaders } from './web/kit/layout.js';

export interface FoyerApp {
  http: FastifyInstance;
  registry: ProviderRegistry;
  /** Resolves when no request is in progress (or after `timeoutMs`), so the database can close. */
  drain(timeoutMs?: number): Promise<void>;
}

export interface AppOptions {
  secrets: InstanceSecrets;
  /** What the features add: routes and pages, Graph resources, the OpenID providers' pages (src/features.ts). */
  registry: Pick<FeatureRegistry, 'pageFeatures' | 'graphFeatures' | 'graphResources' | 'providerViews'>;
  /** Serve https with this certificate and key (`FOYER_TLS_CERT`/`FOYER_TLS_KEY`, read by platform/tls.ts). */
  tls?: { cert: Buffer; key: Buffer };
}

export async function createApp(ctx: AppContext, options: AppOptions): Promise<FoyerApp> {
  const { config } = ctx;
  const processPrefix = randomToken(6);
  let requestCounter = 0;
  const http = Fastify({
    // The https server answers exactly as the http one; Fastify's types name a different server class.
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    loggerInstance: ctx.log as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy as unknown as string, // Fastify also takes a hop count (its types lag)
    // Graph clients may send their own id; Foyer's request id is always its own: a GUID under the Graph
    // prefix (as Graph's `request-id` is), elsewhere this process's random prefix and a counter, unique
    // across processes without drawing random bytes per request.
    genReqId: (req) => (/^\/graph\/v1\.0(?:[/?]|$)/.test(req.url ?? '') ? randomUUID() : `${processPrefix}-${(requestCounter++).toString(36)}`),
    requestIdHeader: false,
    routerOptions: { maxParamLength: 500 },
    // Errors raised while routing (bad percent-encoding, an overlong segment) get the same answers as
    // every other error: a Graph body or a page.
    frameworkErrors: (err, request, reply) => void renderError(err, request, reply),
  }) as unknown as FastifyInstance;

  // The OpenID providers (one per tenant) and the Graph API are the two protocol surfaces the features
  // plug into; the providers show pages a page set declares, and those pages read the providers back.
  const registry: ProviderRegistry = new ProviderRegistry(
    ctx,
    options.secrets.cookieKeys,
    options.registry.providerViews(ctx, () => registry),
  );

  async function renderError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') {
      const locale = chooseLocale([], request.headers['accept-language']);
      const t = text(locale);
      request.log.warn({ path: redactUrl(request.url) }, 'form refused: CSRF token missing or invalid');
      return reply
        .code(403)
        .headers(pageHeaders)
        .send(messagePage(locale, t.errorTitle, t.formExpired, {}, { [t.requestId]: request.id }));
    }
    if (isOAuthClientEndpoint(request.url)) {
      // A client of the token, discovery or userinfo endpoint parses OAuth's JSON, not a Graph body or a page.
      const foyer = fromFrameworkError(err);
      if ((foyer?.status ?? 500) >= 500) request.log.error({ err }, 'unhandled error');
      return sendOAuthErrorFor(reply, foyer?.status ?? 500, foyer?.message ?? '');
    }
    if (request.headers.accept?.includes('text/html')) {
      const foyer = fromFrameworkError(err);
      const status = foyer?.status ?? 500;
      if (status >= 500) request.log.error({ err }, 'unhandled error');
      const locale = chooseLocale([], request.headers['accept-language']);
      const t = text(locale);
      return reply
        .code(status)
        .headers(pageHeaders)
        .send(messagePage(locale, t.errorTitle, t.errorBody, {}, { [t.requestId]: request.id, ...(foyer ? { [t.errorCode]: foyer.code } : {}) }));
    }
    return sendGraphError(request, reply, err, new Date(ctx.clock.now()));
  }

  await http.register(fastifyCookie, { secret: options.secrets.cookieKeys });
  await http.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  // JSON bodies of every route (Graph, pages, userinfo) are refused past 64 levels of nesting before they
  // are parsed, so no recursive walk of a body can overflow the stack (platform/json-body.ts).
  const parseJson = http.getDefaultJsonParser('error', 'error');
  http.removeContentTypeParser('application/json');
  http.addContentTypeParser('application/json', { parseAs: 'string' }, depthBoundedJsonParser(parseJson));
  const secure = config.publicUrl.startsWith('https:');
  await http.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: secure ? '__Host-foyer_csrf' : 'foyer_csrf',
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure, signed: true },
  });

  let inFlight = 0;
  http.addHook('onRequest', async (request, reply) => {
    inFlight++;
    reply.raw.once('close', () => inFlight--);
    reply.header('request-id', request.id);
    // A NUL byte is never part of anything Foyer handles; PostgreSQL would refuse it deep inside a
    // query. Refuse it at the door, whatever the route.
    const url = request.raw.url ?? '';
    if (url.includes('\u0000') || /%00/i.test(url)) {
      throw new FoyerError('request.malformed', 'The URL contains a NUL character.');
    }
    const clientRequestId = request.headers['client-request-id'];
    if (typeof clientRequestId === 'string' && clientRequestId.length <= 100) reply.header('client-request-id', clientRequestId);
  });

  // Error and not-found handlers first: Fastify binds them to routes when the routes are declared.
  http.setNotFoundHandler(async (request, reply) => {
    const locale = chooseLocale([], request.headers['accept-language']);
    const t = text(locale);
    const segment = request.url.split('/')[1] ?? '';
    const unknownTenant = segment && /^[a-z0-9.-]+$/i.test(segment) && !(await findTenant(ctx.db.kysely, segment).catch(() => undefined));
    if (request.headers.accept?.includes('application/json') && !request.headers.accept.includes('text/html')) {
      return reply.code(404).send({ error: 'not_found', error_description: unknownTenant ? 'unknown tenant' : 'no such endpoint' });
    }
    return reply
      .code(404)
      .headers(pageHeaders)
      .send(messagePage(locale, t.notFoundTitle, unknownTenant ? t.tenantNotFound : t.notFoundBody));
  });

  http.setErrorHandler((err, request, reply) => renderError(err, request, reply));

  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_request, reply) => {
    const ready = await isMigrated(ctx.db);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'database unreachable or not migrated' });
  });

  for (const routes of options.registry.pageFeatures) await routes(http, ctx, registry);
  await http.register(graphPlugin(ctx, registry, options.registry.graphFeatures, options.registry.graphResources), { prefix: '/graph/v1.0' });

  http.get('/', async (request, reply) => {
    const locale = chooseLocale([], request.headers['accept-language']);
    const t = text(locale);
    // The list of organizations helps a developer on this machine; nobody else needs to see it.
    const development = config.mode === 'development' && ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(request.ip);
    const tenants = development ? await listTenants(ctx.db.kysely, 20) : [];
    const count = await countTenants(ctx.db.kysely);
    return reply.headers(pageHeaders).send(
      page(
        locale,
        t.homeTitle,
        html`<h1>${t.homeTitle}</h1>
<p>${t.homeBody}</p>
${
  count === 0
    ? html`<p>${t.homeNext}</p><pre><code>npx foyer tenant create --name "Contoso" --domain contoso.example --admin-email admin@contoso.example --admin-password-stdin</code></pre>`
    : ''
}
${
  development
    ? html`<h2>${t.homeTenants}</h2>${
        tenants.length
          ? html`<ul>${tenants.map((tn) => html`<li>${tn.displayName} — <a href="/${tn.id}/v2.0/.well-known/openid-configuration">${t.homeDiscovery}</a></li>`)}</ul>`
          : html`<p>${t.homeNoTenants}</p>`
      }`
    : ''
}
<p>${t.homeDocs}</p>`,
      ),
    );
  });

  async function drain(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  return { http, registry, drain };
}
