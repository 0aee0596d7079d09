/**
 * What the directory core tells the features that keep state of their own about its users and tenants.
 * The core publishes; the features subscribe where they are set up (`subscribeOidcToDirectory`,
 * `subscribeInvitationsToDirectory`), so the core never imports them. Listeners are awaited and receive
 * the publisher's transaction: their writes commit or roll back with the change that caused them.
 */
import type { AppContext } from '../platform/context.js';
import type { Executor } from '../platform/storage/database.js';

/** An account of a tenant: a member or guest (user id), as OpenID sessions and grants name it. */
export interface Account {
  tenantId: string;
  userId: string;
}

export interface DirectoryEvents {
  /**
   * Sign-ins made before now no longer count for `account` (revokeSignInSessions, a new password, a
   * disabled or deleted account, a reset redemption), nor for `homedGuests`: the guests elsewhere on this
   * instance whose home identity this account is.
   */
  'user.signInsRevoked': { tx: Executor; account: Account; homedGuests: Account[] };
  /** A user was deleted; `invited`: it was created by an invitation (a guest, or a member invited as one). */
  'user.deleted': { tx: Executor; account: Account; invited: boolean; now: number };
  /**
   * A deleted user was purged for good (inside the purge's transaction): what features keep of the person
   * outside the directory's tables (terms of use acceptances) goes with it.
   */
  'user.purged': { tx: Executor; account: Account };
  /**
   * A tenant's settings (name, branding, policies) changed: caches of them are stale. Published by the
   * API that changed them (graph's organization and policy routes, `GraphDeps.tenantChanged`).
   */
  'tenant.changed': { tenantId: string };
}

type Bus = Pick<AppContext, 'events'>;

/**
 * Events whose consequences are security: ending a person's sessions must not depend on remembering to
 * subscribe. A context whose features were not installed (`installFeatures`) fails loudly instead of
 * committing a disable or a password reset that leaves refresh tokens working.
 */
const MUST_BE_HEARD: ReadonlySet<keyof DirectoryEvents> = new Set(['user.signInsRevoked']);

export async function publishDirectoryEvent<K extends keyof DirectoryEvents>(ctx: Bus, name: K, event: DirectoryEvents[K]): Promise<void> {
  if (MUST_BE_HEARD.has(name) && !ctx.events.has(name)) {
    throw new Error(`nothing listens for '${name}': install the features on this context (installFeatures) before changing users`);
  }
  await ctx.events.publish(name, event);
}

export function onDirectoryEvent<K extends keyof DirectoryEvents>(ctx: Bus, name: K, listener: (event: DirectoryEvents[K]) => unknown): void {
  ctx.events.on(name, listener);
}
