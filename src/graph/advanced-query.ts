/**
 * Graph's rules for advanced queries on directory objects (`/users`, `/groups`): `ne`, `not` and
 * `endsWith` in `$filter`, `$filter` combined with `$orderby`, and `$orderby` on a property Graph sorts
 * only in advanced queries need both `ConsistencyLevel: eventual` and `$count=true`; without them Graph
 * answers 400 `Request_UnsupportedQuery`. `$count=true` without the header is silently ignored (no
 * `@odata.count`). `$search` needs the header only (not `$count`), and makes the request an advanced
 * query by itself. Foyer enforces the same, so that a script that works here works on Graph.
 */

import type { FastifyRequest } from 'fastify';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionQuery } from '../platform/odata/query.js';

export interface AdvancedQueryInput {
  filter?: FilterNode | undefined;
  /** The `$orderby` property when the request names one (not the default order). */
  orderBy?: string | undefined;
  /** Whether the request asks `$count=true`. */
  count: boolean;
  /** Whether the request has `$search`. */
  search?: boolean | undefined;
  /** The raw `ConsistencyLevel` header. */
  consistencyLevel: unknown;
  /** Properties Graph sorts without the advanced query parameters. */
  sortableByDefault: readonly string[];
}

/** The verdict: the request as Graph would run it (`count`: whether to add `@odata.count`), or Graph's error. */
export type AdvancedQueryVerdict = { ok: true; count: boolean } | { ok: false; error: FoyerError };

const DOCS = 'https://aka.ms/graph-docs/advanced-queries';

export function isEventual(consistencyLevel: unknown): boolean {
  return typeof consistencyLevel === 'string' && consistencyLevel.trim().toLowerCase() === 'eventual';
}

/** The first operator in the filter that Graph runs only in advanced queries, spelled as Graph names it. */
function advancedOperator(node: FilterNode): string | undefined {
  switch (node.kind) {
    case 'and':
    case 'or':
      return advancedOperator(node.left) ?? advancedOperator(node.right);
    case 'not':
      return 'not';
    case 'compare':
      return node.op === 'ne' ? 'ne' : undefined;
    case 'endswith':
      return 'endsWith';
    case 'any':
      return advancedOperator(node.body);
    default:
      return undefined;
  }
}

export function checkAdvancedQuery(input: AdvancedQueryInput): AdvancedQueryVerdict {
  const eventual = isEventual(input.consistencyLevel);
  if (input.search && !eventual) {
    return {
      ok: false,
      error: new FoyerError(
        'request.invalid_query',
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      ),
    };
  }
  const advanced = eventual && (input.count || input.search === true);
  if (!advanced) {
    const op = input.filter && advancedOperator(input.filter);
    if (op) {
      return {
        ok: false,
        error: new FoyerError(
          'request.invalid_query',
          `Operator '${op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to ${DOCS} for more information`,
        ),
      };
    }
    if (input.orderBy !== undefined && (input.filter !== undefined || !input.sortableByDefault.includes(input.orderBy))) {
      return { ok: false, error: new FoyerError('request.invalid_query', 'Sorting not supported for current query.') };
    }
  }
  return { ok: true, count: eventual && input.count };
}

/** Applies the rules to a request: throws Graph's error, or answers whether to add `@odata.count`. */
export function enforceAdvancedQuery(input: AdvancedQueryInput): boolean {
  const verdict = checkAdvancedQuery(input);
  if (!verdict.ok) throw verdict.error;
  return verdict.count;
}

/**
 * The rules applied to a list request's parsed query: throws Graph's error, or drops `$count` when the
 * request is not an advanced query (as Graph does). `sortableByDefault`: what sorts without the header.
 */
export function applyAdvancedQueryRules(request: FastifyRequest, query: CollectionQuery, sortableByDefault: readonly string[]): void {
  query.count = enforceAdvancedQuery({
    filter: query.filter,
    orderBy: namesOption(request.query as Record<string, unknown>, '$orderby') ? query.orderBy.property : undefined,
    count: query.count,
    search: query.search !== undefined,
    consistencyLevel: request.headers.consistencylevel,
    sortableByDefault,
  });
}

/** Whether the raw query string names an option (case-insensitively, as OData does). */
export function namesOption(params: Record<string, unknown>, option: string): boolean {
  return Object.keys(params).some((k) => k.toLowerCase() === option);
}
