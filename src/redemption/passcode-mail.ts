/** The one-time passcode e-mail as a mail kind: the code travels sealed and is put in only when sent. */
import type { Mailbox, MailKind } from '../mail/index.js';
import { composePasscodeEmail, type PasscodeEmailInput } from './passcode-email.js';

export interface PasscodeMailPayload {
  kind: 'passcode';
  to: Mailbox;
  email: Omit<PasscodeEmailInput, 'code'>;
}

// Passcode e-mails write no audit events: they are not directory events (the sign-in they serve is).
export const passcodeMail: MailKind<PasscodeMailPayload> = {
  kind: 'passcode',
  render: (_ctx, { payload, secret }) => ({ to: payload.to, cc: null, replyTo: null, ...composePasscodeEmail({ ...payload.email, code: secret }) }),
};
