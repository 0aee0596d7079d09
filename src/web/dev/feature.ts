/** The development page set: the mailbox (development mode only, this machine only). */
import type { HttpSlots } from '../../oidc/index.js';
import type { Feature } from '../../platform/feature.js';
import { registerDevelopmentMailbox } from './mailbox.js';

export const developmentPages: Feature<HttpSlots> = {
  name: 'development pages',
  routes: [registerDevelopmentMailbox],
};
