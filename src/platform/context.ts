import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config/schema.js';
import type { Database } from './storage/database.js';

/**
 * What every feature needs, passed explicitly (never module-level singletons) so a test can run two
 * instances side by side, or move the clock to expire something without sleeping.
 */
export interface AppContext {
  readonly config: Readonly<Config>;
  readonly db: Database;
  readonly clock: Clock;
  readonly log: Logger;
}
