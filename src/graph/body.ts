/**
 * Request bodies of the Graph-compatible API are checked by zod schemas at the edge. Unknown properties
 * are refused (Graph: "Property 'x' does not exist as a declared property"), except OData annotations
 * (`@odata.type` and friends) that SDKs add, at the top level and, where the schema does not declare
 * them, in nested objects too. An empty body (none, or an empty application/json one) is refused with
 * its own message by every route that needs one.
 */
import { z } from 'zod';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { MAX_JSON_DEPTH, tooDeep } from '../platform/json-body.js';

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === undefined || body === null) {
    throw new FoyerError('request.invalid_json', 'The request body is empty; a JSON object is expected.');
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new FoyerError('request.invalid_json', 'The request body must be a JSON object.');
  }
  let cleaned: Record<string, unknown> = Object.fromEntries(Object.entries(body).filter(([k]) => !k.startsWith('@odata.')));
  const nul = findNul(cleaned);
  if (nul) throw new FoyerError('request.malformed', `Property '${nul}' contains a NUL character.`);
  let result = schema.safeParse(cleaned);
  // Kiota SDKs annotate nested objects of derived types with `@odata.type` too: those the schema does not
  // declare are dropped where the schema refuses them (declared ones, such as an access review's scope
  // types, are still checked), and the body checked again. Each round drops at least one key.
  for (let round = 0; !result.success && round < MAX_JSON_DEPTH; round++) {
    const annotations = result.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys' ? i.keys.filter((k) => k.startsWith('@odata.')).map((k) => [...i.path, k]) : [],
    );
    if (annotations.length === 0) break;
    cleaned = withoutPaths(cleaned, annotations);
    result = schema.safeParse(cleaned);
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys.find((k) => !k.startsWith('@odata.')) ?? issue.keys[0]!;
    const where = path ? `${path}.${key}` : key;
    throw new FoyerError('request.invalid_body', `Property '${where}' does not exist as a declared property or extension property.`);
  }
  if (issue.code === 'invalid_type' && valueAt(cleaned, issue.path) === undefined) {
    throw new FoyerError('request.invalid_body', `Property '${path}' is required.`);
  }
  throw new FoyerError('request.invalid_body', `Invalid value for property '${path}': ${issue.message}.`);
}

/** A copy of `root` without the properties at `paths` (objects and arrays along each path are copied, not changed). */
function withoutPaths(root: Record<string, unknown>, paths: PropertyKey[][]): Record<string, unknown> {
  const copy = (node: unknown): unknown => (Array.isArray(node) ? [...node] : node && typeof node === 'object' ? { ...node } : node);
  const out = copy(root) as Record<PropertyKey, unknown>;
  for (const path of paths) {
    let node: Record<PropertyKey, unknown> | undefined = out;
    for (const key of path.slice(0, -1)) {
      const next = node?.[key];
      if (next === null || typeof next !== 'object') {
        node = undefined;
        break;
      }
      node[key] = copy(next);
      node = node[key] as Record<PropertyKey, unknown>;
    }
    if (node) delete node[path.at(-1)!];
  }
  return out;
}

/**
 * The path of the first string (key or value) holding a NUL character, if any. Iterative, and bounded by
 * MAX_JSON_DEPTH like the parser, so no body can overflow the stack here.
 */
function findNul(root: unknown): string | undefined {
  const stack: Array<{ node: unknown; path: string[] }> = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return path.join('.') || '(body)';
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH) throw tooDeep();
    const entries = Object.entries(node);
    for (const [k] of entries) if (k.includes('\u0000')) return [...path, k.replace(/\u0000/g, '\\0')].join('.');
    // Pushed in reverse, so the first property is looked at first.
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ node: entries[i]![1], path: [...path, entries[i]![0]] });
  }
  return undefined;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** A display-ish string: trimmed, non-empty, bounded. */
export const text = (max = 256) => z.string().trim().min(1).max(max);
export const optionalText = (max = 256) => z.string().trim().max(max).nullable().optional();
