/**
 * The directory core's part in the registry: tidying its tables and the audit activities it writes.
 * Its events (directory/events.ts) are subscribed to by the features that react to them.
 */
import type { Feature } from '../platform/feature.js';
import { activities } from './audit-log.js';
import { pruneChangeLog } from './changes.js';
import { registerUserSessionCli } from './cli.js';

export const directoryFeature: Feature = {
  name: 'directory',
  // Retired signing keys stay published (verify only) until they expire; after that nothing can use them.
  housekeeping: [
    async (ctx) => {
      await ctx.db.kysely.deleteFrom('signing_keys').where('expires_at', '<', ctx.clock.now()).execute();
    },
    // Deletions and membership changes are logged for delta queries; old entries go (older tokens start over).
    (ctx) => pruneChangeLog(ctx.db.kysely, ctx.clock.now()),
  ],
  auditActivities: [
    activities.deleteGuest,
    activities.addApplication,
    activities.updateApplication,
    activities.updateApplicationSecrets,
    activities.deleteApplication,
  ],
  cli: [registerUserSessionCli],
};
