/**
 * The features built on the directory core, in one list: what each adds to the Graph API and the web
 * pages, which background workers it runs, and which CLI commands it brings.
 */
import type { Command } from 'commander';
import type { PageFeature } from './app.js';
import type { CliHelpers } from './cli/main.js';
import { registerAuditRoutes } from './graph/audit-logs.js';
import type { GraphFeature } from './graph/index.js';
import { registerInvitationCli } from './invitations/cli.js';
import { registerInvitationRoutes } from './invitations/graph-routes.js';
import { registerPolicyRoutes } from './invitations/policy-routes.js';
import { startMailDelivery } from './mail/delivery.js';
import type { AppContext } from './platform/context.js';
import { registerIdentityProviderCli } from './redemption/cli.js';
import { registerIdentityProviderRoutes } from './redemption/graph-routes.js';
import { registerDevelopmentMailbox } from './web/dev/mailbox.js';
import { registerBlockPages } from './web/guest/block-pages.js';

export interface Features {
  graphFeatures: GraphFeature[];
  pageFeatures: PageFeature[];
  workers: Array<(ctx: AppContext) => { stop(): Promise<void> }>;
  cli: Array<(program: Command, helpers: CliHelpers) => void>;
}

export function features(): Features {
  return {
    graphFeatures: [registerInvitationRoutes, registerPolicyRoutes, registerAuditRoutes, registerIdentityProviderRoutes],
    pageFeatures: [registerBlockPages, registerDevelopmentMailbox],
    workers: [startMailDelivery],
    cli: [registerInvitationCli, registerIdentityProviderCli],
  };
}
