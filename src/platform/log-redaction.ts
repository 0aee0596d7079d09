/**
 * What Foyer's log never contains: the one list of secret-bearing request parameters and headers, and
 * the pino options that keep them out (a `req` serializer that blanks their values in the URL, a record
 * formatter that blanks them as fields of logged objects, an `err` serializer that blanks them in what an
 * error carries, and a last pass over every finished line). Bytes (a Buffer) are never written, only
 * their size: written as numbers, no pass could find a secret in them.
 *
 * A value is kept out when holding it lets someone act as someone else: redeem an invitation, finish a
 * sign-in, call an API, block someone's invitations. The parameter's name stays, so a log still shows
 * which kind of request it was: `/redeem?tenant=…&user=…&ticket=[redacted]`.
 *
 * Deliberately kept: `login_hint`, `domain_hint` and the block link's `address` are addresses, personal
 * data but not credentials; Foyer's log already names accounts (failed sign-ins), so the log as a whole is
 * personal data to be kept and shipped accordingly. Interaction ids in paths (`/{tenant}/login/{uid}`,
 * `/{tenant}/oauth2/v2.0/authorize/{uid}`) are kept too: the provider looks an interaction up by the
 * browser's signed interaction cookie and refuses a path that does not match it, so a uid alone continues
 * nothing, and it is what ties a sign-in's requests together when reading the log.
 */
import { type LoggerOptions, pino } from 'pino';

/** The value written in place of a secret. */
export const REDACTED = '[redacted]';

/**
 * Query and form parameters whose value is a credential, and why. Matched case-insensitively, in URLs
 * (query strings) and as fields of logged `query`/`body`/`form`/`params` objects.
 */
export const SECRET_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  ticket: 'the redemption ticket of an invitation link (`/redeem`): whoever holds it can redeem the invitation',
  sig: 'the signature of a "block future invitations" link: with the address, it blocks or unblocks',
  code: 'an OAuth authorization code (an app’s callback, or an external provider’s on `/guest/callback`)',
  state: 'binds an OAuth callback to the browser that started it',
  code_verifier: 'the PKCE secret that redeems an authorization code',
  client_secret: 'an application’s secret',
  client_assertion: 'a signed client authentication',
  assertion: 'a bearer assertion grant',
  access_token: 'a bearer token',
  refresh_token: 'a refresh token',
  id_token: 'an ID token (a signed statement of who signed in)',
  id_token_hint: 'an ID token, sent to end a session',
  logout_token: 'a back-channel logout token',
  token: 'the token of a revocation or introspection request',
  subject_token: 'the token of a token exchange',
  actor_token: 'the token of a token exchange',
  device_code: 'a device authorization code',
  user_code: 'a device authorization code as a person types it',
  password: 'a password',
  new_password: 'a password',
  newpassword: 'the new password of the "Change your password" sign-in page',
  confirmpassword: 'the new password of the "Change your password" sign-in page, typed again',
  passcode: 'a one-time passcode',
  otp: 'a one-time passcode',
  _csrf: 'the CSRF token of a form',
});

/** Request and response headers that carry credentials or session cookies. */
export const SECRET_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'csrf-token',
  'x-csrf-token',
  'xsrf-token',
  'x-xsrf-token',
]);

/**
 * Parameter names that are also ordinary field names in Foyer's own log records (`code` is an error
 * code there, `state` a delivery state, `token` rarely anything else): they are blanked inside
 * request-shaped objects only, never as a record's own fields.
 */
const AMBIGUOUS_FIELDS = new Set(['code', 'state', 'token', 'otp', 'sig', 'assertion']);

const isSecretParameter = (name: string) => Object.hasOwn(SECRET_PARAMETERS, name.toLowerCase());
const isSecretHeader = (name: string) => SECRET_HEADERS.includes(name.toLowerCase());
/** A field of a logged object that holds a secret whatever object it is in. */
const isSecretField = (key: string) => (isSecretParameter(key) && !AMBIGUOUS_FIELDS.has(key.toLowerCase())) || isSecretHeader(key);

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** `url` with the value of every secret-bearing query parameter replaced by `[redacted]`; the rest as it was. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const rest = hash < 0 ? '' : url.slice(hash);
  const pairs = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return eq >= 0 && isSecretParameter(decodeName(name)) ? `${name}=${REDACTED}` : pair;
  });
  return `${url.slice(0, q + 1)}${pairs.join('&')}${rest}`;
}

const names = Object.keys(SECRET_PARAMETERS)
  .map((n) => n.replace(/[^a-z0-9]/gi, (c) => `\\${c}`))
  .join('|');
/** `name=value` of a secret parameter anywhere in a text (a URL in an error message, a redirect target). */
const parameterInText = new RegExp(`([?&;]|&amp;|\\\\u0026)(${names})=[^&\\s"'<>#\\\\]*`, 'gi');
/** A bearer or basic credential written out: `Bearer eyJ…`, `Basic dXNlcjpwYXNz`. */
const credentialInText = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]+=*/g;
/** A JSON Web Token (an access, ID or logout token, a signed request) wherever it appears. */
const jwtInText = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** `text` with every secret parameter value, written-out credential and JSON Web Token in it replaced. */
export function scrubText(text: string): string {
  return text
    .replace(parameterInText, (_m, sep: string, name: string) => `${sep}${name}=${REDACTED}`)
    .replace(credentialInText, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(jwtInText, REDACTED);
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** What a request line shows: Fastify's usual fields, the URL without secrets, and no headers at all. */
function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url ?? ''),
    host: req.host ?? req.headers?.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** The prototype of what pino's error serializer makes (an error, and each error an error carries). */
const SERIALIZED_ERROR = Object.getPrototypeOf(pino.stdSerializers.err(new Error()));
const isSerializedError = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === SERIALIZED_ERROR;

/**
 * What bytes are written as: their size only. A Buffer would be written as an array of numbers, which
 * no pass over the text can search (Node.js hands the whole refused request to an error, `rawPacket`:
 * request line, cookies, authorization); `undefined` when `value` is not bytes.
 */
function bytesOf(value: unknown): string | undefined {
  const binary = ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer);
  return binary ? `[redacted: ${(value as ArrayBuffer).byteLength} bytes]` : undefined;
}

/** The longest request target kept of a refused request; the rest is cut. */
const MAX_TARGET = 1024;

/**
 * The request line of a request Node.js refused before Fastify saw it (`err.rawPacket`: header overflow,
 * malformed headers), its secret parameters blanked; `undefined` when the packet does not start with
 * one (a later chunk of a request, or not HTTP at all). Nothing after the request line is ever kept.
 */
function requestLineOf(packet: unknown): string | undefined {
  if (!(packet instanceof Uint8Array)) return undefined;
  const end = packet.indexOf(0x0a);
  if (end < 0) return undefined;
  const line = Buffer.from(packet.buffer, packet.byteOffset, end).toString('latin1');
  const parts = /^([A-Z]{1,20}) (\S+) (HTTP\/\d\.\d)\r?$/.exec(line);
  if (!parts) return undefined;
  const target = scrubText(redactUrl(parts[2] as string));
  return `${parts[1]} ${target.length > MAX_TARGET ? `${target.slice(0, MAX_TARGET)}…` : target} ${parts[3]}`;
}

/** A copy of what an error carries (a library's response body, a request it made), secrets blanked, a few levels deep. */
function scrubCarried(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  const bytes = bytesOf(value);
  if (bytes !== undefined) return bytes;
  if (depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => scrubCarried(v, depth + 1));
  if (isSerializedError(value)) return scrubSerializedError(value, depth + 1);
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretField(key) ? REDACTED : scrubCarried(v, depth + 1);
  }
  return out;
}

/** `err` (as pino's serializer made it) with its fields scrubbed in place, and a refused request reduced to its request line. */
function scrubSerializedError(err: Record<string, unknown>, depth: number): Record<string, unknown> {
  const requestLine = requestLineOf(err.rawPacket);
  for (const key of Object.keys(err)) err[key] = isSecretField(key) ? REDACTED : scrubCarried(err[key], depth);
  if (requestLine !== undefined) err.requestLine = requestLine;
  return err;
}

/**
 * An error as pino writes it, with secrets in its message and stack (a URL, a header) and in what it
 * carries (an identity provider's answer, the request a library made, the request Node.js refused)
 * blanked, and no bytes at all.
 */
function serializeError(err: unknown): unknown {
  const out: unknown = pino.stdSerializers.err(err as Error);
  // Not error-like, it comes back as it was: copied while scrubbed, never changed in place.
  return isSerializedError(out) ? scrubSerializedError(out, 0) : scrubCarried(out, 0);
}

/** Parts of a request as code may log them: every secret parameter or header in them is blanked. */
const REQUEST_PARTS = new Set(['headers', 'query', 'body', 'form', 'params']);

function blankRequestPart(part: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(part)) out[key] = isSecretParameter(key) || isSecretHeader(key) ? REDACTED : value;
  return out;
}

/** `value` (a record's field) with secret fields of request parts blanked, or `value` itself if none. */
function blankedField(key: string, value: unknown, depth: number): unknown {
  if (isSecretField(key)) return REDACTED;
  const bytes = bytesOf(value);
  if (bytes !== undefined) return bytes;
  if (!isPlain(value)) return value;
  if (REQUEST_PARTS.has(key)) return blankRequestPart(value);
  return depth === 0 ? blankedFields(value, 1) : value;
}

/**
 * A log record with secret fields blanked: secret parameters and headers named as its own fields (not
 * the ambiguous ones) and inside request parts (`headers`, `query`, `body` …), at the top or one level
 * down (`{ request: { headers } }`). Only plain objects are looked into: a framework's request object is
 * the `req` serializer's. Cheap on purpose, it runs for every line.
 */
function blankedFields(record: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(record)) {
    const next = blankedField(key, value, depth);
    if (next !== value) {
      out ??= { ...record };
      out[key] = next;
    }
  }
  return out ?? record;
}

/**
 * The pino options that keep secrets out of log records; usable for a root logger and for a child of a
 * logger Foyer was handed (tests, embedding), see `withRedaction`.
 */
export function redactionOptions(): Required<Pick<LoggerOptions, 'serializers'>> & { formatters: { log(record: object): Record<string, unknown> } } {
  return {
    serializers: { req: serializeRequest, err: serializeError, res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }) },
    formatters: { log: (record) => blankedFields(record as Record<string, unknown>) },
  };
}
