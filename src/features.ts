/**
 * The features built on the directory core, in one list: what each adds to the Graph API, which
 * background workers it runs, and which CLI commands it brings.
 */
import type { Command } from 'commander';
import type { CliHelpers } from './cli/main.js';
import type { AppContext } from './context.js';
import type { GraphFeature } from './graph/index.js';

export interface Features {
  graphFeatures: GraphFeature[];
  workers: Array<(ctx: AppContext) => { stop(): Promise<void> }>;
  cli: Array<(program: Command, helpers: CliHelpers) => void>;
}

export function features(): Features {
  return { graphFeatures: [], workers: [], cli: [] };
}
