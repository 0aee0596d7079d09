/**
 * The invitation e-mail as a mail kind: what an invitation queues, how the worker renders it (the
 * redeem link is built only then, from the ticket that travelled sealed), whether a retry still makes
 * sense, and the audit events of its delivery.
 */
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import type { DeliveryOutcome, Mailbox, MailKind, QueuedMail } from '../mail/index.js';
import type { Executor } from '../platform/storage/database.js';
import { composeInvitationEmail, type InvitationEmailInput } from './invitation-email.js';
import { redeemUrl } from './tickets.js';

export interface InvitationMailPayload {
  kind: 'invitation';
  to: Mailbox;
  cc: Mailbox | null;
  /** The inviting person's address, when a person invited. */
  replyTo: string | null;
  /** Everything the e-mail shows except the redeem link, which needs the sealed ticket. */
  email: Omit<InvitationEmailInput, 'redeemUrl'>;
}

const SYSTEM: Actor = { kind: 'system', displayName: 'Foyer mail delivery' };

function audit(trx: Executor, mail: QueuedMail<InvitationMailPayload>, outcome: DeliveryOutcome, failure: string | null) {
  return recordAudit(trx, {
    tenantId: mail.tenantId,
    activity: failure === null ? activities.invitationEmailSent : activities.invitationEmailFailed,
    category: 'UserManagement',
    operationType: 'Other',
    result: failure === null ? 'success' : 'failure',
    ...(failure === null ? {} : { resultReason: failure }),
    actor: SYSTEM,
    targets: [{ id: mail.invitationId, type: 'Invitation', displayName: mail.recipient }],
    details:
      failure === null
        ? { transport: outcome.transport, attempts: String(mail.attempts), messageId: mail.messageId }
        : { transport: outcome.transport, attempts: String(mail.attempts) },
    correlationId: mail.invitationId ?? mail.id,
    at: outcome.at,
  });
}

export const invitationMail: MailKind<InvitationMailPayload> = {
  kind: 'invitation',
  render(ctx, { payload, tenantId, invitationId, secret }) {
    const link = redeemUrl(ctx.config.publicUrl, tenantId, invitationId ?? '', secret);
    return { to: payload.to, cc: payload.cc, replyTo: payload.replyTo, ...composeInvitationEmail({ ...payload.email, redeemUrl: link }) };
  },
  sent: (trx, mail, outcome) => audit(trx, mail, outcome, null),
  failed: (trx, mail, outcome) => audit(trx, mail, outcome, outcome.reason),
  async stillWanted(trx, mail) {
    if (!mail.invitationId) return true;
    const replaced = await trx
      .selectFrom('invitations')
      .select('id')
      .where('id', '=', mail.invitationId)
      .where('ticket_state', 'in', ['superseded', 'revoked'])
      .executeTakeFirst();
    return !replaced;
  },
};
