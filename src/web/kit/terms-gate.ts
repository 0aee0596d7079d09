/**
 * The terms of use step of a sign-in, and what the two page sets that show terms share. At sign-in,
 * `concludeSignIn` (web/sign-in/second-factor.ts) asks `owesTerms` once the sign-in is complete, second
 * factor included (as Entra asks for MFA before its terms of use: a stolen password alone never reaches
 * the terms, nor answers them in the victim's name). When the person owes an answer, it opens a gate (a
 * cookie-backed store, `terms_gates`, a quarter of an hour) bound to the tenant, person and interaction,
 * carrying the completed sign-in, and sends the browser to the terms pages (web/terms/). Once every
 * agreement due is accepted, those pages send it back to `/{tenantId}/login/{uid}/terms`, which finishes
 * the sign-in the gate carries. At redemption the guest pages show the same page within the guest flow
 * (web/guest/terms-step.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignInAttempt } from '../../directory/sign-in-log.js';
import { findUser, type User } from '../../directory/users.js';
import { type Agreement, agreementsDue, chooseFile, firstAgreementDue, recordAnswer } from '../../governance/index.js';
import type { AppContext } from '../../platform/context.js';
import { CookieStore } from './cookie-store.js';
import { type AnswerCheck, checkAnswer, type PostedAnswer, type TermsToShow } from './terms-view.js';

export const TERMS_GATE_TTL_MS = 15 * 60_000;

/** The terms pages' address: GET shows the first agreement the gate's person owes an answer to. */
export const TERMS_PATH = '/terms';

export interface TermsGate {
  tenantId: string;
  userId: string;
  /** The OpenID provider interaction the sign-in finishes. */
  uid: string;
  /** The app being signed in to (its client id), for the sign-in log. */
  appId: string | null;
  /**
   * The sign-in as it finishes once the terms are accepted: its amr and auth_time (epoch seconds), second
   * factor included, when its first factor was proven (a revocation after it ends the sign-in), and its
   * sign-in log entry, written only if it finishes.
   */
  signIn: { amr: string[]; authTime: number; firstFactorAt: number; success?: SignInAttempt };
  /** Set once every agreement due was accepted. */
  done?: boolean;
}

export interface LoadedTermsGate {
  idHash: string;
  gate: TermsGate;
}

const gates = new CookieStore<TermsGate>('terms_gates', 'foyer_terms');

/** Whether this person (of this tenant) must answer terms of use before going on; never an unknown person. */
export async function owesTerms(ctx: AppContext, tenantId: string, userId: string): Promise<boolean> {
  const user = await findUser(ctx.db.kysely, tenantId, userId);
  return user !== undefined && (await agreementsDue(ctx, tenantId, user)).length > 0;
}

/** The first agreement this person must answer, with its files, to show; undefined: nothing is owed. */
export async function firstTermsOwed(ctx: AppContext, tenantId: string, userId: string): Promise<Agreement | undefined> {
  const user = await findUser(ctx.db.kysely, tenantId, userId);
  return user ? (await firstAgreementDue(ctx, tenantId, user)).first : undefined;
}

export async function openTermsGate(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, gate: TermsGate): Promise<FastifyReply> {
  await gates.create(ctx, request, reply, gate, TERMS_GATE_TTL_MS);
  return reply.redirect(TERMS_PATH, 303);
}

export async function loadTermsGate(ctx: AppContext, request: FastifyRequest): Promise<LoadedTermsGate | undefined> {
  const record = await gates.read(ctx, request);
  return record && { idHash: record.idHash, gate: record.payload };
}

export function saveTermsGate(ctx: AppContext, loaded: LoadedTermsGate): Promise<void> {
  return gates.save(ctx, loaded.idHash, loaded.gate);
}

export function endTermsGate(ctx: AppContext, reply: FastifyReply, loaded: LoadedTermsGate): Promise<void> {
  return gates.end(ctx, reply, loaded.idHash);
}

export function purgeExpiredTermsGates(ctx: AppContext): Promise<void> {
  return gates.purgeExpired(ctx);
}

/** An agreement as a browser is shown it: the language file its Accept-Language picks, else the default. */
export function termsToShow(a: Agreement, acceptLanguage: string | undefined): TermsToShow {
  const file = chooseFile(a.files, acceptLanguage);
  return {
    tenantId: a.tenantId,
    agreementId: a.id,
    displayName: a.displayName,
    version: a.version,
    mustView: a.isViewingBeforeAcceptanceRequired,
    file: { id: file.id, language: file.language, kind: file.kind, data: file.data, displayName: file.displayName },
  };
}

/**
 * A posted answer to the first agreement the person owes: checked against the terms as they stand (a
 * stale form, from before a new version, answers nothing) and recorded. `left`: how many agreements are
 * still owed after it.
 */
export async function answerOwedTerms(
  ctx: AppContext,
  request: FastifyRequest,
  tenantId: string,
  user: User,
  posted: PostedAnswer,
): Promise<{ check: AnswerCheck; left: number }> {
  const { first, due } = await firstAgreementDue(ctx, tenantId, user);
  const check = checkAnswer(posted, first && termsToShow(first, request.headers['accept-language']), first?.files.map((f) => f.id) ?? []);
  if (check.kind !== 'answer') return { check, left: due };
  await recordAnswer(ctx, { tenantId, agreement: first!, fileId: posted.fileId, user, state: check.state, ipAddress: request.ip });
  return { check, left: check.state === 'accepted' ? due - 1 : due };
}
