/** The "My organizations" page set: a signed-in person's organizations, and leaving one (pages.ts). */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { registerMyAccountPages } from './pages.js';

export const myAccountPages: Feature<HttpSlots> = {
  name: 'my account pages',
  routes: [registerMyAccountPages],
};
