/**
 * What a feature declares, so the composition root (app.ts, server.ts, the CLI) can run every feature
 * without naming one. `src/features.ts` is the one list; each folder declares itself in its `feature.ts`.
 *
 * The parts every layer understands are here. The parts only a higher layer can type (a mail kind, a
 * Graph resource, a page that needs the OpenID providers) are *slots*: the layer that owns the concept
 * exports a slot type next to it (`MailSlots` in mail/kinds.ts, `HttpSlots` in oidc/feature.ts,
 * `GraphSlots` in graph/feature.ts), and a feature declares `Feature<MailSlots & GraphSlots>`. So the
 * platform needs nothing above it, and every declaration is still fully typed where it is written.
 */
import type { Command } from 'commander';
import type { CliHelpers } from './cli/helpers.js';
import type { AppContext } from './context.js';

/** A background worker: started after the server listens, stopped before it closes. */
export interface Worker {
  stop(): Promise<void>;
}

export interface FeatureCore {
  /** Names the feature in logs and in the registry's checks (unique). */
  readonly name: string;
  /**
   * Subscriptions to what lower layers publish on `ctx.events` (the directory's events), made once per
   * context before any request or command runs.
   */
  readonly listeners?: ReadonlyArray<(ctx: AppContext) => void>;
  readonly workers?: ReadonlyArray<(ctx: AppContext) => Worker>;
  /**
   * Deletes of this feature's own expired rows. Run on a timer by every process at once, so each must be
   * a plain idempotent delete.
   */
  readonly housekeeping?: ReadonlyArray<(ctx: AppContext) => Promise<void>>;
  /** The audit activity names this feature writes (each is written by exactly one feature). */
  readonly auditActivities?: readonly string[];
  readonly cli?: ReadonlyArray<(program: Command, helpers: CliHelpers) => void>;
}

/** A feature's declaration: the core parts, plus the slots of the layers it builds on. */
export type Feature<Slots extends object = object> = FeatureCore & { readonly [K in keyof Slots]?: Slots[K] };
