/**
 * What mail/ publishes: the one module of this feature that other folders may import (the layer rules in
 * .dependency-cruiser.cjs refuse anything else). It lists what other folders use, nothing more.
 */
export { mailFeature } from './feature.js';
export { type DeliveryOutcome, type MailKind, type MailSlots, type QueuedMail, registerMailKind } from './kinds.js';
export { findMailboxMessage, listMailbox, listMailboxPage, type MailboxMessage } from './mailbox.js';
export type { ComposedEmail, Mailbox } from './message.js';
export { cancelQueuedMail, type DeliveryReport, deliveryOf, enqueueMail, outboxSignal } from './outbox.js';
