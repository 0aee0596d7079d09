/**
 * The second factor of a tenant's sign-in. Every way a sign-in ends well (a member's password, a new
 * password, single sign-on, a guest handed back from the guest pages) goes through `concludeSignIn`, so
 * no path skips it: the kit decides (web/kit/mfa-gate.ts) whether Conditional Access asks for MFA and
 * whether it is satisfied; if not, the MFA pages (web/mfa/) register or check a method and come back to
 * `GET /{tenantId}/login/{uid}/mfa`, which finishes the interaction only for the gate's own interaction,
 * person and tenant, once the gate says the second factor was proven. Terms of use come last, once the
 * sign-in is complete (as Entra asks for MFA first): the terms pages (web/terms/) come back to
 * `GET /{tenantId}/login/{uid}/terms`, which finishes the sign-in their gate carries.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkAppAssignment } from '../../directory/app-assignments.js';
import { logSignIn, type SignInAttempt } from '../../directory/sign-in-log.js';
import { findUser } from '../../directory/users.js';
import { combinedAmr } from '../../mfa/index.js';
import type { AppContext } from '../../platform/context.js';
import { type BrowserSession, signInStillCounts } from '../kit/browser-session.js';
import { endGate, type FirstFactor, gateFor, loadGate, secondFactorStep } from '../kit/mfa-gate.js';
import { endTermsGate, loadTermsGate, openTermsGate, owesTerms } from '../kit/terms-gate.js';
import { refuseUnassigned } from './assignment-refusal.js';

type LoginResult = { login: { accountId: string; amr: string[]; ts: number } };

/**
 * A return that answered the request. The reply is wrapped: a Fastify reply is thenable, so a function
 * that resolved to one would hand its caller `undefined` (the response's end) instead.
 */
export interface Answered {
  answer: Promise<FastifyReply>;
}

export interface SignInEnd {
  tenantId: string;
  uid: string;
  clientId: string | null;
  finish: (result: LoginResult) => Promise<FastifyReply>;
}

export async function concludeSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  end: SignInEnd,
  who: { userId: string; amr: string[]; authTime: number; homeIdentity?: { issuer: string; subject: string } },
  session?: BrowserSession,
): Promise<FastifyReply> {
  const first: FirstFactor = {
    tenantId: end.tenantId,
    userId: who.userId,
    appId: end.clientId,
    amr: who.amr,
    authTime: who.authTime,
    ...(who.homeIdentity ? { homeIdentity: who.homeIdentity } : {}),
  };
  // An app that requires assignment admits only assigned people (AADSTS50105), before any second factor.
  const refuse = await unassignedRefusal(ctx, request, reply, end, who.userId, who.amr);
  if (refuse) return refuse();
  const decision = await secondFactorStep(ctx, request, first, session);
  if (decision.kind === 'gate') return gateFor(ctx, request, reply, first, decision, { kind: 'interaction', uid: end.uid });
  return finishAfterTerms(
    ctx,
    request,
    reply,
    end,
    { login: { accountId: who.userId, amr: decision.amr, ts: decision.authTime } },
    who.authTime,
    decision.success,
  );
}

/**
 * The last step of a complete sign-in (second factor included): the terms of use the person owes an answer
 * to (web/kit/terms-gate.ts) first, on the terms pages, which come back to `returnFromTerms`; else finished.
 */
async function finishAfterTerms(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  end: SignInEnd,
  result: LoginResult,
  firstFactorAt: number,
  success: SignInAttempt | undefined,
): Promise<FastifyReply> {
  const { accountId, amr, ts } = result.login;
  if (!(await owesTerms(ctx, end.tenantId, accountId))) return finishIfAssigned(ctx, request, reply, end, result, success);
  const signIn = { amr, authTime: ts, firstFactorAt, ...(success ? { success } : {}) };
  return openTermsGate(ctx, request, reply, { tenantId: end.tenantId, userId: accountId, uid: end.uid, appId: end.clientId, signIn });
}

/**
 * Back from the MFA pages: the gate must be this interaction's and done. Anything else (no gate, another
 * interaction's, not done yet) is answered undefined, and the caller shows the sign-in page again.
 */
export async function returnFromGate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, end: SignInEnd): Promise<Answered | undefined> {
  const loaded = await loadGate(ctx, request);
  const gate = loaded?.gate;
  if (!loaded || !gate || gate.tenantId !== end.tenantId || gate.continueTo.kind !== 'interaction' || gate.continueTo.uid !== end.uid || !gate.done)
    return undefined;
  await endGate(ctx, reply, loaded);
  // The person's sign-ins ended (a revocation, a new password, a disable) after the first factor: no token.
  if (!signInStillCounts(await findUser(ctx.db.kysely, gate.tenantId, gate.userId), gate.firstFactor.authTime)) return undefined;
  const amr = combinedAmr(gate.firstFactor.amr, gate.done.amr);
  const success: SignInAttempt = {
    tenantId: gate.tenantId,
    userId: gate.userId,
    appId: gate.appId,
    ipAddress: request.ip,
    errorCode: 0,
    amr,
    appliedConditionalAccessPolicies: gate.policies.enforced,
    homeTenantId: gate.homeTenantId ?? null,
  };
  // auth_time: when the sign-in was completed, by the second factor just now. Then the terms of use, if owed.
  const ts = Math.max(gate.firstFactor.authTime, Math.floor(gate.done.at / 1000));
  return { answer: finishAfterTerms(ctx, request, reply, end, { login: { accountId: gate.userId, amr, ts } }, gate.firstFactor.authTime, success) };
}

/**
 * Back from the terms pages (web/terms/): the terms gate must be this interaction's and done. The sign-in
 * the gate carries (its second factor proven before the terms were shown) is finished, unless the person's
 * sign-ins ended meanwhile. Anything else is answered undefined, and the caller shows an "expired" page.
 */
export async function returnFromTerms(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, end: SignInEnd): Promise<Answered | undefined> {
  const loaded = await loadTermsGate(ctx, request);
  const gate = loaded?.gate;
  if (!loaded || !gate || gate.tenantId !== end.tenantId || gate.uid !== end.uid || !gate.done) return undefined;
  await endTermsGate(ctx, reply, loaded);
  if (!signInStillCounts(await findUser(ctx.db.kysely, gate.tenantId, gate.userId), gate.signIn.firstFactorAt)) return undefined;
  // Through finishAfterTerms again: a version published while the person was answering is asked for too.
  const result = { login: { accountId: gate.userId, amr: gate.signIn.amr, ts: gate.signIn.authTime } };
  return { answer: finishAfterTerms(ctx, request, reply, end, result, gate.signIn.firstFactorAt, gate.signIn.success) };
}

/**
 * The AADSTS50105 refusal to show when the app requires assignment and the person has none; undefined when
 * admitted. (A function that shows it, not the reply itself: a Fastify reply is thenable, so awaiting one
 * as a value would wait for the response instead.)
 */
async function unassignedRefusal(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, end: SignInEnd, userId: string, amr: string[]) {
  if (!end.clientId) return undefined;
  const assignment = await checkAppAssignment(ctx.db.kysely, end.tenantId, end.clientId, userId);
  if (assignment.allowed) return undefined;
  return () => refuseUnassigned(ctx, request, reply, { tenantId: end.tenantId, uid: end.uid, userId, amr }, assignment);
}

/**
 * The code is handed out only to someone still assigned: an assignment removed while the person was on the
 * MFA or terms pages is refused here, not one access token later.
 */
async function finishIfAssigned(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  end: SignInEnd,
  result: LoginResult,
  success: SignInAttempt | undefined,
): Promise<FastifyReply> {
  const refuse = await unassignedRefusal(ctx, request, reply, end, result.login.accountId, result.login.amr);
  if (refuse) return refuse();
  // The success is logged (and signInActivity's last successful sign-in moves) only once the app is sent its code.
  const finished = end.finish(result);
  if (success)
    finished.then(
      () => logSignIn(ctx, success),
      () => undefined, // the caller hears of the failure; nothing to log as a success
    );
  return finished;
}
