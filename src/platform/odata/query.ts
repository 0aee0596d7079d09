/**
 * OData system query options for collections: `$filter`, `$search`, `$select`, `$top`, `$count`, `$orderby`,
 * `$skiptoken`. Paging is by keyset: `$skiptoken` carries the sort key of the last row of the previous
 * page, so page N costs the same as page 1 however large the tenant (an offset would not).
 */
import { FoyerError } from '../errors/foyer-error.js';
import { FilterError, type FilterModel, type FilterNode, parseFilter } from './filter.js';
import { parseSearch, type SearchNode } from './search.js';

export interface CollectionModel extends FilterModel {
  /** Properties `$select` may name (the response allow-list). */
  selectable: readonly string[];
  /** Properties returned when there is no `$select`. */
  defaultSelect: readonly string[];
  /** Properties `$orderby` may name. `id` is always the final tie-breaker. */
  sortable: readonly string[];
  /**
   * Without `$orderby` the order is unspecified (as in Graph); a model may then pick the order its
   * indexes serve for this filter, so a page reads only the rows it returns.
   */
  preferredOrder?(filter: FilterNode): string | undefined;
  /** Sort properties whose keys are integers (times); the others sort by text. */
  integerSorts?: readonly string[];
}

export interface CollectionQuery {
  filter?: FilterNode;
  /** `$search` (see search.ts); the list applies it and `$filter` together. */
  search?: SearchNode;
  select: string[];
  top: number;
  count: boolean;
  orderBy: { property: string; direction: 'asc' | 'desc' };
  /** Keyset position after which this page starts. */
  after?: { value: string | number | null; id: string };
}

export const DEFAULT_PAGE_SIZE = 100;
/** Graph's own upper bound for `$top` on users and groups. */
export const MAX_PAGE_SIZE = 999;

const KNOWN_OPTIONS = new Set(['$filter', '$search', '$select', '$top', '$count', '$orderby', '$skiptoken']);

function invalid(message: string): FoyerError {
  return new FoyerError('request.invalid_query', message);
}

export function parseCollectionQuery(params: Record<string, unknown>, model: CollectionModel): CollectionQuery {
  for (const key of Object.keys(params)) {
    if (key.startsWith('$') && !KNOWN_OPTIONS.has(key.toLowerCase())) {
      throw invalid(`Query option '${key}' is not supported.`);
    }
  }
  const get = (name: string): string | undefined => {
    const entry = Object.entries(params).find(([k]) => k.toLowerCase() === name);
    if (!entry) return undefined;
    const value = entry[1];
    if (Array.isArray(value)) throw invalid(`Query option '${name}' was given more than once.`);
    return typeof value === 'string' ? value : undefined;
  };

  let filter: FilterNode | undefined;
  const filterText = get('$filter');
  if (filterText !== undefined) {
    try {
      filter = parseFilter(filterText, model);
    } catch (err) {
      if (err instanceof FilterError) throw invalid(`Invalid filter clause: ${err.message}`);
      throw err;
    }
  }

  let select = [...model.defaultSelect];
  const selectText = get('$select');
  if (selectText !== undefined) {
    const names = selectText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) throw invalid("'$select' names no property.");
    select = names.map((name) => {
      const match = model.selectable.find((p) => p.toLowerCase() === name.toLowerCase());
      if (!match) throw invalid(`Could not find a property named '${name}' on type '${model.typeName}'.`);
      return match;
    });
    if (!select.includes('id')) select.unshift('id');
  }

  let top = DEFAULT_PAGE_SIZE;
  const topText = get('$top');
  if (topText !== undefined) {
    if (!/^\d+$/.test(topText)) throw invalid(`Invalid value '${topText}' for $top: a whole number from 1 to ${MAX_PAGE_SIZE} is expected.`);
    top = Number(topText);
    if (top < 1 || top > MAX_PAGE_SIZE) throw invalid(`Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`);
  }

  let count = false;
  const countText = get('$count');
  if (countText !== undefined) {
    if (countText !== 'true' && countText !== 'false') throw invalid(`Invalid value '${countText}' for $count: true or false is expected.`);
    count = countText === 'true';
  }

  let orderBy: CollectionQuery['orderBy'] = { property: (filter && model.preferredOrder?.(filter)) || 'id', direction: 'asc' };
  const orderText = get('$orderby');
  if (orderText !== undefined) {
    const parts = orderText.trim().split(/\s+/);
    if (parts.length > 2 || !parts[0]) throw invalid(`'$orderby' supports one property, optionally followed by asc or desc.`);
    const property = model.sortable.find((p) => p.toLowerCase() === parts[0]!.toLowerCase());
    if (!property) throw invalid(`Sorting by '${parts[0]}' is not supported. Sortable properties: ${model.sortable.join(', ')}.`);
    const direction = (parts[1] ?? 'asc').toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') throw invalid(`'${parts[1]}' is not a sort direction: use asc or desc.`);
    orderBy = { property, direction };
  }

  const query: CollectionQuery = { select, top, count, orderBy };
  if (filter) query.filter = filter;
  const searchText = get('$search');
  if (searchText !== undefined) query.search = parseSearch(searchText, model);
  const skipText = get('$skiptoken');
  if (skipText !== undefined) {
    query.after = decodeSkipToken(skipText, orderBy.property, model.integerSorts?.includes(orderBy.property) ? 'integer' : 'string');
  }
  return query;
}

/** The opaque `$skiptoken`: which sort it belongs to, and the last row's sort value and id. */
export function encodeSkipToken(property: string, value: string | number | null, id: string): string {
  return Buffer.from(JSON.stringify([property, value, id])).toString('base64url');
}

function decodeSkipToken(token: string, property: string, kind: 'integer' | 'string'): { value: string | number | null; id: string } {
  const plain = (v: unknown): v is string => typeof v === 'string' && v.length <= 1024 && !v.includes('\u0000');
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      parsed[0] === property &&
      (kind === 'integer' ? Number.isSafeInteger(parsed[1]) : plain(parsed[1])) &&
      plain(parsed[2])
    ) {
      return { value: parsed[1] as string | number, id: parsed[2] };
    }
  } catch {
    // fall through
  }
  throw invalid('The $skiptoken is not valid for this query. Follow @odata.nextLink as returned, without changing it.');
}
