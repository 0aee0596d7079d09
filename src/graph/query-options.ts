/**
 * OData query options on Graph's relationships and single objects: `$select` on one object, the
 * `@odata.context` of a selection, keyset `@odata.nextLink`s, what a `$count` segment takes, and the
 * error for a segment Foyer does not have. Collections parse their options with platform/odata/query.ts.
 */
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type CollectionModel, type CollectionQuery, encodeSkipToken, parseCollectionQuery } from '../platform/odata/query.js';

/** A `$select` suffix for `@odata.context`, as Graph writes it: `directoryObjects(id,displayName)`. */
export function selectSuffix(params: Record<string, unknown>, select: readonly string[]): string {
  return Object.keys(params).some((k) => k.toLowerCase() === '$select') ? `(${select.join(',')})` : '';
}

/** The `@odata.nextLink` of a keyset page: the same options, and the `$skiptoken` after `next`. */
export function nextLink(url: string, params: Record<string, unknown>, query: CollectionQuery, next: { value: string | number; id: string }): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (k.toLowerCase() !== '$skiptoken' && typeof v === 'string') out.set(k, v);
  out.set('$skiptoken', encodeSkipToken(query.orderBy.property, next.value, next.id));
  return `${url}?${out.toString()}`;
}

/**
 * A relationship's `$count` segment takes `$filter`; other options are refused. (`/users/$count` and
 * `/groups/$count` take `$search` too; a relationship's count does not yet, and says so.)
 */
export function countOptions(params: Record<string, unknown>): Record<string, unknown> {
  const other = Object.keys(params).find((k) => k.startsWith('$') && k.toLowerCase() !== '$filter');
  if (other?.toLowerCase() === '$search') {
    throw new FoyerError('request.invalid_query', `Query option '${other}' on a relationship's $count segment is not supported by Foyer.`);
  }
  if (other) throw new FoyerError('request.invalid_query', `Query option '${other}' is not supported on a $count segment.`);
  return params;
}

/**
 * `$select` on a single object (`/groups/{id}`, `/organization/{id}`): the selected properties, or the
 * default set. A collection option there is refused with Graph's 400, never ignored.
 */
export function entitySelect(params: Record<string, unknown>, model: CollectionModel): string[] {
  const other = Object.keys(params).find((k) => k.startsWith('$') && k.toLowerCase() !== '$select');
  if (other) throw new FoyerError('request.invalid_query', `Query option '${other}' is not supported on ${model.typeName}: only $select is.`);
  return parseCollectionQuery(params, model).select;
}

/** A path segment after a relationship that names nothing Foyer has. */
export function unknownSegment(segment: string): FoyerError {
  return new FoyerError('request.unknown_segment', `Resource not found for the segment '${segment}'.`);
}
