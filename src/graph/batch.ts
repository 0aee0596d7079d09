/**
 * JSON batching, as Graph's `POST /$batch`: up to 20 requests in one body, each run as an ordinary request
 * of this API (through Fastify's `inject`, so routing, authentication, permissions, body limits, rate limits
 * and error bodies are exactly those of a request sent alone), answered together with status 200.
 *
 * Why the rules below:
 * - Every inner request carries the outer request's `Authorization` header and is authenticated and
 *   authorized on its own; an `Authorization` header inside the batch is ignored, so a batch cannot mix
 *   identities. The outer request is authenticated first, so an anonymous caller cannot make Foyer run
 *   twenty requests to learn twenty 401s.
 * - Only a few headers of an inner request are passed on (`Content-Type`, `ConsistencyLevel`,
 *   `client-request-id`, `If-Match`, `If-None-Match`, `Prefer`): never `X-Forwarded-For`, `Host` or
 *   `Cookie`, which could change who the request seems to come from. Inner requests keep the outer
 *   request's client address, so the audit log and any per-address limit see the real client.
 * - An inner `url` is resolved against `/graph/v1.0/` and must stay below it: an absolute URL, or dot
 *   segments (`/../healthz`, `%2e%2e`) that would reach the sign-in pages or the token endpoint, are
 *   refused, and so is a `$batch` inside a batch (which would multiply the 20).
 * - The whole body was bounded by the instance's body size and depth limits before it was parsed; each
 *   inner body is a part of it and passes the same limits again on its way in.
 * - Requests run one after the other, in the order given. Graph may run independent requests in any
 *   order; running them in order is one of the orders it allows, and keeps a batch's load on the
 *   database that of one client.
 */
import type { FastifyRequest, HTTPMethods } from 'fastify';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { graphErrorBody } from './errors.js';
import type { GraphDeps } from './kit.js';

/** Graph's limit on the number of requests in one batch. */
export const MAX_BATCH_REQUESTS = 20;

const PREFIX = '/graph/v1.0/';
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** The headers of an inner request that are passed on (lower case). */
const FORWARDED_HEADERS = new Set(['content-type', 'consistencylevel', 'client-request-id', 'if-match', 'if-none-match', 'prefer']);
/** Response headers that describe the transport, not the inner response. */
const TRANSPORT_HEADERS = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding', 'set-cookie']);
/** Header names as Graph writes them in a batch response; others stay as Foyer sends them. */
const HEADER_CASE: Record<string, string> = {
  'content-type': 'Content-Type',
  location: 'Location',
  'retry-after': 'Retry-After',
  allow: 'Allow',
  etag: 'ETag',
  'cache-control': 'Cache-Control',
};

/** One request of a batch, checked. */
export interface BatchStep {
  id: string;
  method: string;
  /** Path and query below the host, always under `/graph/v1.0/`. */
  path: string;
  /** Forwarded headers, names in lower case. */
  headers: Record<string, string>;
  /** Whether the request has a body (`body` may be any JSON value). */
  hasBody: boolean;
  body?: unknown;
  /** Ids (lower case) of earlier requests this one runs after, and only if they succeeded. */
  dependsOn: string[];
}

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const invalid = (message: string) => new FoyerError('batch.invalid', message);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a `$batch` body and returns its requests. Anything wrong refuses the whole batch with one 400
 * before any request runs, as Graph does; what a request asks for is judged by the request itself.
 */
export function parseBatch(body: unknown): BatchStep[] {
  if (!isObject(body) || !Array.isArray(body.requests)) {
    throw invalid('Invalid batch payload format: the body must be {"requests": [...]}.');
  }
  const requests = body.requests as unknown[];
  if (requests.length === 0) throw invalid('Invalid batch payload format: "requests" is empty.');
  if (requests.length > MAX_BATCH_REQUESTS) throw invalid('Number of requests inside batch exceeds the limit.');
  const seen = new Set<string>();
  return requests.map((raw, index) => {
    const step = parseStep(raw, index, seen);
    seen.add(step.id.toLowerCase());
    return step;
  });
}

function parseStep(raw: unknown, index: number, earlier: ReadonlySet<string>): BatchStep {
  if (!isObject(raw)) throw invalid(`Invalid batch payload format: request ${index + 1} is not an object.`);
  const { id, method, url, headers, body, dependsOn } = raw;
  if (typeof id !== 'string' || id.trim() === '') throw invalid(`Request ${index + 1} of the batch has no "id".`);
  // Ids are compared without regard to case, as Graph does.
  if (earlier.has(id.toLowerCase())) throw invalid(`The batch has two requests with the id '${id}'; ids must be unique.`);
  if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) {
    throw invalid(`Request '${id}' of the batch has no valid "method" (GET, POST, PUT, PATCH or DELETE).`);
  }
  if (typeof url !== 'string' || url === '') throw invalid(`Request '${id}' of the batch has no "url".`);
  const step: BatchStep = {
    id,
    method: method.toUpperCase(),
    path: resolveInnerUrl(id, url),
    headers: parseHeaders(id, headers),
    hasBody: body !== undefined && body !== null,
    ...(body !== undefined && body !== null ? { body } : {}),
    dependsOn: parseDependsOn(id, dependsOn, earlier),
  };
  // Graph refuses the whole batch when a write (or any request with a body) lacks a body or its
  // Content-Type: the media type is what says whether `body` is JSON, text or base64. A write that takes
  // no input sends `"body": {}` with `Content-Type: application/json`, as Graph's documentation shows.
  const writes = step.method === 'POST' || step.method === 'PUT' || step.method === 'PATCH';
  if ((writes || step.hasBody) && (!step.hasBody || !step.headers['content-type'])) {
    throw invalid(`Write request id : ${id} does not contain Content-Type header or body.`);
  }
  return step;
}

/** Resolves a request's `url` (`/users?$top=1` or `users/…`) below `/graph/v1.0/`, or refuses it. */
export function resolveInnerUrl(id: string, url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.startsWith('//') || url.startsWith('\\')) {
    throw invalid(`Request '${id}' of the batch has an absolute url; a batch takes urls relative to the API version, like /users.`);
  }
  const base = new URL(`http://batch.invalid${PREFIX}`);
  // "./" first: whatever follows is a path, never a scheme or a host.
  const resolved = new URL(`./${url.replace(/^\//, '')}`, base);
  if (resolved.origin !== base.origin || !resolved.pathname.startsWith(PREFIX)) {
    throw invalid(`Request '${id}' of the batch has a url outside the API.`);
  }
  const first = resolved.pathname.slice(PREFIX.length).split('/')[0] ?? '';
  if (safeDecode(first).toLowerCase() === '$batch') throw invalid(`Request '${id}' of the batch is itself a batch; batches do not nest.`);
  return resolved.pathname + resolved.search;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function parseHeaders(id: string, headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (!isObject(headers)) throw invalid(`The "headers" of request '${id}' must be an object of names and values.`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(', ') : value;
    // What HTTP allows in a header value (Node's own check): a control character or a character past
    // Latin-1 could never arrive in a real header, and passed on it would fail inside the inner request.
    if (typeof text !== 'string' || /[^\t\x20-\x7e\x80-\xff]/.test(text)) {
      throw invalid(`The header '${name}' of request '${id}' must be a string of characters allowed in an HTTP header.`);
    }
    const lower = name.toLowerCase();
    if (FORWARDED_HEADERS.has(lower)) out[lower] = text;
  }
  return out;
}

function parseDependsOn(id: string, dependsOn: unknown, earlier: ReadonlySet<string>): string[] {
  if (dependsOn === undefined || dependsOn === null) return [];
  if (!Array.isArray(dependsOn) || !dependsOn.every((d) => typeof d === 'string')) {
    throw invalid(`The "dependsOn" of request '${id}' must be an array of request ids.`);
  }
  for (const d of dependsOn as string[]) {
    if (!earlier.has(d.toLowerCase())) {
      throw invalid(`Request '${id}' of the batch depends on '${d}', which is not an earlier request of the batch.`);
    }
  }
  return (dependsOn as string[]).map((d) => d.toLowerCase());
}

const isJsonType = (type: string | undefined) => /^application\/(?:[\w.+-]+\+)?json(?:\s*;|$)/i.test(type?.trim() ?? '');

/**
 * An inner request's body as bytes. Graph takes `body` as a JSON value or as a base64(url)-encoded string
 * (an image, say); OData's batch format sends text media types as plain strings. So an object, array,
 * number or boolean is JSON; a string is the text itself for `text/*` and base64 otherwise, whatever the
 * media type: no request of this API takes a bare JSON string, and the Kiota SDK sends every body it
 * cannot recognise as JSON (its headers come through as untyped nodes) base64-encoded.
 */
function payloadOf(step: BatchStep): string | Buffer | undefined {
  if (!step.hasBody) return undefined;
  if (typeof step.body !== 'string') return JSON.stringify(step.body);
  if (/^text\//i.test(step.headers['content-type'] ?? '')) return step.body;
  return Buffer.from(step.body, 'base64');
}

export function registerBatchRoute(deps: GraphDeps): void {
  const { app, ctx } = deps;

  /** A response Foyer writes itself for a request it did not run. */
  const errorResponse = (request: FastifyRequest, id: string, err: FoyerError): BatchResponse => ({
    id,
    status: err.status,
    headers: { 'Content-Type': 'application/json' },
    body: graphErrorBody(request, err.graphCode, err.code, err.message, new Date(ctx.clock.now())),
  });

  async function run(request: FastifyRequest, step: BatchStep): Promise<BatchResponse> {
    const outer = request.headers;
    const clientRequestId = typeof outer['client-request-id'] === 'string' ? outer['client-request-id'] : undefined;
    const res = await app.inject({
      method: step.method as HTTPMethods,
      url: step.path,
      remoteAddress: request.ip,
      headers: {
        accept: 'application/json',
        ...(outer.authorization ? { authorization: outer.authorization } : {}),
        ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}),
        ...step.headers,
      },
      ...(step.hasBody ? { payload: payloadOf(step) } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || TRANSPORT_HEADERS.has(name)) continue;
      headers[HEADER_CASE[name] ?? name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const response: BatchResponse = { id: step.id, status: res.statusCode, headers };
    if (res.rawPayload.length === 0) return response;
    if (isJsonType(String(res.headers['content-type'] ?? ''))) {
      try {
        return { ...response, body: JSON.parse(res.body) };
      } catch {
        // not JSON after all: sent as bytes below
      }
    }
    return { ...response, body: res.rawPayload.toString('base64') };
  }

  app.post('/$batch', async (request) => {
    await deps.caller(request);
    const steps = parseBatch(request.body);
    // Each earlier request's answer by lower-case id. A dependency failed unless it answered 2xx; a
    // request not run because of a failed dependency fails in turn, so the 424 passes down a chain.
    const answered = new Map<string, BatchResponse>();
    const responses: BatchResponse[] = [];
    for (const step of steps) {
      const failed = step.dependsOn.map((d) => answered.get(d)!).find((r) => r.status < 200 || r.status > 299);
      const response = failed
        ? errorResponse(
            request,
            step.id,
            new FoyerError('batch.failed_dependency', `Request '${step.id}' was not run because request '${failed.id}' it depends on failed.`),
          )
        : await run(request, step);
      answered.set(step.id.toLowerCase(), response);
      responses.push(response);
    }
    return { responses };
  });
}
