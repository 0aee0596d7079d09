/**
 * A guest flow: one person, in one browser, on the way from an invitation link (or a tenant's sign-in
 * page) through their home identity and the consent page to the organization's app. Its state lives in
 * `guest_flows` (any process serves any step); the browser holds a random id in a cookie, the database
 * only that id's SHA-256. A flow lasts an hour; starting a new one replaces the browser's old one.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { randomToken, sha256 } from '../../platform/ids.js';
import type { PendingAuthorization } from '../../redemption/external-providers.js';
import type { BoundIdentity, HomeRoute } from '../../redemption/home-realm.js';

export const FLOW_TTL_MS = 60 * 60_000;

/** What a person proved, in the words of a guest's `identities`. */
export interface ProvenIdentity {
  issuer: string;
  subject: string;
  /** The address the identity vouches for (lower-cased). */
  email: string;
  displayName: string | null;
  amr: string[];
  /** Epoch seconds. */
  authTime: number;
}

export interface GuestFlow {
  /**
   * redeem: an invitation link not yet redeemed; return: the link of a guest who already redeemed;
   * signin: a person who typed their address on a tenant's sign-in page (an app's authorize request).
   */
  purpose: 'redeem' | 'return' | 'signin';
  tenantId: string;
  /** The invited or typed address, as given (its lower-case form is what is compared). */
  address: string;
  invitationId?: string;
  ticketHash?: string;
  /** The OpenID provider interaction to resume (signin). */
  interactionUid?: string;
  /** The invitation's messageLanguage, ahead of Accept-Language. */
  language?: string | null;
  route: HomeRoute;
  /** The accepted guest's identity, which only may sign in (return, or signin of a redeemed guest). */
  bound?: BoundIdentity;
  /** Set once the person proved an identity. */
  proven?: ProvenIdentity;
  /** Ignore what this browser proved before (the person chose "use another account"). */
  freshSignIn?: boolean;
  passcodeSent?: boolean;
  /** Personal-account sign-up: the address was proven with a code; the account is not created yet. */
  signUpVerified?: boolean;
  external?: PendingAuthorization & { providerId: string };
  /** signin: the pending guest this person may redeem (shown the consent page). */
  guestId?: string;
  /** signin: how the flow ended, for the hand-back to the tenant's OpenID provider. */
  outcome?: { guestId: string } | 'cancelled';
}

export interface LoadedFlow {
  idHash: string;
  flow: GuestFlow;
}

export function flowCookieName(ctx: AppContext): string {
  return ctx.config.publicUrl.startsWith('https:') ? '__Host-foyer_guest' : 'foyer_guest';
}

export async function startFlow(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, flow: GuestFlow): Promise<LoadedFlow> {
  const previous = request.cookies[flowCookieName(ctx)];
  const id = randomToken(32);
  const idHash = sha256(id);
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
    if (previous && previous.length <= 100) await trx.deleteFrom('guest_flows').where('id_hash', '=', sha256(previous)).execute();
    await trx
      .insertInto('guest_flows')
      .values({ id_hash: idHash, payload: JSON.stringify(flow), created_at: now, expires_at: now + FLOW_TTL_MS })
      .execute();
  });
  reply.setCookie(flowCookieName(ctx), id, {
    path: '/',
    httpOnly: true,
    // lax: the external provider's callback is a top-level GET navigation from another site.
    sameSite: 'lax',
    secure: ctx.config.publicUrl.startsWith('https:'),
    maxAge: FLOW_TTL_MS / 1000,
  });
  return { idHash, flow };
}

export async function loadFlow(ctx: AppContext, request: FastifyRequest): Promise<LoadedFlow | undefined> {
  const id = request.cookies[flowCookieName(ctx)];
  if (!id || id.length > 100) return undefined;
  const idHash = sha256(id);
  const row = await ctx.db.kysely.selectFrom('guest_flows').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  if (!row || row.expires_at <= ctx.clock.now()) return undefined;
  return { idHash, flow: JSON.parse(row.payload) as GuestFlow };
}

export async function saveFlow(ctx: AppContext, loaded: LoadedFlow): Promise<void> {
  await ctx.db.transaction((trx) =>
    trx
      .updateTable('guest_flows')
      .set({ payload: JSON.stringify(loaded.flow) })
      .where('id_hash', '=', loaded.idHash)
      .execute(),
  );
}

export async function endFlow(ctx: AppContext, reply: FastifyReply, loaded: LoadedFlow): Promise<void> {
  await ctx.db.transaction((trx) => trx.deleteFrom('guest_flows').where('id_hash', '=', loaded.idHash).execute());
  reply.clearCookie(flowCookieName(ctx), { path: '/' });
}
