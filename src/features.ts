/**
 * The one list of what Foyer is made of, in layer order: each entry is a folder's declaration (its
 * `feature.ts`) of the routes and pages, Graph resources, mail kinds, workers, housekeeping, event
 * listeners, audit activities and CLI commands it brings. app.ts, server.ts, the outbox and the CLI run
 * what is declared here and name no feature themselves.
 */
import { directoryFeature } from './directory/feature.js';
import { governanceFeature } from './governance/index.js';
import { type GraphFeature, type GraphSlots, graphFeature } from './graph/index.js';
import { invitationsFeature } from './invitations/index.js';
import { type MailSlots, mailFeature, registerMailKind } from './mail/index.js';
import { mfaFeature } from './mfa/index.js';
import { type HttpSlots, oidcFeature, type Routes } from './oidc/index.js';
import { type AppContext, service } from './platform/context.js';
import type { Feature, Worker } from './platform/feature.js';
import type { ResourceSet } from './platform/odata/resource.js';
import { platformFeature } from './platform/platform-feature.js';
import { redemptionFeature } from './redemption/index.js';
import { developmentPages } from './web/dev/feature.js';
import { guestPages } from './web/guest/feature.js';
import { webKitFeature } from './web/kit/feature.js';
import { mfaPages } from './web/mfa/feature.js';
import { myAccountPages } from './web/myaccount/feature.js';
import { reviewPages } from './web/reviews/feature.js';
import { signInPages } from './web/sign-in/feature.js';
import { termsPages } from './web/terms/feature.js';

/** A declaration with every layer's slots. */
export type AnyFeature = Feature<MailSlots & HttpSlots & GraphSlots>;

export interface FeatureRegistry {
  /** Every feature, in layer order (the order routes are registered and workers started in). */
  readonly features: readonly AnyFeature[];
  /** Every feature's Graph resources. */
  readonly graphFeatures: GraphFeature[];
  /** What those resources are, for `$metadata` and the API reference. */
  readonly graphResources: ResourceSet[];
  /** Every feature's routes and pages, the OpenID endpoints first. */
  readonly pageFeatures: Routes[];
  readonly workers: Array<(ctx: AppContext) => Worker>;
  /** The pages the OpenID providers show, from the one feature that declares them. */
  readonly providerViews: HttpSlots['providerViews'];
}

export function features(list: readonly AnyFeature[] = ALL): FeatureRegistry {
  const views = list.flatMap((f) => (f.providerViews ? [f.providerViews] : []));
  if (views.length !== 1) throw new Error(`exactly one feature declares the OpenID providers' pages (found ${views.length})`);
  return {
    features: list,
    graphFeatures: list.flatMap((f) => f.graphRoutes ?? []),
    graphResources: list.flatMap((f) => f.graphResources ?? []),
    pageFeatures: list.flatMap((f) => f.routes ?? []),
    workers: list.flatMap((f) => f.workers ?? []),
    providerViews: views[0]!,
  };
}

const ALL: readonly AnyFeature[] = [
  platformFeature,
  directoryFeature,
  mailFeature,
  oidcFeature,
  graphFeature,
  invitationsFeature,
  redemptionFeature,
  mfaFeature,
  governanceFeature,
  webKitFeature,
  signInPages,
  guestPages,
  mfaPages,
  termsPages,
  myAccountPages,
  reviewPages,
  developmentPages,
];

const INSTALLED = Symbol('features installed');

/**
 * Makes a context ready for the features' code: their event listeners subscribed and their mail kinds
 * registered. Once per context, however often called (the server, each CLI command, tests).
 */
export function installFeatures(ctx: AppContext, list: readonly AnyFeature[] = ALL): void {
  service(ctx, INSTALLED, () => {
    for (const feature of list) {
      for (const listen of feature.listeners ?? []) listen(ctx);
      for (const kind of feature.mailKinds ?? []) registerMailKind(ctx, kind);
    }
    return true;
  });
}
