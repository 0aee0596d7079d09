/**
 * The second-factor step of a sign-in or a redemption, shared by the page sets that need it: a tenant's
 * sign-in page (web/sign-in/) and the guest pages (web/guest/) ask `secondFactorStep` whether the person
 * may go on; when not, they open a gate (`openGate`) and send the browser to the MFA pages (web/mfa/),
 * which register or check a method and then continue where the gate says: back to the sign-in's
 * interaction (`/{tenantId}/login/{uid}/mfa`, which finishes it) or to a URL (the app an invitation lands
 * in). The gate is a cookie-backed store (`mfa_gates`), bound to one tenant, person and continuation, and
 * lasts a quarter of an hour.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tenantOfIssuer } from '../../directory/issuers.js';
import { logSignIn, type SignInAttempt } from '../../directory/sign-in-log.js';
import { findUser, type User } from '../../directory/users.js';
import {
  type AppliedPolicy,
  type AuthenticationMethod,
  appliedPolicies,
  combinedAmr,
  isMfaTrusted,
  listMethods,
  mfaStep,
  type PolicyOutcome,
  policyOutcomeFor,
} from '../../mfa/index.js';
import { addSignInCheck, type RememberedSignIn, type SignInUse } from '../../oidc/index.js';
import type { AppContext } from '../../platform/context.js';
import {
  type BrowserSession,
  readBrowserSession,
  readBrowserSessionCookie,
  type SecondFactorProof,
  secondFactorFor,
  sessionCookieName,
} from './browser-session.js';
import { CookieStore } from './cookie-store.js';
import { guestFromBrowserSession } from './guest-hand-back.js';

export const GATE_TTL_MS = 15 * 60_000;

/** The MFA pages' address: GET shows the gate's current step. */
export const MFA_PATH = '/mfa';

export type Continuation = { kind: 'interaction'; uid: string } | { kind: 'url'; url: string };

export interface MfaGate {
  tenantId: string;
  userId: string;
  continueTo: Continuation;
  /** The app being signed in to (the client id), for the sign-in record. */
  appId: string | null;
  /** How the first factor was proven, and when (epoch seconds). */
  firstFactor: { amr: string[]; authTime: number };
  /**
   * register: "More information required" (only while the person has no method); challenge: prove a
   * registered method; add: one more method, from the security-info page, while this browser's proof of
   * an existing method is recent (web/mfa/security-info-access.ts).
   */
  mode: 'register' | 'challenge' | 'add';
  /** The Conditional Access policies evaluated, for the sign-in record. */
  policies: { enforced: AppliedPolicy[] };
  /** A guest's home tenant when it is on this instance, for the sign-in record. */
  homeTenantId?: string;
  /** An authenticator app being registered: its secret, sealed, until the first code confirms it. */
  pendingTotp?: string;
  /** The WebAuthn challenge last handed to the browser. */
  webauthnChallenge?: string;
  /** Set once a second factor was proven here (its amr); the continuation is then open. */
  done?: { amr: string[]; at: number };
}

export interface LoadedGate {
  idHash: string;
  gate: MfaGate;
}

const gates = new CookieStore<MfaGate>('mfa_gates', 'foyer_mfa');

/** Opens a gate and sends the browser to the MFA pages: their start, or one of them (`/mfa/totp/register`). */
export async function openGate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, gate: MfaGate, path = MFA_PATH): Promise<FastifyReply> {
  await gates.create(ctx, request, reply, gate, GATE_TTL_MS);
  return reply.redirect(path.startsWith(`${MFA_PATH}/`) ? path : MFA_PATH, 303);
}

export async function loadGate(ctx: AppContext, request: FastifyRequest): Promise<LoadedGate | undefined> {
  const record = await gates.read(ctx, request);
  return record && { idHash: record.idHash, gate: record.payload };
}

export function saveGate(ctx: AppContext, loaded: LoadedGate): Promise<void> {
  return gates.save(ctx, loaded.idHash, loaded.gate);
}

export function endGate(ctx: AppContext, reply: FastifyReply, loaded: LoadedGate): Promise<void> {
  return gates.end(ctx, reply, loaded.idHash);
}

export function purgeExpiredGates(ctx: AppContext): Promise<void> {
  return gates.purgeExpired(ctx);
}

export interface FirstFactor {
  tenantId: string;
  userId: string;
  appId: string | null;
  amr: string[];
  /** Epoch seconds. */
  authTime: number;
  /**
   * A guest's home identity (issuer and subject, as their `identities` name it): when it is an account of
   * another tenant on this instance, that tenant's MFA may be trusted (`inboundTrust.isMfaAccepted`).
   */
  homeIdentity?: { issuer: string; subject: string };
}

export type SecondFactorDecision =
  /**
   * Go on: `amr` is what the ID token says, `authTime` its auth_time (epoch seconds: the later of the first
   * factor and a second factor that satisfied MFA). `success` is the sign-in log's entry for it, written
   * where the sign-in really ends (after the terms of use, when an app is handed a code), not here.
   */
  | { kind: 'go-on'; amr: string[]; authTime: number; success?: SignInAttempt }
  /** Open a gate in this mode (the interruption is logged as 50074; the success when the gate ends). */
  | { kind: 'gate'; mode: 'register' | 'challenge'; policies: { enforced: AppliedPolicy[] } };

/**
 * A second factor this browser proved for `user` that still counts: after the person's sign-ins last ended,
 * and made with a method the person still has (one registered before the proof): after an administrator's
 * reset and a new registration, a proof from before the reset proves nothing.
 */
export function proofThatCounts(browser: BrowserSession | undefined, user: User, methods: readonly AuthenticationMethod[]): SecondFactorProof | undefined {
  const proof = secondFactorFor(browser, user);
  return proof && methods.some((m) => m.createdAt <= proof.at) ? proof : undefined;
}

/**
 * When the guest's home tenant (another tenant on this instance) performed MFA for the home account in this
 * browser, if this tenant trusts that tenant's MFA (epoch ms); undefined otherwise.
 */
export async function trustedHomeMfaAt(
  ctx: AppContext,
  tenantId: string,
  browser: BrowserSession | undefined,
  home: FirstFactor['homeIdentity'],
): Promise<number | undefined> {
  const homeTenantId = home && tenantOfIssuer(ctx.config.publicUrl, home.issuer);
  if (!home || !homeTenantId || homeTenantId === tenantId) return undefined;
  if (!(await isMfaTrusted(ctx, tenantId, homeTenantId))) return undefined;
  const account = await findUser(ctx.db.kysely, homeTenantId, home.subject);
  if (!account?.accountEnabled) return undefined;
  return proofThatCounts(browser, account, await listMethods(ctx.db.kysely, homeTenantId, account.id))?.at;
}

/** The facts of a sign-in's second factor, gathered from their owners, and what mfa/mfa-step.ts decides. */
/** The Conditional Access outcome for a sign-in's person and app. */
function outcomeFor(ctx: AppContext, first: FirstFactor, user: User): Promise<PolicyOutcome> {
  return policyOutcomeFor(ctx, first.tenantId, { id: user.id, userType: user.userType, creationType: user.creationType }, first.appId ?? undefined);
}

async function secondFactorFacts(ctx: AppContext, first: FirstFactor, user: User, browser: BrowserSession | undefined, outcome: PolicyOutcome) {
  // No policy applies (the common case): no method or earlier proof to look up.
  if (!outcome.evaluated.some((e) => e.applies)) return { outcome, earlier: undefined, homeAt: undefined, step: { kind: 'not-required' } as const };
  const methods = await listMethods(ctx.db.kysely, first.tenantId, user.id);
  const earlier = proofThatCounts(browser, user, methods);
  const homeAt = outcome.requireMfa ? await trustedHomeMfaAt(ctx, first.tenantId, browser, first.homeIdentity) : undefined;
  const step = mfaStep({
    requireMfa: outcome.requireMfa,
    ...(outcome.signInFrequencySeconds !== undefined ? { signInFrequencySeconds: outcome.signInFrequencySeconds } : {}),
    methodCount: methods.length,
    ...(earlier ? { sessionMfaAt: earlier.at, sessionMfaAmr: earlier.amr } : {}),
    ...(homeAt !== undefined ? { trustedHomeMfaAt: homeAt } : {}),
    now: ctx.clock.now(),
  });
  return { outcome, earlier, homeAt, step };
}

/** Gathers the facts of a sign-in's second factor from their owners, and decides (mfa/mfa-step.ts). */
export async function secondFactorStep(ctx: AppContext, request: FastifyRequest, first: FirstFactor, session?: BrowserSession): Promise<SecondFactorDecision> {
  const db = ctx.db.kysely;
  const user = await findUser(db, first.tenantId, first.userId);
  const firstAmr = first.amr.filter((m) => m !== 'mfa');
  if (!user) return { kind: 'go-on', amr: firstAmr, authTime: first.authTime };
  const browser = session ?? (await readBrowserSession(ctx, request));
  const { outcome, earlier, homeAt, step } = await secondFactorFacts(ctx, first, user, browser, await outcomeFor(ctx, first, user));
  if (step.kind === 'register' || step.kind === 'challenge') {
    // Entra logs the interruption (50074) and, once the second factor is proven, the success.
    logSignIn(ctx, {
      tenantId: first.tenantId,
      userId: user.id,
      appId: first.appId,
      ipAddress: request.ip,
      errorCode: 50074,
      amr: firstAmr,
      appliedConditionalAccessPolicies: appliedPolicies(outcome, false),
      homeTenantId: tenantOfIssuer(ctx.config.publicUrl, first.homeIdentity?.issuer) ?? null,
    });
    return { kind: 'gate', mode: step.kind, policies: { enforced: appliedPolicies(outcome, true) } };
  }
  const mfaPerformed = step.kind === 'satisfied';
  const amr = mfaPerformed ? combinedAmr(firstAmr, step.amr) : firstAmr;
  const success: SignInAttempt = {
    tenantId: first.tenantId,
    userId: user.id,
    appId: first.appId,
    ipAddress: request.ip,
    errorCode: 0,
    amr,
    // A report-only policy asking for MFA succeeded if this browser had proven it anyway.
    appliedConditionalAccessPolicies: appliedPolicies(outcome, mfaPerformed || earlier !== undefined),
    homeTenantId: tenantOfIssuer(ctx.config.publicUrl, first.homeIdentity?.issuer) ?? null,
  };
  // auth_time: when the sign-in was completed, by the latest factor it used.
  const secondAt = step.kind === 'satisfied' ? (step.by === 'session' ? earlier?.at : homeAt) : undefined;
  const authTime = secondAt !== undefined ? Math.max(first.authTime, Math.floor(secondAt / 1000)) : first.authTime;
  return { kind: 'go-on', amr, authTime, success };
}

/**
 * The web kit's check of a sign-in the OpenID provider remembers, at an authorization request
 * (oidc/sign-in-checks.ts): the same facts as above, from this browser's session. The sign-in pages must see
 * the person again when a policy asks for MFA and the remembered sign-in had none, or when what satisfied
 * it no longer does (a method reset since, a partner's trust withdrawn, signInFrequency passed). A sign-in
 * that still does passes silently, so `prompt=none` keeps working.
 */
export async function rememberedSignInNeedsPages(ctx: AppContext, s: RememberedSignIn, use: SignInUse): Promise<boolean> {
  if (use !== 'authorize') return false;
  const user = await findUser(ctx.db.kysely, s.tenantId, s.accountId);
  if (!user) return false;
  const bare: FirstFactor = { tenantId: s.tenantId, userId: user.id, appId: s.clientId, amr: [...s.amr], authTime: s.authTime };
  const outcome = await outcomeFor(ctx, bare, user);
  // Nothing asks for MFA: nothing of the browser to read.
  if (!outcome.requireMfa) return false;
  if (!s.amr.includes('mfa')) return true;
  const browser = await readBrowserSessionCookie(ctx, s.cookie?.(sessionCookieName(ctx)));
  const guest = user.creationType === 'Invitation' ? await guestFromBrowserSession(ctx, browser, s.tenantId, undefined, user.id) : undefined;
  const entry = guest?.entry;
  const first: FirstFactor = {
    ...bare,
    ...(entry?.issuer && entry.subject ? { homeIdentity: { issuer: entry.issuer, subject: entry.subject } } : {}),
  };
  const { step } = await secondFactorFacts(ctx, first, user, browser, outcome);
  return step.kind !== 'satisfied';
}

/** The web kit's listener: installs that check on an app context. */
export function installRememberedSignInCheck(ctx: AppContext): void {
  addSignInCheck(ctx, (s, use) => rememberedSignInNeedsPages(ctx, s, use));
}

/** Opens the gate a decision asks for. */
export function gateFor(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  first: FirstFactor,
  decision: Extract<SecondFactorDecision, { kind: 'gate' }>,
  continueTo: Continuation,
): Promise<FastifyReply> {
  return openGate(ctx, request, reply, {
    tenantId: first.tenantId,
    userId: first.userId,
    continueTo,
    appId: first.appId,
    firstFactor: { amr: first.amr.filter((m) => m !== 'mfa'), authTime: first.authTime },
    mode: decision.mode,
    policies: decision.policies,
    ...homeTenantOf(ctx, first),
  });
}

function homeTenantOf(ctx: AppContext, first: FirstFactor): { homeTenantId?: string } {
  const homeTenantId = tenantOfIssuer(ctx.config.publicUrl, first.homeIdentity?.issuer);
  return homeTenantId ? { homeTenantId } : {};
}
