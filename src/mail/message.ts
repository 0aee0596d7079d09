/** A message on its way out, and the transport that hands it to a mail server. */

/** What a mail kind composes: pure strings, so the outbox and the development mailbox show exactly it. */
export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface Mailbox {
  address: string;
  name: string | null;
}

/** Who a message goes to, and who answers it. */
export interface Envelope {
  to: Mailbox;
  cc: Mailbox | null;
  replyTo: string | null;
}

/** A message ready for a transport. */
export interface RenderedMail extends Envelope, ComposedEmail {
  messageId: string;
  from: string;
}

/** What a transport reports when it could not hand a message over. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** true: retrying will not help (the server refused for good, e.g. SMTP 5xx). */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface MailTransport {
  /** Names the transport in logs and delivery reports ("smtp://mail.example:587", "development mailbox"). */
  readonly description: string;
  send(mail: RenderedMail): Promise<void>;
  close(): Promise<void>;
}
