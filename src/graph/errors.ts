/**
 * Renders any error raised while serving the Graph-compatible API as Graph's error body:
 * `{"error": {"code", "message", "innerError": {"code", "request-id", "client-request-id", "date"}}}`.
 * Framework errors a client can cause (bad JSON, oversize body, wrong content type) map to their
 * catalogue codes; anything else is a logged `500` that reveals nothing but the request id.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../platform/errors/catalogue.js';
import { FoyerError } from '../platform/errors/foyer-error.js';

/** Maps errors thrown by Fastify itself (before Foyer's handler runs) to Foyer errors. */
export function fromFrameworkError(err: unknown): FoyerError | undefined {
  if (err instanceof FoyerError) return err;
  const e = err as Partial<FastifyError> & { statusCode?: number };
  const byCode: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: ['request.too_large', 'The request body is too large.'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['request.unsupported_media_type', 'The request body must be application/json.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['request.invalid_json', 'The request body is empty; a JSON object is expected.'],
    FST_ERR_CTP_INVALID_JSON_BODY: ['request.invalid_json', 'The request body is not valid JSON.'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['request.invalid_body', 'The Content-Length header does not match the body.'],
    FST_ERR_BAD_URL: ['request.malformed', 'The URL is not valid percent-encoding.'],
    FST_ERR_MAX_PARAM_LENGTH: ['request.uri_too_long', 'A path segment of the URL is too long.'],
    FST_ERR_ASYNC_CONSTRAINT: ['request.invalid_body', 'The request could not be routed.'],
  };
  // Another process held the SQLite file for longer than busy_timeout: try again shortly.
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY')) {
    return new FoyerError('server.unavailable', 'The database is busy; retry in a moment.').withHeader('retry-after', '1');
  }
  // PostgreSQL broke a deadlock by rolling this transaction back whole (two writes to the same directory
  // objects, each holding what the other waits for, such as the tenant's change counter): a retry succeeds.
  if (e.code === '40P01') {
    return new FoyerError('server.unavailable', 'The request collided with another change; retry in a moment.').withHeader('retry-after', '1');
  }
  const mapped = e.code ? byCode[e.code] : undefined;
  if (mapped) return new FoyerError(mapped[0], mapped[1]);
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return new FoyerError('request.invalid_json', 'The request body is not valid JSON.');
  }
  if (e.statusCode === 413) return new FoyerError('request.too_large', 'The request body is too large.');
  if (e.statusCode === 415) return new FoyerError('request.unsupported_media_type', 'The request body must be application/json.');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500 && e.validation) {
    return new FoyerError('request.invalid_body', e.message ?? 'The request is invalid.');
  }
  return undefined;
}

/**
 * The `client-request-id` of a Graph request: the client's own (echoed when it is at most 100 characters),
 * or else, as Graph does, a generated GUID: the request id. Outside the Graph prefix only the client's own.
 */
export function clientRequestId(request: FastifyRequest): string | undefined {
  const sent = request.headers['client-request-id'];
  if (typeof sent === 'string' && sent.length > 0 && sent.length <= 100) return sent;
  return /^\/graph\/v1\.0(?:[/?]|$)/.test(request.url) ? request.id : undefined;
}

export function graphErrorBody(request: FastifyRequest, code: string, innerCode: string, message: string, now: Date) {
  const clientId = clientRequestId(request);
  return {
    error: {
      code,
      message,
      innerError: {
        code: innerCode,
        date: now.toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': request.id,
        ...(clientId ? { 'client-request-id': clientId } : {}),
      },
    },
  };
}

export function sendGraphError(request: FastifyRequest, reply: FastifyReply, err: unknown, now: Date): FastifyReply {
  // Errors raised before the hooks ran (while routing) still carry the ids the body names.
  if (!reply.hasHeader('request-id')) reply.header('request-id', request.id);
  const clientId = clientRequestId(request);
  if (clientId && !reply.hasHeader('client-request-id')) reply.header('client-request-id', clientId);
  const foyer = fromFrameworkError(err);
  if (foyer) {
    if (foyer.status >= 500) request.log.error({ err, code: foyer.code, detail: foyer.detail }, 'request failed');
    else request.log.info({ code: foyer.code, detail: foyer.detail }, foyer.message);
    for (const [k, v] of Object.entries(foyer.headers)) reply.header(k, v);
    return reply.code(foyer.status).send(graphErrorBody(request, foyer.graphCode, foyer.code, foyer.message, now));
  }
  request.log.error({ err }, 'unhandled error');
  return reply
    .code(500)
    .send(
      graphErrorBody(request, 'InternalServerError', 'server.internal', `An internal error occurred. Quote request-id ${request.id} to the operator.`, now),
    );
}
