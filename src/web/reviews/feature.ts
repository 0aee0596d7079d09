/** The access review page set: where a reviewer approves or denies the guests an access review asks them about. */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { registerReviewPages } from './pages.js';

export const reviewPages: Feature<HttpSlots> = {
  name: 'access review pages',
  routes: [registerReviewPages],
};
