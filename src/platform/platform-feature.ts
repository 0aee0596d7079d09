/** The platform's own part in the registry: the tidying of the tables it owns. */
import type { Feature } from './feature.js';
import { purgeEndedWindows } from './rate-limit.js';

export const platformFeature: Feature = {
  name: 'platform',
  housekeeping: [(ctx) => purgeEndedWindows(ctx.db.kysely, ctx.clock.now())],
};
