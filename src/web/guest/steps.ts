/**
 * The guest flow's steps:
 *   GET  /guest           the flow's current step, as redemption/next-step.ts decides it from the facts
 *                         gathered here: a method's page, "use another account", consent, or a refusal
 *   POST /guest/switch    use another account (forget this flow's proof and this browser's earlier ones)
 *   POST /guest/accept    consent given: complete the redemption (redemption/redeem.ts)
 *   POST /guest/cancel    back to the app (sign-in) or a "cancelled" page
 * A method's own forms and callbacks (password, passcode, sign-up, external callback) are methods/*.ts.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findGuestByIdentity } from '../../directory/guests.js';
import { logSignIn } from '../../directory/sign-in-log.js';
import { listTenantDomains } from '../../directory/tenants.js';
import { findUser } from '../../directory/users.js';
import { findRedemptionInvitation, type RedemptionInvitation } from '../../invitations/index.js';
import {
  acceptStep,
  completeRedemption,
  type FlowFacts,
  findPendingGuestByAddress,
  isDomainBlocked,
  linkFacts,
  lostRedemption,
  maskAddress,
  nextStep,
} from '../../redemption/index.js';
import { provenSinceSignInsEnded, readBrowserSession, type SignedInAccount } from '../kit/browser-session.js';
import { entryIsFor, entryStillValid } from '../kit/earlier-sign-ins.js';
import { endFlow, saveFlow } from '../kit/guest-flows.js';
import { handBackPath } from '../kit/guest-hand-back.js';
import { redemptionText } from '../kit/guest-texts.js';
import { gateFor, secondFactorStep } from '../kit/mfa-gate.js';
import { MY_ORGANIZATIONS_PATH } from '../kit/my-organizations-path.js';
import { G, type GuestPages, type InFlow } from './guest-page.js';
import { methodFor } from './methods/index.js';
import { flowOwesTerms, registerTermsStep, showTermsStep } from './terms-step.js';
import { choicePage, consentPage } from './views.js';

export function registerSteps(app: FastifyInstance, pages: GuestPages): void {
  const { ctx } = pages;
  const db = ctx.db.kysely;

  /** What this browser proved earlier at the flow's home: a proof to adopt, or someone else's. */
  async function earlierProof(f: InFlow): Promise<{ facts: FlowFacts['earlier']; match?: SignedInAccount; issuer?: string }> {
    const { flow } = f.loaded;
    const method = methodFor(flow.route);
    const issuer = flow.freshSignIn || !method ? undefined : await method.issuer(pages, flow, f.tenant);
    if (!issuer) return { facts: undefined };
    const lower = flow.address.toLowerCase();
    const session = await readBrowserSession(ctx, f.request);
    let ownSeen = false;
    let otherEmail: string | undefined;
    for (const entry of (session?.accounts ?? []).filter((a) => a.issuer === issuer)) {
      const matches = flow.bound ? entry.subject === flow.bound.issuerAssignedId : await entryIsFor(ctx, entry, lower);
      const valid = (await entryStillValid(ctx, entry)) && (!matches || (await outlivesGuestRevocation(f, entry)));
      if (matches && valid) return { facts: { matching: true, ownSeen: true }, match: entry, issuer };
      ownSeen ||= matches;
      if (!matches && valid && entry.email) otherEmail ??= entry.email;
    }
    return { facts: { matching: false, ownSeen, ...(otherEmail ? { otherEmail } : {}) }, issuer };
  }

  /**
   * Signing in, a proof from before the guest's sign-ins ended (revokeSignInSessions on the guest, a
   * disable, a reset redemption) is no proof: the home identity may still be signed in at home, but the
   * guest must prove it again. The guest is the one afterProof would find: bound to the identity, or else
   * pending with the flow's address.
   */
  async function outlivesGuestRevocation(f: InFlow, entry: SignedInAccount): Promise<boolean> {
    if (f.loaded.flow.purpose === 'redeem') {
      // A redemption reset by an administrator ended the guest's sign-ins: what this browser proved before
      // that does not redeem the new link (nor would it pass the second factor's step after Accept).
      const invited = await findRedemptionInvitation(db, f.loaded.flow.invitationId ?? '');
      const guest = invited ? await findUser(db, f.tenant.id, invited.guestId) : undefined;
      return !guest || provenSinceSignInsEnded(guest, entry.authTime);
    }
    if (f.loaded.flow.purpose !== 'signin' && f.loaded.flow.purpose !== 'myaccount') return true;
    const guest =
      (await findGuestByIdentity(db, f.tenant.id, entry.issuer ?? '', entry.subject ?? '')) ??
      (await findPendingGuestByAddress(ctx, f.tenant.id, f.loaded.flow.address.toLowerCase()));
    return !guest || provenSinceSignInsEnded(guest, entry.authTime);
  }

  /** After a proof: the facts the flow's purpose is decided by (and the invitation, to go on to its app). */
  async function afterProof(f: InFlow): Promise<{ facts: Partial<FlowFacts>; invitation?: RedemptionInvitation }> {
    const { flow } = f.loaded;
    const { tenant } = f;
    const proven = flow.proven!;
    if (flow.purpose !== 'signin') {
      const invitation = await findRedemptionInvitation(db, flow.invitationId ?? '');
      // Redeeming needs the ticket the flow started with; a returning guest's link was spent already.
      const presented = flow.purpose === 'redeem' && invitation?.ticketHash !== flow.ticketHash ? undefined : invitation;
      return { facts: { link: await linkFacts(ctx, presented, tenant.id) }, ...(invitation ? { invitation } : {}) };
    }
    const bound = await findGuestByIdentity(db, tenant.id, proven.issuer, proven.subject);
    if (bound) return { facts: { boundGuest: { id: bound.id, enabled: bound.accountEnabled } } };
    const lower = flow.address.toLowerCase();
    const pending = await findPendingGuestByAddress(ctx, tenant.id, lower);
    if (!pending) return { facts: {} };
    const domainBlocked = pending.accountEnabled && (await isDomainBlocked(ctx, tenant.id, lower));
    return { facts: { pendingGuest: { id: pending.id, enabled: pending.accountEnabled }, domainBlocked } };
  }

  const baseFacts = (f: InFlow): FlowFacts => {
    const { flow } = f.loaded;
    return {
      purpose: flow.purpose,
      route: flow.route.kind,
      address: flow.address.toLowerCase(),
      ...(flow.bound ? { bound: { issuer: flow.bound.issuer, subject: flow.bound.issuerAssignedId } } : {}),
      ...(flow.proven ? { proven: flow.proven } : {}),
    };
  };

  const mismatch = (f: InFlow, email: string) => {
    const t = redemptionText(f.v.locale);
    const masked = maskAddress(f.loaded.flow.address);
    return pages.send(
      f.reply,
      200,
      choicePage(f.v, {
        title: t.mismatchTitle,
        body: f.loaded.flow.purpose === 'signin' ? t.mismatchSignInBody(masked, email) : t.mismatchBody(masked, email),
        primary: { action: `${G}/switch`, label: t.useAnotherAccount },
        cancelAction: `${G}/cancel`,
      }),
    );
  };

  const handBack = async (f: InFlow, outcome: { guestId: string } | 'cancelled') => {
    f.loaded.flow.outcome = outcome;
    await saveFlow(ctx, f.loaded);
    return f.reply.redirect(handBackPath(f.tenant.id, f.loaded.flow.interactionUid), 303);
  };

  const organization = (f: InFlow) => ({ organization: f.tenant.displayName, address: f.loaded.flow.address });

  /** GET /guest: decide the step, render it. */
  async function showStep(f: InFlow): Promise<FastifyReply> {
    const { flow } = f.loaded;
    const gathered = flow.proven ? await afterProof(f) : undefined;
    const earlier = flow.proven ? undefined : await earlierProof(f);
    // After Review permissions: the terms of use the guest still owes, if any (terms-step.ts).
    const terms = flow.consented && flow.proven ? { consented: true, termsDue: await flowOwesTerms(pages, f) } : {};
    const next = nextStep({ ...baseFacts(f), ...gathered?.facts, ...terms, ...(earlier?.facts ? { earlier: earlier.facts } : {}) });
    switch (next.kind) {
      case 'adopt-earlier-proof': {
        const entry = earlier!.match!;
        // The flow's address when it is one of the account's (a member's UPN, mail or other mails).
        const email = flow.bound ? entry.email!.toLowerCase() : flow.address.toLowerCase();
        flow.proven = { issuer: earlier!.issuer!, subject: entry.subject!, email, displayName: null, amr: entry.amr, authTime: entry.authTime };
        // A new proven identity: Review permissions is its own to accept (nothing was proven before this).
        delete flow.consented;
        await saveFlow(ctx, f.loaded);
        return showStep(f);
      }
      case 'prove':
        return methodFor(flow.route)!.start(pages, f);
      case 'mismatch':
        return mismatch(f, next.email);
      case 'consent': {
        if (next.guestId) {
          flow.guestId = next.guestId;
          await saveFlow(ctx, f.loaded);
        }
        const domain = (await listTenantDomains(db, f.tenant.id)).find((d) => d.isDefault)?.domain ?? f.tenant.initialDomain;
        const page = consentPage(f.v, {
          organization: f.tenant.displayName,
          domain,
          privacyStatementUrl: f.tenant.privacyStatementUrl,
          address: flow.address,
          acceptAction: `${G}/accept`,
          cancelAction: `${G}/cancel`,
        });
        return pages.send(f.reply, 200, page);
      }
      case 'terms':
        return showTermsStep(pages, f);
      case 'hand-back':
        return handBack(f, next.outcome);
      case 'to-app':
        await endFlow(ctx, f.reply, f.loaded);
        return f.reply.redirect(gathered!.invitation!.redirectUrl, 303);
      case 'to-my-organizations':
        // The proof is in the browser session now (recorded with it); the page reads it from there.
        await endFlow(ctx, f.reply, f.loaded);
        return f.reply.redirect(MY_ORGANIZATIONS_PATH, 303);
      case 'cancelled': {
        await endFlow(ctx, f.reply, f.loaded);
        const t = redemptionText(f.v.locale);
        return pages.message(f.reply, f.v, 200, t.cancelledTitle, t.cancelledBody);
      }
      case 'refuse':
        return pages.refuse(f.reply, f.v, next.refusal, { ...organization(f), ...(flow.proven ? { email: flow.proven.email } : {}) });
    }
  }

  app.get(G, async (request, reply) => {
    const f = await pages.current(request, reply);
    return f ? showStep(f) : reply;
  });

  app.post(`${G}/switch`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const f = await pages.current(request, reply);
    if (!f) return reply;
    const { flow } = f.loaded;
    delete flow.proven;
    delete flow.external;
    // Whoever signs in next accepts Review permissions themselves.
    delete flow.consented;
    flow.freshSignIn = true;
    flow.passcodeSent = false;
    await saveFlow(ctx, f.loaded);
    return pages.showStep(reply);
  });

  app.post(`${G}/cancel`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const f = await pages.current(request, reply);
    return f ? cancel(f) : reply;
  });

  async function cancel(f: InFlow) {
    const next = nextStep({ ...baseFacts(f), cancelled: true });
    if (next.kind === 'hand-back') return handBack(f, next.outcome);
    await endFlow(ctx, f.reply, f.loaded);
    const t = redemptionText(f.v.locale);
    return pages.message(f.reply, f.v, 200, t.cancelledTitle, t.cancelledBody);
  }

  app.post(`${G}/accept`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const f = await pages.current(request, reply);
    return f ? accept(f) : reply;
  });
  registerTermsStep(app, pages, accept);

  /** Review permissions accepted (or, from terms-step.ts, the last terms of use): complete the redemption. */
  async function accept(f: InFlow): Promise<FastifyReply> {
    const { request, reply } = f;
    const { flow } = f.loaded;
    const lower = flow.address.toLowerCase();
    const invitation = flow.purpose === 'redeem' ? await findRedemptionInvitation(db, flow.invitationId ?? '') : undefined;
    const decision = acceptStep({
      ...baseFacts(f),
      domainBlocked: flow.proven !== undefined && flow.purpose !== 'return' && (await isDomainBlocked(ctx, f.tenant.id, lower)),
      invitationFound: invitation !== undefined,
      ...(flow.guestId ? { guestId: flow.guestId } : {}),
      termsDue: flow.proven !== undefined && (await flowOwesTerms(pages, f)),
    });
    if (decision.kind === 'show-step') return pages.showStep(reply);
    if (decision.kind === 'terms') {
      // The terms of use come next; nothing is redeemed until they are accepted.
      flow.consented = true;
      await saveFlow(ctx, f.loaded);
      return pages.showStep(reply);
    }
    if (decision.kind === 'refuse') return pages.refuse(reply, f.v, decision.refusal, organization(f));
    const proven = flow.proven!;
    const result = await completeRedemption(ctx, {
      tenantId: f.tenant.id,
      guestId: invitation ? invitation.guestId : flow.guestId!,
      ...(invitation ? { ticket: { invitationId: invitation.id, hash: flow.ticketHash! } } : {}),
      proven,
      clientIp: request.ip,
    });
    if (!result.ok) {
      const stateNow = invitation ? (await findRedemptionInvitation(db, invitation.id))?.ticketState : undefined;
      const lost = lostRedemption(result.reason, stateNow, invitation !== undefined);
      if (lost !== 'identity-taken') return pages.refuse(reply, f.v, lost, organization(f));
      const t = redemptionText(f.v.locale);
      const body = choicePage(f.v, {
        title: t.identityTakenTitle,
        body: t.identityTakenBody(f.tenant.displayName),
        primary: { action: `${G}/switch`, label: t.useAnotherAccount },
      });
      return pages.send(reply, 409, body);
    }
    if (invitation) {
      await endFlow(ctx, reply, f.loaded);
      request.log.info({ tenant: f.tenant.id, guest: invitation.guestId }, 'invitation redeemed');
      // "More information required" right after consent, when the organization's policies ask for MFA:
      // the guest registers a method (or proves one) before landing in the app.
      const first = {
        tenantId: f.tenant.id,
        userId: invitation.guestId,
        appId: null,
        amr: proven.amr,
        authTime: proven.authTime,
        homeIdentity: { issuer: proven.issuer, subject: proven.subject },
      };
      const decision = await secondFactorStep(ctx, request, first);
      if (decision.kind === 'gate') return gateFor(ctx, request, reply, first, decision, { kind: 'url', url: invitation.redirectUrl });
      if (decision.success) logSignIn(ctx, decision.success);
      return reply.redirect(invitation.redirectUrl, 303);
    }
    return handBack(f, { guestId: flow.guestId! });
  }
}
