/**
 * The invitation feature's part in what the directory decides: a deleted guest's links stop working
 * (and invitation e-mail still waiting would carry a dead link, so it is not sent), in the deletion's
 * transaction; a tenant's changed settings show in its next invitation e-mail.
 */
import { onDirectoryEvent } from '../directory/events.js';
import { type AppContext, service } from '../platform/context.js';
import { forgetInvitationContext } from './invitation-context.js';
import { revokeLinksOfDeletedGuest } from './links.js';

const SUBSCRIBED = Symbol('invitations subscribed to the directory');

/** Subscribes this app's invitation feature to the directory's events; once per app, however often called. */
export function subscribeInvitationsToDirectory(ctx: Pick<AppContext, 'events' | 'services'>): void {
  service(ctx, SUBSCRIBED, () => {
    onDirectoryEvent(ctx, 'user.deleted', ({ tx, account, invited, now }) => (invited ? revokeLinksOfDeletedGuest(tx, account.userId, now) : undefined));
    onDirectoryEvent(ctx, 'tenant.changed', ({ tenantId }) => forgetInvitationContext(ctx, tenantId));
    return true;
  });
}
