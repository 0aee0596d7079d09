import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config/schema.js';
import { EventBus } from './events.js';
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
  /** What happened in the directory, for the features that react to it (see directory/events.ts). */
  // biome-ignore lint/suspicious/noExplicitAny: each publisher types its own events (directory/events.ts)
  readonly events: EventBus<any>;
  /** This app's caches and clients, created on first use (see `service`). */
  readonly services: Map<symbol, unknown>;
}

/** Builds a context; `events` and `services` start empty. */
export function createContext(parts: Pick<AppContext, 'config' | 'db' | 'clock' | 'log'>): AppContext {
  return { ...parts, events: new EventBus(), services: new Map() };
}

/**
 * This app's instance of a cache or client, created on first use. The key is a module's constant symbol;
 * the value lives on the context, so two apps in one process (tests) never share it.
 */
export function service<T>(ctx: Pick<AppContext, 'services'>, key: symbol, create: () => T): T {
  if (!ctx.services.has(key)) ctx.services.set(key, create());
  return ctx.services.get(key) as T;
}
