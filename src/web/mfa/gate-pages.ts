/**
 * What every MFA page handler shares: the gate the browser is in (web/kit/mfa-gate.ts), its tenant and
 * person, the page context, and the two ways a gate ends well (a second factor proven, then on to where
 * the gate continues).
 */
import type {} from '@fastify/csrf-protection';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { activities, recordAudit } from '../../directory/audit-log.js';
import { findTenant, type Tenant } from '../../directory/tenants.js';
import { findUser, type User } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { newId } from '../../platform/ids.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import { rememberSecondFactor, signInStillCounts } from '../kit/browser-session.js';
import { brandOf, messagePage, pageHeaders } from '../kit/layout.js';
import { endGate, type LoadedGate, MFA_PATH, saveGate } from '../kit/mfa-gate.js';
import { mfaText } from './texts.js';
import type { MfaView } from './views.js';

export const M = MFA_PATH;

export interface InGate {
  request: FastifyRequest;
  reply: FastifyReply;
  loaded: LoadedGate;
  tenant: Tenant;
  user: User;
  v: MfaView;
}

export function send(reply: FastifyReply, status: number, body: string, headers: Record<string, string> = pageHeaders): FastifyReply {
  return reply.code(status).headers(headers).send(body);
}

/** The gate this browser is in, with its tenant and (still enabled) person; otherwise an "expired" page. */
export async function currentGate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, loaded: LoadedGate | undefined): Promise<InGate | undefined> {
  const locale = chooseLocale([], request.headers['accept-language']);
  const tenant = loaded ? await findTenant(ctx.db.kysely, loaded.gate.tenantId) : undefined;
  const user = tenant && loaded ? await findUser(ctx.db.kysely, tenant.id, loaded.gate.userId) : undefined;
  // A person disabled, or whose sign-ins ended (a revocation, a new password) after the first factor the gate
  // was opened with, is not let on: the gate ends with the sign-in it came from.
  if (!loaded || !tenant || !user || !signInStillCounts(user, loaded.gate.firstFactor.authTime)) {
    const t = mfaText(locale);
    send(reply, 400, messagePage(locale, t.expiredTitle, t.expiredBody, tenant ? brandOf(tenant) : {}));
    return undefined;
  }
  const v: MfaView = { locale, brand: brandOf(tenant), csrfToken: reply.generateCsrf(), account: user.mail ?? user.userPrincipalName };
  return { request, reply, loaded, tenant, user, v };
}

/** A second factor was proven: the gate opens, and this browser remembers it for the tenant's next sign-ins. */
export async function proven(ctx: AppContext, g: InGate, amr: string[]): Promise<void> {
  const at = ctx.clock.now();
  g.loaded.gate.done = { amr, at };
  delete g.loaded.gate.webauthnChallenge;
  delete g.loaded.gate.pendingTotp;
  await saveGate(ctx, g.loaded);
  await rememberSecondFactor(ctx, g.request, g.reply, { tenantId: g.tenant.id, userId: g.user.id, amr, at });
}

/** On to where the gate continues: the sign-in's interaction (which finishes it), or a URL. */
export async function goOn(ctx: AppContext, g: InGate): Promise<FastifyReply> {
  const to = g.loaded.gate.continueTo;
  if (to.kind === 'interaction') return g.reply.redirect(`/${g.tenant.id}/login/${to.uid}/mfa`, 303);
  await endGate(ctx, g.reply, g.loaded);
  return g.reply.redirect(to.url, 303);
}

/** "User registered security info" (or deleted), as Entra's audit log names it. */
export async function auditSecurityInfo(
  ctx: AppContext,
  g: Pick<InGate, 'request' | 'tenant' | 'user'>,
  activity: 'registered' | 'deleted',
  methodName: string,
): Promise<void> {
  const { user } = g;
  await recordAudit(ctx.db.kysely, {
    tenantId: g.tenant.id,
    activity: activity === 'registered' ? activities.userRegisteredSecurityInfo : activities.userDeletedSecurityInfo,
    category: 'UserManagement',
    operationType: activity === 'registered' ? 'Add' : 'Delete',
    result: 'success',
    actor: { kind: 'user', id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName, mail: user.mail, ipAddress: g.request.ip },
    targets: [{ id: user.id, type: 'User', displayName: user.displayName, userPrincipalName: user.userPrincipalName }],
    details: { method: methodName },
    correlationId: newId(),
    at: ctx.clock.now(),
  });
}

/**
 * How a page answers a refused code or passkey: 429 with Retry-After and how long to wait when the person's
 * attempts are used up, otherwise 400 and `wrong`.
 */
export function refusal(
  reply: FastifyReply,
  verdict: { reason: string; retryAfterMs?: number },
  locale: Locale,
  wrong: string,
): { status: number; error: string } {
  if (verdict.reason !== 'locked') return { status: 400, error: wrong };
  const ms = verdict.retryAfterMs ?? 60_000;
  reply.header('retry-after', String(Math.ceil(ms / 1000)));
  return { status: 429, error: mfaText(locale).tooManyAttempts(Math.max(1, Math.ceil(ms / 60_000))) };
}
