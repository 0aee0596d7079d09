/** The mail feature: the outbox worker that delivers every feature's queued mail. */
import type { Feature } from '../platform/feature.js';
import { startMailDelivery } from './delivery.js';

export const mailFeature: Feature = {
  name: 'mail',
  workers: [startMailDelivery],
};
