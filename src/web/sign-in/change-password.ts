/**
 * The "Change your password" step of a tenant's sign-in (Graph's `forceChangePasswordNextSignIn`): after
 * the member's current password was checked, and before the provider hears of the sign-in, the member
 * chooses a new password, twice. The route is in sign-in.ts (`POST /{tenantId}/login/{uid}/password-change`);
 * this file holds the page and the proof that carries the checked password from one request to the next.
 *
 * The proof is a signed cookie (the instance's cookie keys, as the CSRF cookie): tenant, interaction,
 * member, a digest of the password hash that was checked (directory/password-change.ts), and an expiry.
 * It needs no server record because it grants nothing by itself: it is honoured only in the same
 * interaction of the same provider (whose own cookie binds it to this browser), only while that password
 * is still the member's and the change still owed, and only to change the password. A member who leaves
 * the page gets no token; the next sign-in asks for the password, then for the change, again. That is why it
 * is the one piece of page state outside the kit's CookieStore (cookie-store.ts says so too): a record
 * would protect nothing more. Cancelling the sign-in clears it.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { html } from '../../platform/html.js';
import { page, signInPageText } from '../kit/layout.js';
import { changePasswordText } from './change-password-texts.js';
import { cancelForm, type FormContext } from './sign-in-views.js';

/** Long enough to choose and type a password twice; short, because it stands for a password just typed. */
export const PASSWORD_PROOF_TTL_MS = 15 * 60 * 1000;

export interface PasswordProof {
  tenantId: string;
  /** The provider's interaction the password was checked in. */
  uid: string;
  userId: string;
  /** The address the member typed, shown on the page. */
  email: string;
  /** passwordProofTag() of the hash the password was checked against. */
  tag: string;
  expiresAt: number;
}

const cookieName = (ctx: AppContext) => (ctx.config.publicUrl.startsWith('https:') ? '__Host-foyer_password_change' : 'foyer_password_change');

export function rememberPasswordProof(ctx: AppContext, reply: FastifyReply, proof: Omit<PasswordProof, 'expiresAt'>): void {
  const value = Buffer.from(JSON.stringify({ ...proof, expiresAt: ctx.clock.now() + PASSWORD_PROOF_TTL_MS })).toString('base64url');
  reply.setCookie(cookieName(ctx), value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.publicUrl.startsWith('https:'),
    signed: true,
    maxAge: PASSWORD_PROOF_TTL_MS / 1000,
  });
}

/** The proof this browser holds for this interaction, unless missing, forged, expired or for another one. */
export function readPasswordProof(ctx: AppContext, request: FastifyRequest, tenantId: string, uid: string): PasswordProof | undefined {
  const raw = request.cookies[cookieName(ctx)];
  if (!raw || raw.length > 2048) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return undefined;
  let proof: PasswordProof;
  try {
    proof = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as PasswordProof;
  } catch {
    return undefined;
  }
  if (proof.tenantId !== tenantId || proof.uid !== uid || !(proof.expiresAt > ctx.clock.now())) return undefined;
  if (typeof proof.userId !== 'string' || typeof proof.tag !== 'string' || typeof proof.email !== 'string') return undefined;
  return proof;
}

export function forgetPasswordProof(ctx: AppContext, reply: FastifyReply): void {
  reply.clearCookie(cookieName(ctx), { path: '/', secure: ctx.config.publicUrl.startsWith('https:') });
}

/** The page: the account, the new password twice, the policy in a hint; errors announced (role="alert"). */
export function changePasswordPage(f: FormContext, opts: { email: string; error?: string }): string {
  const t = changePasswordText(f.locale);
  const describedBy = `new-password-hint${opts.error ? ' password-error' : ''}`;
  const invalid = opts.error ? html` aria-invalid="true"` : '';
  return page(
    f.locale,
    t.title,
    html`<h1>${t.title}</h1>
<p class="identity">${opts.email}</p>
${signInPageText(f.brand)}
<p>${t.intro}</p>
${opts.error ? html`<p class="error" role="alert" id="password-error">${opts.error}</p>` : ''}
<form method="post" action="${f.action}">
<input type="hidden" name="_csrf" value="${f.csrfToken}">
<input type="text" name="username" value="${opts.email}" autocomplete="username" hidden>
<label for="new-password">${t.newPasswordLabel}</label>
<input id="new-password" name="newPassword" type="password" autocomplete="new-password" autofocus required aria-describedby="${describedBy}"${invalid}>
<p class="hint" id="new-password-hint">${t.newPasswordHint}</p>
<label for="confirm-password">${t.confirmLabel}</label>
<input id="confirm-password" name="confirmPassword" type="password" autocomplete="new-password" required${invalid}>
<div class="actions"><button type="submit" class="primary">${t.submit}</button></div>
</form>
<div class="actions">${cancelForm(f)}</div>`,
    f.brand,
  );
}
