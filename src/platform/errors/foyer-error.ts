import { type ErrorCode, errorCatalogue } from './catalogue.js';

/**
 * The one error type of Foyer's own code. `message` is public (it reaches the client or the page);
 * `detail` is private (logs and the audit trail only). Renderers for the Graph API, OAuth endpoints and
 * HTML pages all start from this.
 */
export class FoyerError extends Error {
  override name = 'FoyerError';
  readonly status: number;
  readonly graphCode: string;
  /** Extra response headers, e.g. `Retry-After` on a 429. */
  headers: Record<string, string> = {};

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.status = errorCatalogue[code].status;
    this.graphCode = errorCatalogue[code].graphCode;
  }

  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
}
