/**
 * The MFA pages, where a gate (web/kit/mfa-gate.ts) is passed:
 *   GET  /mfa                   the gate's step: "More information required" (register) or a challenge
 *   GET  /mfa/other             every way to prove it's you ("use another method")
 *   GET  /mfa/totp/register     an authenticator app: QR code and key;  POST: its first code registers it
 *   POST /mfa/totp              an authenticator app's code (challenge)
 *   GET  /mfa/recovery          a recovery code's form;                 POST: the code
 *   POST /mfa/continue          after the recovery codes were shown: on to where the gate continues
 * The passkey routes are passkey-pages.ts. Registering is possible only while the person has no method
 * at all (an administrator's reset, or never registered): a method is never added without proving one the
 * person already has (adding more is the security-info page's, after such a proof: a gate in 'add' mode,
 * security-info.ts, whose registration pages are these).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { logSignIn } from '../../directory/sign-in-log.js';
import {
  addTotpMethod,
  issueRecoveryCodes,
  listMethods,
  newTotpSecret,
  recoveryCodesLeft,
  totpQrSvg,
  totpUri,
  useRecoveryCode,
  verifyTotp,
} from '../../mfa/index.js';
import type { AppContext } from '../../platform/context.js';
import { seal, unseal } from '../../platform/instance-keys.js';
import { readBrowserSession } from '../kit/browser-session.js';
import { parseForm, textField } from '../kit/forms.js';
import { loadGate, saveGate } from '../kit/mfa-gate.js';
import { auditSecurityInfo, currentGate, goOn, type InGate, M, proven, refusal, send } from './gate-pages.js';
import { registerPasskeyPages } from './passkey-pages.js';
import { registerSecurityInfoPages } from './security-info.js';
import { recentlyProven } from './security-info-access.js';
import { mfaText } from './texts.js';
import { codePage, otherMethodsPage, recoveryCodesPage, registerChoicePage, totpSetupPage } from './views.js';

const codeForm = z.object({ code: textField(64) });

export function registerMfaPages(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.db.kysely;
  const gateOf = async (request: Parameters<typeof loadGate>[1], reply: Parameters<typeof currentGate>[2]) =>
    currentGate(ctx, request, reply, await loadGate(ctx, request));

  /** May this gate register a method now? Only while the person has none (see above), or adding one after a recent proof. */
  async function mayRegister(g: InGate): Promise<boolean> {
    if (g.loaded.gate.done) return false;
    if (g.loaded.gate.mode === 'add') return recentlyProven(ctx, await readBrowserSession(ctx, g.request), g.user);
    const none = (await listMethods(db, g.tenant.id, g.user.id)).length === 0;
    if (!none && g.loaded.gate.mode === 'register') {
      // Registered meanwhile (another window): from now on, prove it.
      g.loaded.gate.mode = 'challenge';
      await saveGate(ctx, g.loaded);
    }
    return none;
  }

  /** After a first method: the recovery codes, once, if the person has none left; otherwise straight on. */
  async function afterRegistration(g: InGate, methodName: string, amr: string[]) {
    await auditSecurityInfo(ctx, g, 'registered', methodName);
    await proven(ctx, g, amr);
    if ((await recoveryCodesLeft(db, g.tenant.id, g.user.id)) > 0) return goOn(ctx, g);
    const codes = await issueRecoveryCodes(ctx, g.tenant.id, g.user.id);
    return send(g.reply, 200, recoveryCodesPage(g.v, { codes, action: `${M}/continue`, note: mfaText(g.v.locale).registeredMethod(methodName) }));
  }

  async function showTotpChallenge(g: InGate, status = 200, error?: string) {
    const t = mfaText(g.v.locale);
    const page = codePage(g.v, {
      title: t.challengeTitle,
      intro: t.challengeTotpIntro,
      action: `${M}/totp`,
      recovery: false,
      otherHref: `${M}/other`,
      ...(error ? { error } : {}),
    });
    return send(g.reply, status, page);
  }

  async function showTotpSetup(g: InGate, status = 200, error?: string) {
    const gate = g.loaded.gate;
    let secret: string;
    if (gate.pendingTotp) secret = await unseal(ctx, gate.pendingTotp);
    else {
      secret = newTotpSecret();
      gate.pendingTotp = await seal(ctx, secret);
      await saveGate(ctx, g.loaded);
    }
    const qrSvg = await totpQrSvg(totpUri(secret, { issuer: g.tenant.displayName, account: g.v.account }));
    return send(g.reply, status, totpSetupPage(g.v, { action: `${M}/totp/register`, qrSvg, secret, backHref: M, ...(error ? { error } : {}) }));
  }

  app.get(M, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    if (g.loaded.gate.done) return goOn(ctx, g);
    if (await mayRegister(g)) {
      // Adding a method: each has its own button on the security-info page, where "another method" goes back to.
      if (g.loaded.gate.mode === 'add') return goOn(ctx, g);
      return send(
        reply,
        200,
        registerChoicePage(g.v, { organization: g.tenant.displayName, totpHref: `${M}/totp/register`, passkeyHref: `${M}/passkey/register` }),
      );
    }
    const methods = await listMethods(db, g.tenant.id, g.user.id);
    if (methods[0]?.kind === 'fido2') return reply.redirect(`${M}/passkey`, 303);
    return showTotpChallenge(g);
  });

  app.get(`${M}/other`, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    if (g.loaded.gate.mode === 'add' && (await mayRegister(g))) return goOn(ctx, g);
    const t = mfaText(g.v.locale);
    const kinds = new Set((await listMethods(db, g.tenant.id, g.user.id)).map((m) => m.kind));
    const options = [
      ...(kinds.has('softwareOath') ? [{ href: `${M}/totp`, label: t.totpOption }] : []),
      ...(kinds.has('fido2') ? [{ href: `${M}/passkey`, label: t.passkeyOption }] : []),
      ...((await recoveryCodesLeft(db, g.tenant.id, g.user.id)) > 0 ? [{ href: `${M}/recovery`, label: t.recoveryOption }] : []),
    ];
    if (options.length === 0) return reply.redirect(M, 303);
    return send(reply, 200, otherMethodsPage(g.v, options));
  });

  app.get(`${M}/totp`, async (request, reply) => {
    const g = await gateOf(request, reply);
    return g ? showTotpChallenge(g) : reply;
  });

  app.post(`${M}/totp`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    if (g.loaded.gate.done) return goOn(ctx, g);
    const { code } = parseForm(codeForm, request.body);
    const t = mfaText(g.v.locale);
    const verdict = await verifyTotp(ctx, { tenantId: g.tenant.id, userId: g.user.id, code });
    if (!verdict.ok) {
      request.log.info({ tenant: g.tenant.id, user: g.user.id, reason: verdict.reason }, 'second factor refused');
      secondFactorFailed(ctx, request.ip, g);
      const r = refusal(reply, verdict, g.v.locale, t.wrongCode);
      return showTotpChallenge(g, r.status, r.error);
    }
    await proven(ctx, g, ['otp']);
    return goOn(ctx, g);
  });

  app.get(`${M}/totp/register`, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    if (!(await mayRegister(g))) return reply.redirect(M, 303);
    return showTotpSetup(g);
  });

  app.post(`${M}/totp/register`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    if (!(await mayRegister(g)) || !g.loaded.gate.pendingTotp) return reply.redirect(M, 303);
    const { code } = parseForm(codeForm, request.body);
    const t = mfaText(g.v.locale);
    const secret = await unseal(ctx, g.loaded.gate.pendingTotp);
    const verdict = await addTotpMethod(ctx, { tenantId: g.tenant.id, userId: g.user.id, secret, code, displayName: t.totpOption });
    if (!verdict.ok) {
      const r = refusal(reply, verdict, g.v.locale, t.wrongCode);
      return showTotpSetup(g, r.status, r.error);
    }
    return afterRegistration(g, verdict.method.displayName, ['otp']);
  });

  app.get(`${M}/recovery`, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    const t = mfaText(g.v.locale);
    return send(
      reply,
      200,
      codePage(g.v, { title: t.recoveryTitle, intro: t.recoveryIntro, action: `${M}/recovery`, recovery: true, otherHref: `${M}/other` }),
    );
  });

  app.post(`${M}/recovery`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    if (g.loaded.gate.done) return goOn(ctx, g);
    const { code } = parseForm(codeForm, request.body);
    const t = mfaText(g.v.locale);
    const again = (status: number, error: string) =>
      send(
        reply,
        status,
        codePage(g.v, { title: t.recoveryTitle, intro: t.recoveryIntro, action: `${M}/recovery`, recovery: true, otherHref: `${M}/other`, error }),
      );
    const verdict = await useRecoveryCode(ctx, { tenantId: g.tenant.id, userId: g.user.id, code });
    if (!verdict.ok) {
      secondFactorFailed(ctx, request.ip, g);
      const r = refusal(reply, verdict, g.v.locale, t.wrongCode);
      return again(r.status, r.error);
    }
    await proven(ctx, g, ['otp']);
    return goOn(ctx, g);
  });

  app.post(`${M}/continue`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await gateOf(request, reply);
    if (!g) return reply;
    return g.loaded.gate.done ? goOn(ctx, g) : reply.redirect(M, 303);
  });

  registerPasskeyPages(app, ctx, { gateOf, mayRegister, afterRegistration });
  registerSecurityInfoPages(app, ctx);
}

/** A wrong code at a sign-in's second factor, in the sign-in log (Entra's 500121). */
function secondFactorFailed(ctx: AppContext, ipAddress: string, g: InGate) {
  logSignIn(ctx, {
    tenantId: g.tenant.id,
    userId: g.user.id,
    appId: g.loaded.gate.appId,
    ipAddress,
    errorCode: 500121,
    homeTenantId: g.loaded.gate.homeTenantId ?? null,
  });
}
