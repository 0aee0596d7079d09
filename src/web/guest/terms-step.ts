/**
 * The terms of use step of a guest flow, after Review permissions and before the redemption completes
 * (redemption/next-step.ts decides when it is due):
 *   GET  /guest         shows the first agreement the guest owes (`showTermsStep`, from steps.ts)
 *   POST /guest/terms   Accept: recorded, then the next agreement, or (none left) the redemption completes
 *                       as Accept on Review permissions would have; Decline: recorded, the flow ends and
 *                       nothing is redeemed (the invitation stays PendingAcceptance, its link still works)
 * The page is the kit's (web/kit/terms-view.ts), the same one a sign-in shows (web/terms/).
 */
import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findUser, type User } from '../../directory/users.js';
import { findRedemptionInvitation } from '../../invitations/index.js';
import { parseForm } from '../kit/forms.js';
import { endFlow } from '../kit/guest-flows.js';
import { answerOwedTerms, firstTermsOwed, owesTerms, termsToShow } from '../kit/terms-gate.js';
import { answerForm, termsPage, termsText } from '../kit/terms-view.js';
import { G, type GuestPages, type InFlow } from './guest-page.js';

/** The guest this flow would redeem: the invitation's, or (signin) the pending guest chosen at consent. */
export async function flowGuest(pages: GuestPages, f: InFlow): Promise<User | undefined> {
  const { flow } = f.loaded;
  const db = pages.ctx.db.kysely;
  const guestId =
    flow.purpose === 'redeem' ? (await findRedemptionInvitation(db, flow.invitationId ?? ''))?.guestId : flow.purpose === 'signin' ? flow.guestId : undefined;
  return guestId ? findUser(db, f.tenant.id, guestId) : undefined;
}

/** Whether the flow's guest owes an answer to the tenant's terms of use (asked once the person consented). */
export async function flowOwesTerms(pages: GuestPages, f: InFlow): Promise<boolean> {
  const guest = await flowGuest(pages, f);
  return guest !== undefined && (await owesTerms(pages.ctx, f.tenant.id, guest.id));
}

/** The first agreement the flow's guest owes; none (answered meanwhile): the flow's step again. */
export async function showTermsStep(pages: GuestPages, f: InFlow, error?: string): Promise<FastifyReply> {
  const guest = await flowGuest(pages, f);
  const owed = guest ? await firstTermsOwed(pages.ctx, f.tenant.id, guest.id) : undefined;
  if (!owed) return pages.showStep(f.reply);
  const body = termsPage({
    locale: f.v.locale,
    brand: f.v.brand,
    csrfToken: f.v.csrfToken,
    organization: f.tenant.displayName,
    address: f.loaded.flow.address,
    terms: termsToShow(owed, f.request.headers['accept-language']),
    action: `${G}/terms`,
    ...(error ? { error } : {}),
  });
  return pages.send(f.reply, error ? 400 : 200, body);
}

/** `complete`: Accept on Review permissions (steps.ts), which completes the redemption once nothing is owed. */
export function registerTermsStep(app: FastifyInstance, pages: GuestPages, complete: (f: InFlow) => Promise<FastifyReply>): void {
  const { ctx } = pages;
  app.post(`${G}/terms`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const f = await pages.current(request, reply);
    if (!f) return reply;
    const guest = f.loaded.flow.consented && f.loaded.flow.proven ? await flowGuest(pages, f) : undefined;
    if (!guest) return pages.showStep(reply);
    const { check, left } = await answerOwedTerms(ctx, request, f.tenant.id, guest, parseForm(answerForm, request.body));
    const t = termsText(f.v.locale);
    if (check.kind === 'must-read') return showTermsStep(pages, f, t.mustRead);
    if (check.kind === 'stale') return pages.showStep(reply);
    if (check.state === 'declined') {
      await endFlow(ctx, reply, f.loaded);
      request.log.info({ tenant: f.tenant.id, guest: guest.id }, 'terms of use declined at redemption');
      const body = f.loaded.flow.purpose === 'redeem' ? t.declinedRedemption(f.tenant.displayName) : t.declinedSignIn(f.tenant.displayName);
      return pages.message(reply, f.v, 200, t.declinedTitle, body);
    }
    return left > 0 ? pages.showStep(reply) : complete(f);
  });
}
