/**
 * The OpenID provider's part in what the directory decides: when a person's sign-ins are revoked
 * (revokeSignInSessions, a new password, a disabled or deleted account, a reset redemption), their
 * sessions, grants and refresh tokens go too, in the same transaction, so no refresh can slip in between.
 * Their access tokens are not stored: access-tokens.ts refuses them by `signInSessionsValidFromDateTime`.
 */
import { onDirectoryEvent } from '../directory/events.js';
import { type AppContext, service } from '../platform/context.js';
import { revokeAccountArtefacts } from './adapter.js';

const SUBSCRIBED = Symbol('oidc subscribed to the directory');

/** Subscribes this app's OpenID feature to the directory's events; once per app, however often called. */
export function subscribeOidcToDirectory(ctx: Pick<AppContext, 'events' | 'services'>): void {
  service(ctx, SUBSCRIBED, () => {
    onDirectoryEvent(ctx, 'user.signInsRevoked', ({ tx, account, homedGuests }) => revokeAccountArtefacts(tx, [account, ...homedGuests]));
    return true;
  });
}
