/**
 * The second factor of a tenant's sign-in. Every way a sign-in ends well (a member's password, a new
 * password, single sign-on, a guest handed back from the guest pages) goes through `concludeSignIn`, so
 * no path skips it: the kit decides (web/kit/mfa-gate.ts) whether Conditional Access asks for MFA and
 * whether it is satisfied; if not, the MFA pages (web/mfa/) register or check a method and come back to
 * `GET /{tenantId}/login/{uid}/mfa`, which finishes the interaction only for the gate's own interaction,
 * person and tenant, once the gate says the second factor was proven.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findUser } from '../../directory/users.js';
import { combinedAmr, recordSignIn } from '../../mfa/index.js';
import type { AppContext } from '../../platform/context.js';
import { type BrowserSession, signInStillCounts } from '../kit/browser-session.js';
import { endGate, type FirstFactor, gateFor, loadGate, secondFactorStep } from '../kit/mfa-gate.js';

type LoginResult = { login: { accountId: string; amr: string[]; ts: number } };

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
  const decision = await secondFactorStep(ctx, request, first, session);
  if (decision.kind === 'gate') return gateFor(ctx, request, reply, first, decision, { kind: 'interaction', uid: end.uid });
  return end.finish({ login: { accountId: who.userId, amr: decision.amr, ts: decision.authTime } });
}

/**
 * Back from the MFA pages: the gate must be this interaction's and done. Anything else (no gate, another
 * interaction's, not done yet) is answered undefined, and the caller shows the sign-in page again.
 */
export async function returnFromGate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, end: SignInEnd): Promise<FastifyReply | undefined> {
  const loaded = await loadGate(ctx, request);
  const gate = loaded?.gate;
  if (!loaded || !gate || gate.tenantId !== end.tenantId || gate.continueTo.kind !== 'interaction' || gate.continueTo.uid !== end.uid || !gate.done)
    return undefined;
  await endGate(ctx, reply, loaded);
  // The person's sign-ins ended (a revocation, a new password, a disable) after the first factor: no token.
  if (!signInStillCounts(await findUser(ctx.db.kysely, gate.tenantId, gate.userId), gate.firstFactor.authTime)) return undefined;
  const amr = combinedAmr(gate.firstFactor.amr, gate.done.amr);
  await recordSignIn(ctx.db.kysely, {
    tenantId: gate.tenantId,
    userId: gate.userId,
    appId: gate.appId,
    errorCode: 0,
    failureReason: null,
    amr,
    applied: gate.policies.enforced,
    now: ctx.clock.now(),
  });
  // auth_time: when the sign-in was completed, by the second factor just now.
  return end.finish({ login: { accountId: gate.userId, amr, ts: Math.max(gate.firstFactor.authTime, Math.floor(gate.done.at / 1000)) } });
}
