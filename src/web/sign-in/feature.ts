/** The sign-in page set: the member sign-in pages, and the pages the OpenID providers show. */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { providerViews } from './provider-views.js';
import { registerSignInRoutes } from './sign-in.js';

export const signInPages: Feature<HttpSlots> = {
  name: 'sign-in pages',
  routes: [registerSignInRoutes],
  providerViews,
};
