/**
 * Terms of use and the directory's events: when a user is purged for good (after the 30 days of a deleted
 * user, or at an administrator's request), their acceptances and declines go too, in the purge's
 * transaction. A soft-deleted user keeps them, so a restore brings them back with everything else.
 */
import { onDirectoryEvent } from '../directory/events.js';
import type { AppContext } from '../platform/context.js';
import { deleteAcceptancesOf } from './terms-acceptances.js';

/** The feature's listener: subscribes on an app context. */
export function subscribeTermsToDirectory(ctx: AppContext): void {
  onDirectoryEvent(ctx, 'user.purged', ({ tx, account }) => deleteAcceptancesOf(tx, account.tenantId, account.userId));
}
