/**
 * What invitations/ publishes: the one module of this feature that other folders may import (the layer rules in
 * .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { isInvitationBlocked, setInvitationBlock } from './blocks.js';
export { invitationsFeature } from './feature.js';
export { checkInviteeDomain } from './invite-rules.js';
export {
  completeInvitationsOf,
  findGuestIdsWithWorkingLink,
  findInvitationByTicket,
  findRedemptionInvitation,
  invitationTicketVerdict,
  type RedemptionInvitation,
  spendTicket,
} from './redemption-tickets.js';
export type { TicketState } from './tickets.js';
