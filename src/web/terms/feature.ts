/** The terms of use page set: a sign-in's terms step (web/kit/terms-gate.ts opens the way here) and the terms' PDFs. */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { purgeExpiredTermsGates } from '../kit/terms-gate.js';
import { registerTermsPages } from './pages.js';

export const termsPages: Feature<HttpSlots> = {
  name: 'terms pages',
  routes: [registerTermsPages],
  housekeeping: [purgeExpiredTermsGates],
};
