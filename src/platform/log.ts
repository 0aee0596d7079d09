import { type DestinationStream, type Logger, pino } from 'pino';
import { redactionOptions, scrubText } from './log-redaction.js';

/**
 * Structured JSON logs on standard output (or `destination`); every request's lines carry its `reqId`.
 * Secrets never reach it: see log-redaction.ts for what is kept out and how.
 */
export function createLogger(config: { logLevel: string }, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'foyer' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...redactionOptions(),
    // The last pass over each finished line: a secret inside a message text or an error's own field.
    hooks: { streamWrite: scrubText },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A logger Foyer was handed (by a test, or a program embedding it) with the same redaction: a child that
 * serializes requests and errors and blanks secret fields as `createLogger`'s loggers do, and whose
 * finished lines get the same last pass before the handed logger's own `streamWrite` hook, if any.
 * pino has no child option for hooks: the child gets its own through pino's exported symbol (its
 * children, Fastify's per-request loggers, inherit it); the handed logger is left as it was.
 */
export function withRedaction(log: Logger): Logger {
  const child = log.child({}, redactionOptions());
  const hooks = child as unknown as Record<symbol, { streamWrite?: (line: string) => string } | undefined>;
  const inherited = hooks[pino.symbols.hooksSym];
  const streamWrite = inherited?.streamWrite;
  hooks[pino.symbols.hooksSym] = { ...inherited, streamWrite: streamWrite ? (line) => streamWrite(scrubText(line)) : scrubText };
  return child;
}
