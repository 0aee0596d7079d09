/**
 * A real SMTP server on loopback (smtp-server) that keeps what it receives, parsed with mailparser, and
 * can be told to refuse for a while (4xx) or for good (5xx), as real mail servers do.
 */
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  url: string;
  port: number;
  messages: ParsedMail[];
  /** How the next DATA commands are answered. */
  mode: 'accept' | 'tempfail' | 'permfail';
  /** Waits until at least `n` messages have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /** Recipients refused at RCPT TO with 550, as a server that has no such mailbox does. */
  rejectRecipients: Set<string>;
  /** Counts DATA attempts, accepted or not. */
  attempts: number;
  close(): Promise<void>;
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const state: TestSmtp = {
    url: '',
    port: 0,
    messages: [],
    mode: 'accept',
    rejectRecipients: new Set(),
    attempts: 0,
    async waitFor(n, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (state.messages.length < n) {
        if (Date.now() > until) throw new Error(`expected ${n} messages, got ${state.messages.length}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return state.messages;
    },
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (state.rejectRecipients.has(address.address.toLowerCase())) {
        return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.attempts++;
        if (state.mode === 'tempfail') return callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
        if (state.mode === 'permfail') return callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            state.messages.push(parsed);
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.server.address() as { port: number };
  state.port = address.port;
  state.url = `smtp://127.0.0.1:${address.port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
