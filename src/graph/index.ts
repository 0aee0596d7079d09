/**
 * What graph/ publishes: the one module of this feature that other folders may import (the layer rules in
 * .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { toGraphApplication, toPasswordCredential } from './application-view.js';
export { type AccessRule, actorOf, authorize } from './auth.js';
export { parseBody } from './body.js';
export { fromFrameworkError, sendGraphError } from './errors.js';
export { type GraphSlots, graphFeature } from './feature.js';
export type { GraphDeps, GraphFeature } from './kit.js';
export { describedGraph } from './metadata.js';
export { graphPlugin } from './plugin.js';
export { userRules } from './users.js';
