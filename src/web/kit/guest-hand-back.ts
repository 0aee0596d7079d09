/**
 * The contract between a tenant's sign-in page (web/sign-in/) and the guest pages (web/guest/): the
 * sign-in page starts a guest flow for an address that is not one of the tenant's members, the guest
 * pages prove and match the guest, and the sign-in page takes the outcome back to the tenant's OpenID
 * provider at `/{tenantId}/login/{uid}/guest`. It lives in the kit so neither page set imports the other.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findAcceptedGuestByMail, findGuestByIdentity } from '../../directory/guests.js';
import type { Tenant } from '../../directory/tenants.js';
import { findUser } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import type { Locale } from '../../platform/locale.js';
import { boundRoute, discoverHome } from '../../redemption/index.js';
import { type BrowserSession, provenSinceSignInsEnded, signInStillCounts } from './browser-session.js';
import { entryStillValid } from './earlier-sign-ins.js';
import { endFlow, GUEST_FLOW_PATH, loadFlow, saveFlow, startFlow } from './guest-flows.js';
import { redemptionText } from './guest-texts.js';

/** Where a guest flow started from a sign-in page hands back to it. */
export function handBackPath(tenantId: string, interactionUid: string | undefined): string {
  return `/${tenantId}/login/${interactionUid}/guest`;
}

/**
 * Single sign-on for guests: a session entry for an identity bound to an accepted, enabled guest of
 * `tenantId` signs that guest in. Used by the tenant's sign-in page before it asks for anything.
 */
export async function guestFromBrowserSession(
  ctx: AppContext,
  session: BrowserSession | undefined,
  tenantId: string,
  loginHint: string | undefined,
  /** Only this guest (a sign-in the OpenID provider remembers, checked again). */
  onlyGuestId?: string,
) {
  for (const entry of session?.accounts ?? []) {
    if (!entry.issuer || !entry.subject) continue;
    if (loginHint && !onlyGuestId && entry.email?.toLowerCase() !== loginHint.toLowerCase()) continue;
    const guest = await findGuestByIdentity(ctx.db.kysely, tenantId, entry.issuer, entry.subject);
    if (onlyGuestId && guest?.id !== onlyGuestId) continue;
    if (guest?.externalUserState !== 'Accepted' || !signInStillCounts(guest, entry.authTime)) continue;
    if (!(await entryStillValid(ctx, entry))) continue;
    return { guest, entry };
  }
  return undefined;
}

/** Called by a tenant's sign-in page when the typed address is not one of its members. */
export async function startGuestSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  s: { tenantId: string; uid: string; address: string; language: string | null; freshSignIn: boolean },
): Promise<FastifyReply> {
  // A guest who already redeemed signs in with the identity bound then, whatever the address's home is today.
  const acceptedId = await findAcceptedGuestByMail(ctx.db.kysely, s.tenantId, s.address.toLowerCase());
  const { route, bound } = acceptedId
    ? await boundRoute(ctx, s.tenantId, acceptedId)
    : { route: await discoverHome(ctx, s.tenantId, s.address, false), bound: undefined };
  await startFlow(ctx, request, reply, {
    purpose: 'signin',
    tenantId: s.tenantId,
    address: s.address,
    interactionUid: s.uid,
    language: s.language,
    // No way home (passcodes off, nothing else found) reads like the passcode page, whose code never
    // comes: a sign-in page must not tell guests from strangers.
    route: route.kind === 'none' ? { kind: 'passcode' } : route,
    // The app asked for a fresh sign-in (prompt=login, max_age): what this browser proved before does not count.
    ...(s.freshSignIn ? { freshSignIn: true } : {}),
    ...(bound ? { bound } : {}),
  });
  return reply.redirect(GUEST_FLOW_PATH, 303);
}

/** How a guest flow started from a tenant's sign-in page ended, for its hand-back to the OpenID provider. */
export type GuestSignInResult =
  | { kind: 'cancelled' }
  /** Signed in as the guest; `issuer` and `subject` name the home identity proven. */
  | { kind: 'signed-in'; guestId: string; amr: string[]; authTime: number; issuer: string; subject: string }
  | { kind: 'refused'; page: { title: string; body: string } }
  /** The proof predates the guest's sign-ins ending: the flow goes on at `path` and asks for a fresh one. */
  | { kind: 'prove-again'; path: string };

/**
 * Ends this browser's guest flow for the interaction `uid` of `tenant` and says how it ended; undefined
 * when the browser has no finished flow for that interaction.
 */
export async function takeGuestSignIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  uid: string,
  locale: Locale,
): Promise<GuestSignInResult | undefined> {
  const loaded = await loadFlow(ctx, request);
  const flow = loaded?.flow;
  if (!loaded || !flow || flow.purpose !== 'signin' || flow.tenantId !== tenant.id || flow.interactionUid !== uid || !flow.outcome) return undefined;
  const guest = flow.outcome === 'cancelled' ? undefined : await findUser(ctx.db.kysely, tenant.id, flow.outcome.guestId);
  if (guest?.accountEnabled && flow.proven && !provenSinceSignInsEnded(guest, flow.proven.authTime)) {
    // The guest's sign-ins ended after this proof was made (a revoke that came while the flow ran):
    // the same flow asks for a fresh proof, as if the person had chosen "use another account".
    const { proven: _proven, external: _external, outcome: _outcome, guestId: _guestId, ...rest } = flow;
    loaded.flow = { ...rest, freshSignIn: true, passcodeSent: false };
    await saveFlow(ctx, loaded);
    return { kind: 'prove-again', path: GUEST_FLOW_PATH };
  }
  await endFlow(ctx, reply, loaded);
  if (flow.outcome === 'cancelled') return { kind: 'cancelled' };
  if (!guest?.accountEnabled || !flow.proven) {
    const t = redemptionText(locale);
    return { kind: 'refused', page: { title: t.disabledTitle, body: t.disabledBody(tenant.displayName) } };
  }
  return {
    kind: 'signed-in',
    guestId: guest.id,
    amr: flow.proven.amr,
    authTime: flow.proven.authTime,
    issuer: flow.proven.issuer,
    subject: flow.proven.subject,
  };
}
