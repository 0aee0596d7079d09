/** The guest page set: redeeming an invitation, guest sign-in, and blocking future invitations. */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { registerBlockPages } from './block-pages.js';
import { registerGuestRoutes } from './pages.js';

export const guestPages: Feature<HttpSlots> = {
  name: 'guest pages',
  routes: [registerGuestRoutes, registerBlockPages],
};
