/**
 * Identifier-first sign-in, the interaction pages of every tenant's OpenID provider:
 *   GET  /{tenantId}/login/{uid}           the address page (or straight back, when this browser already
 *                                          proved an account of this tenant: single sign-on)
 *   POST /{tenantId}/login/{uid}/identifier → the password page
 *   POST /{tenantId}/login/{uid}/password   → back to the provider with the login result, or first the
 *                                          "Change your password" page when the member owes a change
 *   POST /{tenantId}/login/{uid}/password-change → the new password (change-password.ts), then back to the provider
 *   POST /{tenantId}/login/{uid}/cancel     → back to the app with access_denied
 *   GET  /{tenantId}/login/{uid}/guest      → back from a guest's flow (src/web/guest/pages.ts)
 *   GET  /{tenantId}/login/{uid}/terms      → back from the terms of use pages (src/web/terms/)
 *
 * Failed attempts are counted per account and per client address in the database (so every process
 * sees them); past the limit, sign-in is refused before the password is even checked. Unknown addresses
 * go through the same password page and the same hashing time, so the pages never reveal who has an
 * account. For the same reason members are found only by their sign-in name (a userPrincipalName on one
 * of the tenant's verified domains): which page an address gets depends on its domain alone, never on
 * whether it is some member's `mail` or `otherMails`.
 */

import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { parseEmailAddress } from '../../directory/domains.js';
import { isVerifiedDomainOf } from '../../directory/guests.js';
import { issuerFor } from '../../directory/issuers.js';
import { changeOwedPassword, passwordProofTag } from '../../directory/password-change.js';
import { checkPassword } from '../../directory/password-check.js';
import { logSignIn } from '../../directory/sign-in-log.js';
import type { Tenant } from '../../directory/tenants.js';
import { findMemberByUserPrincipalName, findUser, type User } from '../../directory/users.js';
import { type ProviderRegistry, SIGN_IN_CHECK_REASON } from '../../oidc/index.js';
import type { AppContext } from '../../platform/context.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import * as rateLimit from '../../platform/rate-limit.js';
import { readBrowserSession, rememberAccount, signInStillCounts } from '../kit/browser-session.js';
import { parseForm, rawField, textField } from '../kit/forms.js';
import { guestFromBrowserSession, startGuestSignIn, takeGuestSignIn } from '../kit/guest-hand-back.js';
import { text } from '../kit/i18n.js';
import { brandOf, messagePage, pageHeaders } from '../kit/layout.js';
import { changePasswordPage, forgetPasswordProof, readPasswordProof, rememberPasswordProof } from './change-password.js';
import { changePasswordText, refusalText } from './change-password-texts.js';
import { earlierSignInCounts, nextAfterPassword } from './next-step.js';
import { concludeSignIn, returnFromGate, returnFromTerms, type SignInEnd } from './second-factor.js';
import { type FormContext, identifierPage, passwordPage } from './sign-in-views.js';

const identifierForm = z.object({ email: rawField });
const passwordForm = z.object({ email: rawField, password: textField() });
const passwordChangeForm = z.object({ newPassword: textField(), confirmPassword: textField() });

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface Interaction {
  tenant: Tenant;
  provider: Provider;
  details: Details;
  locale: Locale;
}

export function registerSignInRoutes(app: FastifyInstance, ctx: AppContext, registry: ProviderRegistry): void {
  const base = (tenantId: string, uid: string) => `/${tenantId}/login/${uid}`;

  /** Loads the interaction the browser is in; answers with an "expired" page when there is none. */
  async function load(request: FastifyRequest, reply: FastifyReply): Promise<Interaction | undefined> {
    const { tenantId, uid } = request.params as { tenantId: string; uid: string };
    const acceptLanguage = request.headers['accept-language'];
    const entry = /^[0-9a-f-]{36}$/.test(tenantId) ? await registry.resolve(tenantId) : undefined;
    if (!entry || entry.tenant.id !== tenantId) {
      const locale = chooseLocale([], acceptLanguage);
      const t = text(locale);
      reply
        .code(404)
        .headers(pageHeaders)
        .send(messagePage(locale, t.notFoundTitle, t.tenantNotFound));
      return undefined;
    }
    let details: Details;
    try {
      details = await entry.provider.interactionDetails(request.raw, reply.raw);
      if (details.uid !== uid) throw new Error('interaction mismatch');
    } catch {
      const locale = chooseLocale([], acceptLanguage);
      const t = text(locale);
      reply
        .code(400)
        .headers(pageHeaders)
        .send(messagePage(locale, t.interactionExpired, t.interactionExpiredBody, brandOf(entry.tenant)));
      return undefined;
    }
    const locale = chooseLocale([details.params.ui_locales as string | undefined], acceptLanguage);
    return { tenant: entry.tenant, provider: entry.provider, details, locale };
  }

  function form(it: Interaction, reply: FastifyReply, action: string): FormContext {
    return {
      locale: it.locale,
      brand: brandOf(it.tenant),
      action,
      csrfToken: reply.generateCsrf(),
      cancelAction: `${base(it.tenant.id, it.details.uid)}/cancel`,
    };
  }

  async function finish(it: Interaction, request: FastifyRequest, reply: FastifyReply, result: Parameters<Provider['interactionResult']>[2]) {
    const to = await it.provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.redirect(to, 303);
  }

  /** How this interaction ends once the person is known: through the second factor (second-factor.ts). */
  function end(it: Interaction, request: FastifyRequest, reply: FastifyReply): SignInEnd {
    const clientId = it.details.params.client_id;
    return {
      tenantId: it.tenant.id,
      uid: it.details.uid,
      clientId: typeof clientId === 'string' ? clientId : null,
      finish: (result) => finish(it, request, reply, result),
    };
  }

  /** A member proved by password: remembered in the browser session (single sign-on), then back to the provider. */
  async function signedIn(it: Interaction, request: FastifyRequest, reply: FastifyReply, member: User, authTime: number) {
    await rememberAccount(ctx, request, reply, {
      tenantId: it.tenant.id,
      userId: member.id,
      issuer: issuerFor(ctx.config.publicUrl, it.tenant.id),
      subject: member.id,
      email: member.mail ?? member.userPrincipalName,
      amr: ['pwd'],
      authTime,
    });
    return concludeSignIn(ctx, request, reply, end(it, request, reply), { userId: member.id, amr: ['pwd'], authTime });
  }

  app.get('/:tenantId/login/:uid', async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const { details } = it;
    const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;

    // Single sign-on: this browser already proved an account of this tenant, and the app did not ask
    // for a fresh sign-in (prompt=login, max_age) or for someone else (login_hint).
    // A remembered sign-in sent back by a sign-in check (oidc/sign-in-checks.ts) is single sign-on too: the
    // second-factor step (second-factor.ts) decides what it still needs.
    if (details.prompt.name === 'login' && details.prompt.reasons.every((r) => r === 'no_session' || r === SIGN_IN_CHECK_REASON)) {
      const session = await readBrowserSession(ctx, request);
      // Sent back to check a remembered sign-in: only that account may sign in here, not another this
      // browser also proved (nor one a login_hint names).
      const only = details.prompt.reasons.includes(SIGN_IN_CHECK_REASON) ? details.session?.accountId : undefined;
      for (const account of session?.accounts ?? []) {
        if (account.tenantId !== it.tenant.id || (only && account.userId !== only)) continue;
        const user = await findUser(ctx.db.kysely, it.tenant.id, account.userId);
        // A password reset or a disable since then ends this sign-in. Guests enter only through their
        // home identity's entry (below), which carries its own validity: a disabled home account or an
        // expired passcode session ends the guest's SSO too.
        if (!user || user.creationType === 'Invitation') continue;
        if (!earlierSignInCounts({ stillCounts: signInStillCounts(user, account.authTime), mustChangePassword: user.mustChangePassword })) continue;
        if (loginHint && ![user.userPrincipalName, user.mail].some((a) => a?.toLowerCase() === loginHint.toLowerCase())) continue;
        return concludeSignIn(ctx, request, reply, end(it, request, reply), { userId: user.id, amr: account.amr, authTime: account.authTime }, session);
      }
      // A guest whose home identity this browser proved (in another tenant, a personal account, a
      // passcode, an external provider) enters without typing anything: single sign-on across tenants.
      const guest = await guestFromBrowserSession(ctx, session, it.tenant.id, loginHint, only);
      if (guest) {
        const home = { userId: guest.guest.id, amr: guest.entry.amr, authTime: guest.entry.authTime };
        const homeIdentity = guest.entry.issuer && guest.entry.subject ? { issuer: guest.entry.issuer, subject: guest.entry.subject } : undefined;
        return concludeSignIn(ctx, request, reply, end(it, request, reply), { ...home, ...(homeIdentity ? { homeIdentity } : {}) }, session);
      }
    }
    if (details.prompt.name === 'consent') {
      // Apps are admin-registered (see provider.ts loadExistingGrant); grant what was asked.
      const grant = new it.provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await grant.save();
      return finish(it, request, reply, { consent: { grantId } });
    }
    return reply.headers(pageHeaders).send(identifierPage(form(it, reply, `${base(it.tenant.id, details.uid)}/identifier`), { email: loginHint }));
  });

  app.post('/:tenantId/login/:uid/identifier', { preHandler: app.csrfProtection }, async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const body = parseForm(identifierForm, request.body);
    const address = parseEmailAddress(body.email);
    const t = text(it.locale);
    if (!address) {
      return reply
        .code(400)
        .headers(pageHeaders)
        .send(
          identifierPage(form(it, reply, `${base(it.tenant.id, it.details.uid)}/identifier`), {
            email: typeof body.email === 'string' ? body.email.slice(0, 254) : '',
            error: t.invalidEmail,
          }),
        );
    }
    // Home realm discovery by the domain alone: an address at one of the tenant's verified domains (a
    // member's sign-in name or not) gets the password page; every other address, a member's private
    // `mail` included, is sent to its home identity like any unknown address.
    if (!(await isVerifiedDomainOf(ctx.db.kysely, it.tenant.id, address.domain))) {
      return startGuestSignIn(ctx, request, reply, {
        tenantId: it.tenant.id,
        uid: it.details.uid,
        address: address.address,
        language: (it.details.params.ui_locales as string | undefined) ?? null,
        freshSignIn: it.details.prompt.reasons.some((r) => r === 'login_prompt' || r === 'max_age'),
      });
    }
    return reply.headers(pageHeaders).send(
      passwordPage(form(it, reply, `${base(it.tenant.id, it.details.uid)}/password`), {
        email: address.address,
        changeAccountAction: base(it.tenant.id, it.details.uid),
      }),
    );
  });

  app.post('/:tenantId/login/:uid/password', { preHandler: app.csrfProtection }, async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const { email, password } = parseForm(passwordForm, request.body);
    const address = parseEmailAddress(email);
    const t = text(it.locale);
    const action = `${base(it.tenant.id, it.details.uid)}/password`;
    if (!address) {
      return reply
        .code(400)
        .headers(pageHeaders)
        .send(identifierPage(form(it, reply, `${base(it.tenant.id, it.details.uid)}/identifier`), { error: t.invalidEmail }));
    }
    const again = (status: number, error: string) =>
      reply
        .code(status)
        .headers(pageHeaders)
        .send(passwordPage(form(it, reply, action), { email: address.address, error, changeAccountAction: base(it.tenant.id, it.details.uid) }));

    const member = await findMemberByUserPrincipalName(ctx.db.kysely, it.tenant.id, address.address);
    const verdict = await checkPassword(ctx, request.ip, `${it.tenant.id}:${member?.id ?? address.lower}`, member?.passwordHash, password);
    // Every attempt goes to the sign-in log (queued: the page does not wait), an unknown name as typed.
    const failed = (errorCode: number) =>
      logSignIn(ctx, {
        tenantId: it.tenant.id,
        userId: member?.id ?? null,
        typedName: address.address,
        appId: end(it, request, reply).clientId,
        ipAddress: request.ip,
        errorCode,
      });
    if ('retryAfterMs' in verdict) {
      failed(50053);
      request.log.warn({ tenant: it.tenant.id, account: address.lower }, 'sign-in refused: too many failed attempts');
      reply.header('retry-after', String(Math.ceil(verdict.retryAfterMs / 1000)));
      return again(429, t.tooManyAttempts(Math.max(1, Math.ceil(verdict.retryAfterMs / 60_000))));
    }
    const step = nextAfterPassword({ passwordOk: verdict.ok, enabled: !!member?.accountEnabled, mustChangePassword: !!member?.mustChangePassword });
    if (step.kind === 'wrong-password' || !member) {
      request.log.info({ tenant: it.tenant.id, reason: !member ? 'unknown' : !verdict.ok ? 'password' : 'disabled' }, 'sign-in failed');
      failed(!member ? 50034 : !verdict.ok ? 50126 : 50057);
      // A disabled account gets the same answer as a wrong password: the page never says who exists.
      return again(400, t.wrongPassword);
    }
    if (step.kind === 'change-password') {
      // Not remembered in the browser session and not told to the provider: no token until the change.
      rememberPasswordProof(ctx, reply, {
        tenantId: it.tenant.id,
        uid: it.details.uid,
        userId: member.id,
        email: address.address,
        tag: passwordProofTag(member.passwordHash!),
      });
      return reply
        .headers(pageHeaders)
        .send(changePasswordPage(form(it, reply, `${base(it.tenant.id, it.details.uid)}/password-change`), { email: address.address }));
    }
    return signedIn(it, request, reply, member, Math.floor(ctx.clock.now() / 1000));
  });

  // The new password a member owes (change-password.ts), posted from the page the password route showed.
  app.post('/:tenantId/login/:uid/password-change', { preHandler: app.csrfProtection }, async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const t = changePasswordText(it.locale);
    const proof = readPasswordProof(ctx, request, it.tenant.id, it.details.uid);
    const signInAgain = () => {
      forgetPasswordProof(ctx, reply);
      return reply
        .code(400)
        .headers(pageHeaders)
        .send(identifierPage(form(it, reply, `${base(it.tenant.id, it.details.uid)}/identifier`), { email: proof?.email ?? '', error: t.expired }));
    };
    if (!proof) return signInAgain();
    const { newPassword, confirmPassword } = parseForm(passwordChangeForm, request.body);
    const again = (error: string, status = 400) =>
      reply
        .code(status)
        .headers(pageHeaders)
        .send(changePasswordPage(form(it, reply, `${base(it.tenant.id, it.details.uid)}/password-change`), { email: proof.email, error }));
    // Every attempt with a proof is counted per member before any hashing: a proof is good for a quarter of
    // an hour, and each try costs two password hashes, so it may not be a lever for making the server hash.
    const windowMs = ctx.config.signInAttemptWindowSeconds * 1000;
    const limits = [{ key: `password-change:${it.tenant.id}:${proof.userId}`, limit: ctx.config.signInAttemptLimit }];
    const blocked = await rateLimit.attempt(ctx.db.kysely, limits, windowMs, ctx.clock.now());
    if (blocked) {
      request.log.warn({ tenant: it.tenant.id, user: proof.userId }, 'password change refused: too many attempts');
      reply.header('retry-after', String(Math.ceil(blocked.retryAfterMs / 1000)));
      return again(t.tooManyAttempts(Math.max(1, Math.ceil(blocked.retryAfterMs / 60_000))), 429);
    }
    if (newPassword !== confirmPassword) return again(t.mismatch);
    const outcome = await changeOwedPassword(ctx, it.tenant.id, proof.userId, proof.tag, newPassword);
    if (outcome.kind === 'stale') return signInAgain();
    if (outcome.kind === 'refused') return again(refusalText(it.locale, outcome.rule));
    forgetPasswordProof(ctx, reply);
    request.log.info({ tenant: it.tenant.id, user: outcome.user.id }, 'owed password changed at sign-in');
    return signedIn(it, request, reply, outcome.user, outcome.authTime);
  });

  // Back from a guest flow (src/web/guest/pages.ts) that this sign-in page started.
  app.get('/:tenantId/login/:uid/guest', async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const result = await takeGuestSignIn(ctx, request, reply, it.tenant, it.details.uid, it.locale);
    if (!result) {
      const t = text(it.locale);
      return reply
        .code(400)
        .headers(pageHeaders)
        .send(messagePage(it.locale, t.interactionExpired, t.interactionExpiredBody, brandOf(it.tenant)));
    }
    if (result.kind === 'refused')
      return reply
        .code(403)
        .headers(pageHeaders)
        .send(messagePage(it.locale, result.page.title, result.page.body, brandOf(it.tenant)));
    if (result.kind === 'cancelled') return finish(it, request, reply, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' });
    if (result.kind === 'prove-again') return reply.redirect(result.path, 303);
    const who = { userId: result.guestId, amr: result.amr, authTime: result.authTime, homeIdentity: { issuer: result.issuer, subject: result.subject } };
    return concludeSignIn(ctx, request, reply, end(it, request, reply), who);
  });

  // Back from the MFA pages (web/mfa/) with the second factor proven for this interaction.
  app.get('/:tenantId/login/:uid/mfa', async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const returned = await returnFromGate(ctx, request, reply, end(it, request, reply));
    if (returned) return returned.answer;
    const t = text(it.locale);
    return reply
      .code(400)
      .headers(pageHeaders)
      .send(messagePage(it.locale, t.interactionExpired, t.interactionExpiredBody, brandOf(it.tenant)));
  });

  // Back from the terms of use pages (web/terms/) with every agreement due accepted for this interaction.
  app.get('/:tenantId/login/:uid/terms', async (request, reply) => {
    const it = await load(request, reply);
    if (!it) return reply;
    const returned = await returnFromTerms(ctx, request, reply, end(it, request, reply));
    if (returned) return returned.answer;
    const t = text(it.locale);
    return reply
      .code(400)
      .headers(pageHeaders)
      .send(messagePage(it.locale, t.interactionExpired, t.interactionExpiredBody, brandOf(it.tenant)));
  });

  app.post('/:tenantId/login/:uid/cancel', { preHandler: app.csrfProtection }, async (request, reply) => {
    // Leaving the sign-in ends the proof of the password typed in it (change-password.ts), whatever else happens.
    forgetPasswordProof(ctx, reply);
    const it = await load(request, reply);
    if (!it) return reply;
    return finish(it, request, reply, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' });
  });
}
