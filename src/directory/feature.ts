/**
 * The directory core's part in the registry: tidying its tables and the audit activities it writes.
 * Its events (directory/events.ts) are subscribed to by the features that react to them.
 */
import type { Feature } from '../platform/feature.js';
import { activities } from './audit-log.js';
import { pruneChangeLog } from './changes.js';
import { registerDeletedUserCli, registerUserSessionCli } from './cli.js';
import { purgeExpiredDeletedUsers } from './deleted-users.js';
import { registerGuestsCli } from './inactive-guests.js';
import { purgeOldSignIns } from './sign-in-list.js';
import { signInLogWorker } from './sign-in-log.js';

export const directoryFeature: Feature = {
  name: 'directory',
  // Retired signing keys stay published (verify only) until they expire; after that nothing can use them.
  housekeeping: [
    async (ctx) => {
      await ctx.db.kysely.deleteFrom('signing_keys').where('expires_at', '<', ctx.clock.now()).execute();
    },
    // Deletions and membership changes are logged for delta queries; old entries go (older tokens start over).
    (ctx) => pruneChangeLog(ctx.db.kysely, ctx.clock.now()),
    // Deleted users can be restored for 30 days; then they go for good, with everything hanging on them.
    async (ctx) => {
      await purgeExpiredDeletedUsers(ctx);
    },
    // The sign-in log keeps FOYER_SIGNIN_LOG_RETENTION_DAYS days.
    purgeOldSignIns,
  ],
  // The sign-in log's writer: on stop, what it still holds is written.
  workers: [signInLogWorker],
  auditActivities: [
    activities.deleteGuest,
    activities.deleteUser,
    activities.restoreUser,
    activities.hardDeleteUser,
    activities.addApplication,
    activities.updateApplication,
    activities.updateApplicationSecrets,
    activities.deleteApplication,
    activities.addServicePrincipal,
    activities.updateServicePrincipal,
    activities.addAppRoleAssignmentToUser,
    activities.removeAppRoleAssignmentFromUser,
    activities.addAppRoleAssignmentToGroup,
    activities.removeAppRoleAssignmentFromGroup,
  ],
  cli: [registerUserSessionCli, registerDeletedUserCli, registerGuestsCli],
};
