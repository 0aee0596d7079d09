/**
 * Security info: the page where a signed-in member or guest of a tenant sees and changes their own methods.
 *   GET  /{tenantId}/security-info                              the methods, recovery codes left, the buttons
 *   POST /{tenantId}/security-info/add                          kind=totp|passkey: on to the MFA pages' registration
 *   GET  /{tenantId}/security-info/methods/{id}/remove          "Remove …?";  POST: removes it
 *   GET  /{tenantId}/security-info/recovery-codes               "Regenerate …?";  POST: ten new codes, shown once
 * Who: this browser's session (security-info-access.ts). Every change needs a proof of an existing method
 * within the last ten minutes; without one, a gate in 'challenge' mode asks for it and comes back here.
 * Adding goes through the MFA pages (pages.ts, passkey-pages.ts) in a gate: 'add' mode after such a proof,
 * 'register' mode when the person has no method yet (that is registering, which a sign-in alone allows).
 * The OpenID provider's mount (oidc/mount.ts) takes only its own paths below a tenant, not these.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findTenant, type Tenant } from '../../directory/tenants.js';
import type { User } from '../../directory/users.js';
import { deleteAllMethods, deleteMethod, issueRecoveryCodes, listMethods, recoveryCodesLeft } from '../../mfa/index.js';
import type { AppContext } from '../../platform/context.js';
import { chooseLocale } from '../../platform/locale.js';
import { type BrowserSession, readBrowserSession } from '../kit/browser-session.js';
import { parseForm, textField } from '../kit/forms.js';
import { brandOf, messagePage } from '../kit/layout.js';
import { MFA_PATH, type MfaGate, openGate } from '../kit/mfa-gate.js';
import { auditSecurityInfo, send } from './gate-pages.js';
import { recentlyProven, type SignedInPerson, signedInPerson } from './security-info-access.js';
import { securityInfoText } from './security-info-texts.js';
import { confirmPage, securityInfoPage } from './security-info-views.js';
import { type MfaView, recoveryCodesPage } from './views.js';

const PATH = '/:tenantId/security-info';

const addForm = z.object({ kind: textField(16) });

/** Where each kind of method is registered on the MFA pages. */
const REGISTER_PATHS: Record<string, string> = { totp: `${MFA_PATH}/totp/register`, passkey: `${MFA_PATH}/passkey/register` };

/** The signed-in person on a security-info page: who, where, and how the page speaks to them. */
interface Visit extends SignedInPerson {
  request: FastifyRequest;
  reply: FastifyReply;
  tenant: Tenant;
  session: BrowserSession | undefined;
  v: MfaView;
  /** `/{tenantId}/security-info`. */
  base: string;
}

export function registerSecurityInfoPages(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.db.kysely;

  /** The visit, or (answered here) the page asking to sign in first: the same whoever the browser might be. */
  async function visit(request: FastifyRequest, reply: FastifyReply): Promise<Visit | undefined> {
    const { tenantId } = request.params as { tenantId: string };
    const locale = chooseLocale([], request.headers['accept-language']);
    const tenant = tenantId.length <= 253 ? await findTenant(db, tenantId) : undefined;
    const session = tenant ? await readBrowserSession(ctx, request) : undefined;
    const person = tenant ? await signedInPerson(ctx, session, tenant) : undefined;
    if (!tenant || !person) {
      const t = securityInfoText(locale);
      send(reply, tenant ? 200 : 404, messagePage(locale, t.signInFirstTitle, t.signInFirstBody(tenant?.displayName), tenant ? brandOf(tenant) : {}));
      return undefined;
    }
    const v: MfaView = { locale, brand: brandOf(tenant), csrfToken: reply.generateCsrf(), account: person.user.mail ?? person.user.userPrincipalName };
    return { ...person, request, reply, tenant, session, v, base: `/${tenant.id}/security-info` };
  }

  /** A gate for this person that comes back to the security-info page. */
  function gateFor(s: Visit, mode: MfaGate['mode']): MfaGate {
    return {
      tenantId: s.tenant.id,
      userId: s.user.id,
      continueTo: { kind: 'url', url: s.base },
      appId: null,
      firstFactor: s.firstFactor,
      mode,
      policies: { enforced: [] },
    };
  }

  /**
   * False when the person proved a method recently; otherwise true, and the browser is on its way to the
   * challenge, which comes back here. (A boolean, not the reply: a Fastify reply is a thenable, and
   * awaiting one yields undefined.)
   */
  async function challenged(s: Visit): Promise<boolean> {
    if (recentlyProven(ctx, s.session, s.user)) return false;
    await openGate(ctx, s.request, s.reply, gateFor(s, 'challenge'));
    return true;
  }

  const methodOf = async (user: User, methodId: string) => (await listMethods(db, user.tenantId, user.id)).find((m) => m.id === methodId);

  app.get(PATH, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    const methods = await listMethods(db, s.tenant.id, s.user.id);
    const body = securityInfoPage(s.v, {
      organization: s.tenant.displayName,
      methods: methods.map((m) => ({ name: m.displayName, kind: m.kind, createdAt: m.createdAt, removeHref: `${s.base}/methods/${m.id}/remove` })),
      codesLeft: await recoveryCodesLeft(db, s.tenant.id, s.user.id),
      addAction: `${s.base}/add`,
      regenerateHref: `${s.base}/recovery-codes`,
      updated: (request.query as { updated?: unknown }).updated === '1',
    });
    return send(reply, 200, body);
  });

  app.post(`${PATH}/add`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    const path = REGISTER_PATHS[parseForm(addForm, request.body).kind];
    if (!path) return reply.redirect(s.base, 303);
    // The first method is registration, which signing in allows; every further one needs a recent proof.
    if ((await listMethods(db, s.tenant.id, s.user.id)).length === 0) return openGate(ctx, request, reply, gateFor(s, 'register'), path);
    if (await challenged(s)) return reply;
    return openGate(ctx, request, reply, gateFor(s, 'add'), path);
  });

  const removePath = `${PATH}/methods/:methodId/remove`;

  app.get(removePath, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    const all = await listMethods(db, s.tenant.id, s.user.id);
    const method = all.find((m) => m.id === (request.params as { methodId: string }).methodId);
    if (!method) return reply.redirect(s.base, 303);
    const t = securityInfoText(s.v.locale);
    const body = confirmPage(s.v, {
      title: t.removeTitle(method.displayName),
      body: t.removeBody,
      ...(all.length === 1 ? { note: t.removeLast(s.tenant.displayName) } : {}),
      action: `${s.base}/methods/${method.id}/remove`,
      button: t.remove,
      cancelHref: s.base,
    });
    return send(reply, 200, body);
  });

  app.post(removePath, { preHandler: app.csrfProtection }, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    if (await challenged(s)) return reply;
    const method = await methodOf(s.user, (request.params as { methodId: string }).methodId);
    // Another window removed it meanwhile: nothing more to do (and nothing to record).
    if (!method || !(await deleteMethod(db, s.tenant.id, s.user.id, method.id))) return reply.redirect(s.base, 303);
    await auditSecurityInfo(ctx, s, 'deleted', method.displayName);
    // The last method gone, the recovery codes go too (as with an administrator's reset): they back up a
    // method, and must not stand in for registering one at the next sign-in.
    if ((await listMethods(db, s.tenant.id, s.user.id)).length === 0) await deleteAllMethods(db, s.tenant.id, s.user.id);
    return reply.redirect(`${s.base}?updated=1`, 303);
  });

  app.get(`${PATH}/recovery-codes`, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    const t = securityInfoText(s.v.locale);
    const body = confirmPage(s.v, {
      title: t.regenerateTitle,
      body: t.regenerateBody,
      action: `${s.base}/recovery-codes`,
      button: t.regenerateButton,
      cancelHref: s.base,
    });
    return send(reply, 200, body);
  });

  app.post(`${PATH}/recovery-codes`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const s = await visit(request, reply);
    if (!s) return reply;
    // Recovery codes stand in for a method; with none, there is nothing for them to recover.
    if ((await listMethods(db, s.tenant.id, s.user.id)).length === 0) return reply.redirect(s.base, 303);
    if (await challenged(s)) return reply;
    const codes = await issueRecoveryCodes(ctx, s.tenant.id, s.user.id);
    await auditSecurityInfo(ctx, s, 'registered', 'Recovery codes');
    const t = securityInfoText(s.v.locale);
    return send(reply, 200, recoveryCodesPage(s.v, { codes, action: s.base, method: 'get', note: t.codesRenewed }));
  });
}
