/**
 * JSON request bodies, bounded before anything parses or walks them. Fastify already caps their size
 * (FOYER_BODY_LIMIT); this caps their depth. A body such as `{"a":` × 20,000 is 100 KB, well under the
 * size limit, yet every recursive walk of it (a check for NUL characters, a schema, a logger) overflows
 * the stack and answers 500. Graph bodies are shallow: the deepest Foyer accepts (an invitation's
 * `invitedUserMessageInfo.ccRecipients[].emailAddress.name`) is 5 levels; 64 leaves room for any client
 * while bounding every walk.
 */
import { FoyerError } from './errors/foyer-error.js';

export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The error for a body nested deeper than `max`. */
export function tooDeep(max = MAX_JSON_DEPTH): FoyerError {
  return new FoyerError('request.too_deep', `The request body nests objects and arrays more than ${max} levels deep.`);
}

/**
 * Refuses JSON text that nests objects and arrays deeper than `max`, by one pass over the characters
 * (no recursion, no parse). Malformed text is left for the parser to refuse.
 */
export function assertJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) throw tooDeep(max);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
}

type Done = (err: Error | null, body?: unknown) => void;

/** Wraps a JSON body parser (Fastify's own, which refuses `__proto__` keys) so it sees shallow bodies only. */
export function depthBoundedJsonParser<R>(parse: (request: R, body: string, done: Done) => void, max = MAX_JSON_DEPTH) {
  return (request: R, body: string, done: Done): void => {
    try {
      assertJsonDepth(body, max);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    parse(request, body, done);
  };
}
