/**
 * What every guest page handler and sign-in method shares: the page context (language, branding, CSRF
 * token), the flow the browser is in, the one page per refusal, and recording a proof.
 */
import type {} from '@fastify/csrf-protection';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findTenant, type Tenant } from '../../directory/tenants.js';
import type { AppContext } from '../../platform/context.js';
import { chooseLocale } from '../../platform/locale.js';
import type { ProvenIdentity, Refusal } from '../../redemption/index.js';
import { maskAddress } from '../../redemption/index.js';
import { rememberAccount, type SignedInAccount } from '../kit/browser-session.js';
import { GUEST_FLOW_PATH, type LoadedFlow, loadFlow, saveFlow } from '../kit/guest-flows.js';
import { redemptionText } from '../kit/guest-texts.js';
import { brandOf, messagePage, pageHeaders } from '../kit/layout.js';
import type { View } from './views.js';

export const G = GUEST_FLOW_PATH;

/** One request of a browser that is in a guest flow. */
export interface InFlow {
  request: FastifyRequest;
  reply: FastifyReply;
  loaded: LoadedFlow;
  tenant: Tenant;
  v: View;
}

/** A proof, and what the browser session records of it beyond the identity (sessionEntry). */
export interface Proof {
  identity: ProvenIdentity;
  /** The member account it signs in to ('' outside every tenant), and how long it counts if not the session's lifetime. */
  session: Pick<SignedInAccount, 'tenantId' | 'userId' | 'expiresAt'>;
}

export class GuestPages {
  constructor(readonly ctx: AppContext) {}

  view(request: FastifyRequest, reply: FastifyReply, tenant: Tenant | undefined, language?: string | null): View {
    return {
      locale: chooseLocale([language], request.headers['accept-language']),
      brand: tenant ? brandOf(tenant) : {},
      csrfToken: reply.generateCsrf(),
    };
  }

  send(reply: FastifyReply, status: number, body: string): FastifyReply {
    return reply.code(status).headers(pageHeaders).send(body);
  }

  message(reply: FastifyReply, v: View, status: number, title: string, body: string): FastifyReply {
    return this.send(reply, status, messagePage(v.locale, title, body, v.brand));
  }

  /** The page of a refusal; `address` is the invited or typed one, `email` the one proven. */
  refuse(reply: FastifyReply, v: View, refusal: Refusal, p: { organization: string; address: string; email?: string }): FastifyReply {
    const t = redemptionText(v.locale);
    const org = p.organization;
    const page = (status: number, title: string, body: string) => this.message(reply, v, status, title, body);
    switch (refusal) {
      case 'unknown-link':
        return page(404, t.unknownTitle, t.unknownBody);
      case 'expired-link':
        return page(410, t.expiredTitle, t.expiredBody(org));
      case 'superseded-link':
        return page(410, t.supersededTitle, t.supersededBody(maskAddress(p.address)));
      case 'revoked-link':
        return page(410, t.revokedTitle, t.revokedBody(org));
      case 'withdrawn-meanwhile':
        return page(409, t.revokedTitle, t.revokedBody(org));
      case 'already-redeemed':
        return page(409, t.alreadyTitle, t.alreadyBody(org));
      case 'disabled':
        return page(403, t.disabledTitle, t.disabledBody(org));
      case 'blocked':
        return page(403, t.blockedTitle, t.blockedBody(org, p.address.toLowerCase().split('@')[1]!));
      case 'no-guest':
        return page(403, t.noGuestTitle(org), t.noGuestBody(p.email ?? '', org));
      case 'no-route':
        return page(409, t.noRouteTitle, t.noRouteBody(org));
    }
  }

  /** Loads the flow and its tenant, or answers with the "expired" page. */
  async current(request: FastifyRequest, reply: FastifyReply): Promise<InFlow | undefined> {
    const loaded = await loadFlow(this.ctx, request);
    const tenant = loaded ? await findTenant(this.ctx.db.kysely, loaded.flow.tenantId) : undefined;
    if (!loaded || !tenant) {
      this.flowExpired(reply, this.view(request, reply, undefined));
      return undefined;
    }
    return { request, reply, loaded, tenant, v: this.view(request, reply, tenant, loaded.flow.language) };
  }

  flowExpired(reply: FastifyReply, v: View): FastifyReply {
    const t = redemptionText(v.locale);
    return this.message(reply, v, 400, t.flowExpiredTitle, t.flowExpiredBody);
  }

  /** Back to the flow's current step (GET /guest decides what it is). */
  showStep(reply: FastifyReply): FastifyReply {
    return reply.redirect(G, 303);
  }

  /** A limit was reached: say when to try again. */
  retryAfter(reply: FastifyReply, retryAfterMs: number): number {
    reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    return Math.max(1, Math.ceil(retryAfterMs / 60_000));
  }

  authTime(): number {
    return Math.floor(this.ctx.clock.now() / 1000);
  }

  /**
   * The person proved an identity: the flow records it, and so does the browser session, so the next
   * organization asks for nothing again (single sign-on across tenants). Then on to the next step.
   */
  async proved(f: InFlow, proof: Proof): Promise<FastifyReply> {
    const { identity } = proof;
    const before = f.loaded.flow.proven;
    // Consent (Review permissions) was given by whoever was proven then: another identity gives its own.
    if (before?.issuer !== identity.issuer || before.subject !== identity.subject) delete f.loaded.flow.consented;
    f.loaded.flow.proven = identity;
    f.loaded.flow.passcodeSent = false;
    await saveFlow(this.ctx, f.loaded);
    await rememberAccount(this.ctx, f.request, f.reply, {
      ...proof.session,
      issuer: identity.issuer,
      subject: identity.subject,
      email: identity.email,
      amr: identity.amr,
      authTime: identity.authTime,
    });
    return this.showStep(f.reply);
  }
}
