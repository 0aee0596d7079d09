/**
 * Redemption and guest sign-in, as pages:
 *   link-pages.ts     GET/POST /redeem: the invitation link, and the start of a flow
 *   steps.ts          GET /guest (the current step), POST /guest/switch | accept | cancel
 *   methods/*.ts      each sign-in method's page, forms and callbacks (/guest/password, /guest/passcode/…,
 *                     /guest/signup, /guest/callback)
 * A flow started from a tenant's sign-in page ends at `GET /{tenantId}/login/{uid}/guest`, through the
 * kit's guest hand-back (web/kit/guest-hand-back.ts).
 *
 * The flow's state is server-side (web/kit/guest-flows.ts); what comes next is decided by
 * redemption/next-step.ts. Whatever a person proves is recorded in the browser session, so the next
 * organization asks for nothing again (single sign-on across tenants).
 */
import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { G, GuestPages } from './guest-page.js';
import { registerLinkPages } from './link-pages.js';
import { methodFor, signInMethods } from './methods/index.js';
import type { MethodEndpoint } from './methods/method.js';
import { registerSteps } from './steps.js';

export function registerGuestRoutes(app: FastifyInstance, ctx: AppContext): void {
  const pages = new GuestPages(ctx);
  registerLinkPages(app, pages);
  registerSteps(app, pages);

  // Each method's forms and callbacks. A path two methods share (the password form of a home tenant and
  // of a personal account, the code forms of passcode and sign-up) is answered by the flow's method.
  const paths = new Map<string, MethodEndpoint['method']>();
  for (const method of signInMethods) for (const [path, endpoint] of Object.entries(method.endpoints)) paths.set(path, endpoint.method);
  for (const [path, verb] of paths) {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const f = await pages.current(request, reply);
      if (!f) return reply;
      const endpoint = methodFor(f.loaded.flow.route)?.endpoints[path];
      const fits = endpoint?.method === verb;
      // A form posted out of turn (already proven, or for another method) shows the current step; a
      // callback nothing waits for is an expired page.
      if (verb === 'POST' && (!fits || f.loaded.flow.proven)) return pages.showStep(reply);
      if (!fits) return pages.flowExpired(reply, f.v);
      return endpoint.handle(pages, f);
    };
    if (verb === 'POST') app.post(`${G}/${path}`, { preHandler: app.csrfProtection }, handler);
    else app.get(`${G}/${path}`, handler);
  }
}
