import { type Logger, pino } from 'pino';

/** Structured JSON logs on standard output; every request's lines carry its `reqId`. */
export function createLogger(config: { logLevel: string }): Logger {
  return pino({ level: config.logLevel, base: { service: 'foyer' }, timestamp: pino.stdTimeFunctions.isoTime });
}
