/**
 * The access review page, where the link in a reviewer's e-mail leads:
 *   GET  /{tenantId}/access-reviews/{instanceId}                         the guests this reviewer reviews
 *   POST /{tenantId}/access-reviews/{instanceId}/decisions/{decisionId}   decision=Approve|Deny, justification
 * Who: the person this browser signed in to one of the tenant's apps (access.ts), with their second factor
 * proven when one is due (else the MFA pages' challenge, which comes back here; a decision posted without
 * it is not recorded); a browser signed in to nothing is asked to sign in first. A reviewer sees, and
 * decides, only the guests they review.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findTenant, type Tenant } from '../../directory/tenants.js';
import type { User } from '../../directory/users.js';
import { recordReviewerDecision, reviewForReviewer } from '../../governance/index.js';
import type { AppContext } from '../../platform/context.js';
import { chooseLocale } from '../../platform/locale.js';
import { readBrowserSession } from '../kit/browser-session.js';
import { parseForm, textField } from '../kit/forms.js';
import { brandOf, messagePage, pageHeaders } from '../kit/layout.js';
import { challengeGate } from '../kit/second-factor-access.js';
import { reviewerAccess } from './access.js';
import { reviewText } from './texts.js';
import { type ReviewView, reviewPage } from './views.js';

const PATH = '/:tenantId/access-reviews/:instanceId';
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const decisionForm = z.object({ decision: textField(16), justification: textField(500) });

interface Visit {
  tenant: Tenant;
  reviewer: User;
  instanceId: string;
  v: ReviewView;
  base: string;
}

function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).headers(pageHeaders).send(body);
}

export function registerReviewPages(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.db.kysely;

  /** The reviewer on this page, or (answered here) the page asking to sign in first. */
  async function visit(request: FastifyRequest, reply: FastifyReply): Promise<Visit | undefined> {
    const { tenantId, instanceId } = request.params as { tenantId: string; instanceId: string };
    const locale = chooseLocale([], request.headers['accept-language']);
    const t = reviewText(locale);
    const tenant = tenantId.length <= 253 ? await findTenant(db, tenantId) : undefined;
    if (!tenant) {
      send(reply, 404, messagePage(locale, t.notFoundTitle, t.notFoundBody));
      return undefined;
    }
    const base: `/${string}` = `/${tenant.id}/access-reviews/${encodeURIComponent(instanceId.toLowerCase())}`;
    const access = await reviewerAccess(ctx, await readBrowserSession(ctx, request), tenant);
    if (access.kind === 'sign-in') {
      send(reply, 200, messagePage(locale, t.signInFirstTitle, t.signInFirstBody(tenant.displayName), brandOf(tenant)));
      return undefined;
    }
    if (access.kind === 'verify') {
      send(reply, 200, messagePage(locale, t.verifyFirstTitle, t.verifyFirstBody(tenant.displayName), brandOf(tenant)));
      return undefined;
    }
    if (access.kind === 'challenge') {
      // A page view goes on to the challenge, which comes back to the page; a decision posted without the
      // second factor is not recorded, and the browser is sent to the page (and so to the challenge).
      if (request.method !== 'GET') {
        reply.redirect(base, 303);
        return undefined;
      }
      await challengeGate(ctx, request, reply, access.user, access.due, base);
      return undefined;
    }
    const reviewer = access.user;
    const v: ReviewView = { locale, brand: brandOf(tenant), csrfToken: reply.generateCsrf(), account: reviewer.mail ?? reviewer.userPrincipalName };
    return { tenant, reviewer, instanceId: instanceId.toLowerCase(), v, base };
  }

  app.get(PATH, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    const t = reviewText(s.v.locale);
    const review = ID.test(s.instanceId) ? await reviewForReviewer(db, s.tenant.id, s.instanceId, s.reviewer.id) : undefined;
    if (!review || review.items.length === 0) return send(reply, 200, messagePage(s.v.locale, t.nothingTitle, t.nothingBody, s.v.brand));
    const q = request.query as { decided?: unknown; error?: unknown };
    const decided = typeof q.decided === 'string' ? review.items.find((i) => i.id === q.decided) : undefined;
    const notice =
      q.error === 'ended'
        ? { kind: 'error' as const, text: t.endedError }
        : q.error === 'justification'
          ? { kind: 'error' as const, text: t.justificationError }
          : q.decided !== undefined
            ? { kind: 'status' as const, text: decided ? t.recorded(decided.displayName) : t.recordedPlain }
            : undefined;
    const body = reviewPage(s.v, {
      organization: s.tenant.displayName,
      reviewName: review.reviewName,
      description: review.description,
      endAt: review.endAt,
      open: review.status === 'InProgress',
      justificationRequired: review.justificationRequiredOnApproval,
      items: review.items,
      base: s.base,
      ...(notice ? { notice } : {}),
    });
    return send(reply, 200, body);
  });

  app.post(`${PATH}/decisions/:decisionId`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    const { decisionId } = request.params as { decisionId: string };
    const form = parseForm(decisionForm, request.body);
    const decision = form.decision === 'Approve' || form.decision === 'Deny' ? form.decision : undefined;
    if (!decision || !ID.test(s.instanceId) || !ID.test(decisionId)) return reply.redirect(s.base, 303);
    const outcome = await recordReviewerDecision(
      ctx,
      s.tenant.id,
      s.instanceId,
      decisionId.toLowerCase(),
      s.reviewer,
      { decision, justification: form.justification.trim() || null },
      request.ip,
    );
    if (outcome === 'recorded') return reply.redirect(`${s.base}?decided=${decisionId.toLowerCase()}`, 303);
    if (outcome === 'ended') return reply.redirect(`${s.base}?error=ended`, 303);
    if (outcome === 'justification-required') return reply.redirect(`${s.base}?error=justification`, 303);
    return reply.redirect(s.base, 303);
  });
}
