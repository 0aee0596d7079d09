/**
 * Request bodies of the Graph-compatible API are checked by zod schemas at the edge. Unknown properties
 * are refused (Graph: "Property 'x' does not exist as a declared property"), except OData annotations
 * (`@odata.type` and friends) that SDKs add.
 */
import { z } from 'zod';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { MAX_JSON_DEPTH, tooDeep } from '../platform/json-body.js';

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FoyerError('request.invalid_json', 'The request body must be a JSON object.');
  }
  const cleaned = Object.fromEntries(Object.entries(body).filter(([k]) => !k.startsWith('@odata.')));
  const nul = findNul(cleaned);
  if (nul) throw new FoyerError('request.malformed', `Property '${nul}' contains a NUL character.`);
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const where = path ? `${path}.${key}` : key;
    throw new FoyerError('request.invalid_body', `Property '${where}' does not exist as a declared property or extension property.`);
  }
  if (issue.code === 'invalid_type' && valueAt(cleaned, issue.path) === undefined) {
    throw new FoyerError('request.invalid_body', `Property '${path}' is required.`);
  }
  throw new FoyerError('request.invalid_body', `Invalid value for property '${path}': ${issue.message}.`);
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
