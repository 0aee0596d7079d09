/**
 * The OpenID Connect feature, and the registry slot for everything served over HTTP outside the Graph
 * API. Routes and pages get the app's OpenID providers (one per tenant, built on first use), which the
 * composition root builds once with the pages the providers show (`providerViews`, declared by the
 * sign-in page set).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../platform/context.js';
import type { Feature } from '../platform/feature.js';
import { installAssignmentCheck } from './assignment-check.js';
import { subscribeOidcToDirectory } from './directory-events.js';
import { purgeExpiredPayloads } from './housekeeping.js';
import { mountProviders } from './mount.js';
import type { ProviderViews } from './provider.js';
import type { ProviderRegistry } from './registry.js';
import { registerUserinfo } from './userinfo.js';

/** Adds routes or pages to the app. Called in the registry's order (the OpenID endpoints first). */
export type Routes = (http: FastifyInstance, ctx: AppContext, providers: ProviderRegistry) => void | Promise<void>;

export interface HttpSlots {
  routes: readonly Routes[];
  /** The pages the OpenID providers show (errors, the sign-out question); exactly one feature declares them. */
  providerViews: (ctx: AppContext, providers: () => ProviderRegistry) => ProviderViews;
}

export const oidcFeature: Feature<HttpSlots> = {
  name: 'oidc',
  listeners: [subscribeOidcToDirectory, installAssignmentCheck],
  // The providers read their own bodies: their hook comes before any route that parses one.
  routes: [(http, ctx, providers) => mountProviders(http, providers, ctx.config.publicUrl), registerUserinfo],
  housekeeping: [purgeExpiredPayloads],
};
