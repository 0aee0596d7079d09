/**
 * Mail kinds: the outbox stores a kind and its payload, and the feature that queued the message renders
 * it and hears how its delivery ended. So the outbox knows no feature: invitations declare the invitation
 * e-mail (invitations/invitation-mail.ts), redemption the passcode e-mail (redemption/passcode-mail.ts),
 * and a new kind of mail is one more declaration in its feature's `feature.ts`.
 */
import { type AppContext, service } from '../platform/context.js';
import type { Executor } from '../platform/storage/database.js';
import type { ComposedEmail, Envelope } from './message.js';

/** A queued message as the worker claimed it. */
export interface QueuedMail<Payload = unknown> {
  id: string;
  tenantId: string;
  /** The invitation whose link the message carries (cancelQueuedMail finds it by this); null: none. */
  invitationId: string | null;
  recipient: string;
  payload: Payload;
  /** The secret that travelled sealed with the message (a ticket, a code), unsealed for `render` only; '' elsewhere and when none. */
  secret: string;
  messageId: string;
  /** Attempts so far, this one included. */
  attempts: number;
}

export interface DeliveryOutcome {
  /** The transport's description (never its credentials). */
  transport: string;
  at: number;
}

export interface MailKind<Payload = unknown> {
  /** Stored in the outbox row; unique across features. */
  readonly kind: string;
  /** The envelope and content, from what was queued. */
  render(ctx: AppContext, mail: QueuedMail<Payload>): Envelope & ComposedEmail;
  /** In the transaction that marks the message sent (e.g. the kind's audit event). */
  sent?(trx: Executor, mail: QueuedMail<Payload>, outcome: DeliveryOutcome): Promise<void>;
  /** In the transaction that gives up on the message for good. */
  failed?(trx: Executor, mail: QueuedMail<Payload>, outcome: DeliveryOutcome & { reason: string }): Promise<void>;
  /**
   * Asked, in the transaction that schedules a retry, whether the message is still worth sending: an
   * invitation whose link was replaced while an attempt was under way must not be retried with a dead link.
   */
  stillWanted?(trx: Executor, mail: QueuedMail<Payload>): Promise<boolean>;
}

/** The registry slot: the mail kinds a feature brings. */
export interface MailSlots {
  mailKinds: ReadonlyArray<MailKind<never>>;
}

const KINDS = Symbol('mail kinds');

/** This app's mail kinds by name (registered by the composition root from every feature's declaration). */
export function mailKinds(ctx: Pick<AppContext, 'services'>): Map<string, MailKind> {
  return service(ctx, KINDS, () => new Map<string, MailKind>());
}

export function registerMailKind(ctx: Pick<AppContext, 'services'>, kind: MailKind<never>): void {
  const kinds = mailKinds(ctx);
  if (kinds.has(kind.kind)) throw new Error(`mail kind '${kind.kind}' is declared twice`);
  kinds.set(kind.kind, kind as MailKind);
}
