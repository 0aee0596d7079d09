/**
 * OData's `$expand`: `manager`, `memberOf`, `manager($select=id,displayName)`, several separated by
 * commas. What a resource can expand is the caller's model (`ExpandModel`); this module only parses and
 * checks names. Inside the parentheses only `$select` is taken: Graph's directory objects expand one level,
 * and the other nested options are refused rather than ignored.
 */
import { FoyerError } from '../errors/foyer-error.js';

export interface ExpandItem {
  /** The navigation property, spelled as the model spells it. */
  property: string;
  /** `$select` inside the parentheses, as written (the caller checks the names); undefined when absent. */
  select?: string[];
}

export interface ExpandModel {
  typeName: string;
  /** Navigation properties this resource expands. */
  expandable: readonly string[];
  /** Graph navigation properties of this type that Foyer does not have (refused as not supported, not as unknown). */
  notSupported: readonly string[];
}

function invalid(message: string): FoyerError {
  return new FoyerError('request.invalid_query', message);
}

/** Splits at commas outside parentheses; refuses unbalanced parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) throw invalid(`'$expand' has an unbalanced ')': '${text}'.`);
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw invalid(`'$expand' has an unbalanced '(': '${text}'.`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function parseItem(raw: string, model: ExpandModel): ExpandItem {
  const m = /^([A-Za-z][A-Za-z0-9.]*)(?:\((.*)\))?$/s.exec(raw);
  if (!m) throw invalid(`'$expand' item '${raw}' is not a navigation property name, optionally followed by ($select=…).`);
  const name = m[1]!;
  const property = model.expandable.find((p) => p.toLowerCase() === name.toLowerCase());
  if (!property) {
    const graphOnly = model.notSupported.find((p) => p.toLowerCase() === name.toLowerCase());
    if (graphOnly)
      throw invalid(`Expanding '${graphOnly}' of type '${model.typeName}' is not supported by Foyer. Foyer expands: ${model.expandable.join(', ')}.`);
    throw invalid(`Could not find a navigation property named '${name}' on type '${model.typeName}' to expand. Foyer expands: ${model.expandable.join(', ')}.`);
  }
  const item: ExpandItem = { property };
  const inner = m[2]?.trim();
  if (inner === undefined || inner === '') return item;
  for (const option of inner.split(';').map((o) => o.trim())) {
    const eq = option.indexOf('=');
    const key = (eq < 0 ? option : option.slice(0, eq)).trim().toLowerCase();
    if (key !== '$select')
      throw invalid(`Query option '${option.slice(0, eq < 0 ? undefined : eq)}' inside $expand is not supported by Foyer; only $select is.`);
    if (item.select) throw invalid(`'$select' is given twice inside $expand=${property}(…).`);
    const names = option
      .slice(eq + 1)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) throw invalid(`'$select' inside $expand=${property}(…) names no property.`);
    item.select = names;
  }
  return item;
}

/** Parses the `$expand` text against a model: each navigation property once. */
export function parseExpand(text: string, model: ExpandModel): ExpandItem[] {
  if (text.trim() === '') throw invalid("'$expand' names no navigation property.");
  if (text.trim() === '*') throw invalid(`'$expand=*' is not supported by Foyer; name the properties (${model.expandable.join(', ')}).`);
  const items = splitTopLevel(text).map((raw) => parseItem(raw, model));
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.property)) throw invalid(`'$expand' names '${item.property}' twice.`);
    seen.add(item.property);
  }
  return items;
}

/**
 * Takes `$expand` out of a request's query options: the remaining options (for the collection parser) and
 * the parsed items (empty when the request has no `$expand`).
 */
export function takeExpand(params: Record<string, unknown>, model: ExpandModel): { rest: Record<string, unknown>; expand: ExpandItem[] } {
  const rest: Record<string, unknown> = {};
  let expand: ExpandItem[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (key.toLowerCase() !== '$expand') {
      rest[key] = value;
      continue;
    }
    if (typeof value !== 'string') throw invalid("Query option '$expand' was given more than once.");
    expand = parseExpand(value, model);
  }
  return { rest, expand };
}
