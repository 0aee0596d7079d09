/**
 * The terms of use pages of a sign-in, where a terms gate (web/kit/terms-gate.ts) is passed:
 *   GET  /terms        the first agreement the gate's person owes an answer to; none left: back to the
 *                      sign-in's interaction (`/{tenantId}/login/{uid}/terms`), which concludes it
 *   POST /terms        Accept or Decline. Declining ends the gate and the sign-in: no code, a page that
 *                      says so, and a failed sign-in in the tenant's sign-in log
 *   GET  /terms/files/{tenantId}/{agreementId}/{fileId}   an agreement's PDF
 */
import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logSignIn } from '../../directory/sign-in-log.js';
import { findTenant, type Tenant } from '../../directory/tenants.js';
import { findUser, type User } from '../../directory/users.js';
import { findAgreement } from '../../governance/index.js';
import type { AppContext } from '../../platform/context.js';
import { chooseLocale } from '../../platform/locale.js';
import { signInStillCounts } from '../kit/browser-session.js';
import { parseForm } from '../kit/forms.js';
import { text } from '../kit/i18n.js';
import { brandOf, messagePage, pageHeaders } from '../kit/layout.js';
import {
  answerOwedTerms,
  endTermsGate,
  firstTermsOwed,
  type LoadedTermsGate,
  loadTermsGate,
  saveTermsGate,
  TERMS_PATH,
  termsToShow,
} from '../kit/terms-gate.js';
import { answerForm, termsPage, termsText } from '../kit/terms-view.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Entra refuses a sign-in whose Conditional Access grant controls (its terms of use among them) are not
 * satisfied with AADSTS53003.
 */
export const TERMS_DECLINED_ERROR = 53003;

interface InTermsGate {
  loaded: LoadedTermsGate;
  tenant: Tenant;
  user: User;
}

export function registerTermsPages(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.db.kysely;
  const localeOf = (request: FastifyRequest) => chooseLocale([], request.headers['accept-language']);

  /** The gate this browser is in, with its tenant and (still signed-in) person; otherwise an "expired" page. */
  async function current(request: FastifyRequest, reply: FastifyReply): Promise<InTermsGate | undefined> {
    const loaded = await loadTermsGate(ctx, request);
    const tenant = loaded ? await findTenant(db, loaded.gate.tenantId) : undefined;
    const user = tenant && loaded ? await findUser(db, tenant.id, loaded.gate.userId) : undefined;
    // A person disabled, or whose sign-ins ended after the first factor, does not go on.
    if (!loaded || !tenant || !user || !signInStillCounts(user, loaded.gate.signIn.firstFactorAt)) {
      const locale = localeOf(request);
      const t = termsText(locale);
      reply
        .code(400)
        .headers(pageHeaders)
        .send(messagePage(locale, t.expiredTitle, t.expiredBody, tenant ? brandOf(tenant) : {}));
      return undefined;
    }
    return { loaded, tenant, user };
  }

  /** The first agreement owed, or (none left) back to the sign-in. */
  async function show(g: InTermsGate, request: FastifyRequest, reply: FastifyReply, error?: string): Promise<FastifyReply> {
    const owed = await firstTermsOwed(ctx, g.tenant.id, g.user.id);
    if (!owed) {
      g.loaded.gate.done = true;
      await saveTermsGate(ctx, g.loaded);
      return reply.redirect(`/${g.tenant.id}/login/${g.loaded.gate.uid}/terms`, 303);
    }
    const locale = localeOf(request);
    const body = termsPage({
      locale,
      brand: brandOf(g.tenant),
      csrfToken: reply.generateCsrf(),
      organization: g.tenant.displayName,
      address: g.user.mail ?? g.user.userPrincipalName,
      terms: termsToShow(owed, request.headers['accept-language']),
      action: TERMS_PATH,
      ...(error ? { error } : {}),
    });
    return reply
      .code(error ? 400 : 200)
      .headers(pageHeaders)
      .send(body);
  }

  app.get(TERMS_PATH, async (request, reply) => {
    const g = await current(request, reply);
    return g ? show(g, request, reply) : reply;
  });

  app.post(TERMS_PATH, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await current(request, reply);
    if (!g) return reply;
    const posted = parseForm(answerForm, request.body);
    const { check } = await answerOwedTerms(ctx, request, g.tenant.id, g.user, posted);
    const locale = localeOf(request);
    const t = termsText(locale);
    if (check.kind === 'must-read') return show(g, request, reply, t.mustRead);
    if (check.kind === 'stale' || check.state === 'accepted') return reply.redirect(TERMS_PATH, 303);
    // Declined: no code for this sign-in.
    await endTermsGate(ctx, reply, g.loaded);
    logSignIn(ctx, {
      tenantId: g.tenant.id,
      userId: g.user.id,
      appId: g.loaded.gate.appId,
      ipAddress: request.ip,
      errorCode: TERMS_DECLINED_ERROR,
      failureReason: 'The user declined the terms of use.',
      amr: g.loaded.gate.signIn.amr,
    });
    request.log.info({ tenant: g.tenant.id, user: g.user.id }, 'terms of use declined at sign-in');
    return reply
      .code(403)
      .headers(pageHeaders)
      .send(messagePage(locale, t.declinedTitle, t.declinedSignIn(g.tenant.displayName), brandOf(g.tenant)));
  });

  // An agreement's PDF. Terms are meant to be read by everyone who signs in, so they are served to whoever
  // has the address (its ids are random), like the page that links them.
  app.get('/terms/files/:tenantId/:agreementId/:fileId', async (request, reply) => {
    const { tenantId, agreementId, fileId } = request.params as { tenantId: string; agreementId: string; fileId: string };
    const agreement = GUID.test(tenantId) && GUID.test(agreementId) ? await findAgreement(db, tenantId.toLowerCase(), agreementId.toLowerCase()) : undefined;
    const file = agreement?.files.find((f) => f.id === fileId.toLowerCase() && f.kind === 'pdf');
    if (!file) {
      const locale = localeOf(request);
      return reply
        .code(404)
        .headers(pageHeaders)
        .send(messagePage(locale, text(locale).notFoundTitle, text(locale).notFoundBody));
    }
    const safeName = file.fileName.replace(/[^A-Za-z0-9._-]/g, '_');
    return reply
      .code(200)
      .headers({
        'content-type': 'application/pdf',
        'content-disposition': `inline; filename="${safeName.endsWith('.pdf') ? safeName : `${safeName}.pdf`}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      })
      .send(Buffer.from(file.data, 'base64'));
  });
}
