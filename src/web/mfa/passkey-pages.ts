/**
 * The passkey pages (WebAuthn, @simplewebauthn/server underneath, in mfa/passkeys.ts):
 *   GET  /mfa/passkey/register   options for a new credential;  POST: the browser's answer registers it
 *   GET  /mfa/passkey            options to prove one;          POST: the browser's answer
 *   GET  /mfa/webauthn.js        @simplewebauthn/browser's bundle;  GET /mfa/passkey.js: the page's lines
 * The only pages that run a script: the Content-Security-Policy allows exactly the two script tags that carry
 * the response's nonce. Each challenge is used once (it is dropped from the gate when an answer arrives).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { addPasskey, passkeyAuthenticationOptions, passkeyRegistrationOptions, verifyPasskey } from '../../mfa/index.js';
import type { AppContext } from '../../platform/context.js';
import { parseForm, textField } from '../kit/forms.js';
import { pageHeaders } from '../kit/layout.js';
import { saveGate } from '../kit/mfa-gate.js';
import { goOn, type InGate, M, proven, refusal, send } from './gate-pages.js';
import { mfaText } from './texts.js';
import { PASSKEY_SCRIPT, passkeyPage } from './views.js';

const answerForm = z.object({ response: textField(16_384), name: textField(64).optional() });

interface Helpers {
  gateOf(request: FastifyRequest, reply: FastifyReply): Promise<InGate | undefined>;
  mayRegister(g: InGate): Promise<boolean>;
  afterRegistration(g: InGate, methodName: string, amr: string[]): Promise<FastifyReply>;
}

const LIBRARY_PATH = `${M}/webauthn.js`;
const SCRIPT_PATH = `${M}/passkey.js`;

/** The headers of a passkey page: the kit's, with scripts allowed by this response's nonce only. */
function scriptHeaders(nonce: string): Record<string, string> {
  return { ...pageHeaders, 'content-security-policy': `${pageHeaders['content-security-policy']}; script-src 'nonce-${nonce}'; connect-src 'none'` };
}

/** The browser's answer, as JSON; undefined when it is not an object with an id. */
function parseAnswer(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function registerPasskeyPages(app: FastifyInstance, ctx: AppContext, h: Helpers): void {
  const libraryFile = fileURLToPath(new URL('../dist/bundle/index.umd.min.js', import.meta.resolve('@simplewebauthn/browser')));

  app.get(LIBRARY_PATH, async (_request, reply) =>
    reply
      .headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' })
      .send(await readFile(libraryFile)),
  );
  app.get(SCRIPT_PATH, async (_request, reply) =>
    reply
      .headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' })
      .send(PASSKEY_SCRIPT),
  );

  async function show(g: InGate, mode: 'register' | 'authenticate', status = 200, error?: string) {
    const options =
      mode === 'register'
        ? await passkeyRegistrationOptions(ctx, {
            tenantId: g.tenant.id,
            user: { id: g.user.id, name: g.v.account, displayName: g.user.displayName },
            rpName: g.tenant.displayName,
          })
        : await passkeyAuthenticationOptions(ctx, { tenantId: g.tenant.id, userId: g.user.id });
    g.loaded.gate.webauthnChallenge = options.challenge;
    await saveGate(ctx, g.loaded);
    const nonce = randomBytes(16).toString('base64');
    const action = mode === 'register' ? `${M}/passkey/register` : `${M}/passkey`;
    const body = passkeyPage(g.v, {
      mode,
      action,
      options,
      nonce,
      libraryPath: LIBRARY_PATH,
      scriptPath: SCRIPT_PATH,
      otherHref: `${M}/other`,
      ...(error ? { error } : {}),
    });
    return send(g.reply, status, body, scriptHeaders(nonce));
  }

  /** Takes the gate's challenge (once) and the browser's answer from the form. */
  async function takeAnswer(g: InGate) {
    const challenge = g.loaded.gate.webauthnChallenge;
    delete g.loaded.gate.webauthnChallenge;
    await saveGate(ctx, g.loaded);
    const form = parseForm(answerForm, g.request.body);
    return { challenge, answer: parseAnswer(form.response), name: form.name?.trim() };
  }

  app.get(`${M}/passkey/register`, async (request, reply) => {
    const g = await h.gateOf(request, reply);
    if (!g) return reply;
    if (!(await h.mayRegister(g))) return reply.redirect(M, 303);
    return show(g, 'register');
  });

  app.post(`${M}/passkey/register`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await h.gateOf(request, reply);
    if (!g) return reply;
    if (!(await h.mayRegister(g))) return reply.redirect(M, 303);
    const t = mfaText(g.v.locale);
    const { challenge, answer, name } = await takeAnswer(g);
    if (!challenge || !answer) return show(g, 'register', 400, t.passkeyFailed);
    const verdict = await addPasskey(ctx, {
      tenantId: g.tenant.id,
      userId: g.user.id,
      response: answer as unknown as Parameters<typeof addPasskey>[1]['response'],
      expectedChallenge: challenge,
      displayName: name || t.passkeyDefaultName,
    });
    if (!verdict.ok) {
      const r = refusal(reply, verdict, g.v.locale, t.passkeyFailed);
      return show(g, 'register', r.status, r.error);
    }
    return h.afterRegistration(g, verdict.method.displayName, [verdict.method.backedUp ? 'swk' : 'hwk']);
  });

  app.get(`${M}/passkey`, async (request, reply) => {
    const g = await h.gateOf(request, reply);
    if (!g) return reply;
    if (g.loaded.gate.done) return goOn(ctx, g);
    return show(g, 'authenticate');
  });

  app.post(`${M}/passkey`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const g = await h.gateOf(request, reply);
    if (!g) return reply;
    if (g.loaded.gate.done) return goOn(ctx, g);
    const t = mfaText(g.v.locale);
    const { challenge, answer } = await takeAnswer(g);
    if (!challenge || !answer) return show(g, 'authenticate', 400, t.passkeyFailed);
    const verdict = await verifyPasskey(ctx, {
      tenantId: g.tenant.id,
      userId: g.user.id,
      response: answer as unknown as Parameters<typeof verifyPasskey>[1]['response'],
      expectedChallenge: challenge,
    });
    if (!verdict.ok) {
      request.log.info({ tenant: g.tenant.id, user: g.user.id, reason: verdict.reason }, 'passkey refused');
      const r = refusal(reply, verdict, g.v.locale, t.passkeyFailed);
      return show(g, 'authenticate', r.status, r.error);
    }
    await proven(ctx, g, [verdict.amr]);
    return goOn(ctx, g);
  });
}
