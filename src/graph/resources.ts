/**
 * What the Graph API derives from the directory's resource descriptions: request body schemas whose
 * properties are exactly the settable ones, the refusal of read-only properties and of Graph properties
 * Foyer does not keep, and query parsing that names Foyer's limits as such.
 */
import { z } from 'zod';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { allProperties, type ResourceDescription, type SettableProperty, typeName, unsupportedProperties } from '../platform/odata/resource.js';

/**
 * A strict zod schema for a create or update body of `resource`. Its properties must be exactly those the
 * description makes settable there (a type error otherwise), and those required on create must not accept
 * a missing value (checked when the module loads).
 */
export function bodySchema<R extends ResourceDescription, On extends 'create' | 'update', S extends { [K in SettableProperty<R, On>]: z.ZodType }>(
  resource: R,
  on: On,
  shape: S & { [K in Exclude<keyof S, SettableProperty<R, On>>]: never },
) {
  const settable = allProperties(resource).filter(([, p]) => p[on] !== undefined);
  const names = new Set(settable.map(([name]) => name));
  const extra = Object.keys(shape).filter((k) => !names.has(k));
  const missing = [...names].filter((k) => !(k in shape));
  if (extra.length > 0 || missing.length > 0) {
    throw new Error(`${resource.name} ${on} body differs from its description: extra ${extra.join(', ') || '-'}; missing ${missing.join(', ') || '-'}`);
  }
  for (const [name, p] of settable) {
    const required = on === 'create' && p.create === 'required';
    if ((shape as Record<string, z.ZodType>)[name]!.safeParse(undefined).success === required) {
      throw new Error(`${resource.name}.${name} is ${required ? '' : 'not '}required on ${on} in its description, but not in its body schema`);
    }
  }
  return z.strictObject(shape);
}

/**
 * Refuses a body property that is described but not settable here ("read-only", as Graph says), or a
 * Graph property Foyer does not keep ("not supported by Foyer", with `why` appended), before the
 * schema's check would call it unknown.
 */
export function refuseUnsettable(body: unknown, resource: ResourceDescription, on: 'create' | 'update', why = ''): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const unsupported = unsupportedProperties(resource);
  const described = new Map(allProperties(resource));
  for (const key of Object.keys(body)) {
    if (unsupported.includes(key)) throw new FoyerError('request.invalid_body', `Property '${key}' is not supported by Foyer${why}.`);
    const p = described.get(key);
    if (!p || p[on] !== undefined) continue;
    if (p.create === undefined && p.update === undefined) throw new FoyerError('request.invalid_body', `Property '${key}' is read-only and cannot be set.`);
    throw new FoyerError(
      'request.invalid_body',
      `Property '${key}' cannot be set ${on === 'create' ? 'when creating' : 'when updating'} a ${resource.name}: not supported by Foyer${why}.`,
    );
  }
}

/**
 * Runs a query parse over `resource`, naming as "not supported by Foyer" a Graph property Foyer does not
 * keep, or a described property that cannot be selected or filtered on, where the generic parser would
 * say it does not exist.
 */
export function withFoyerLimits<T>(resource: ResourceDescription, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof FoyerError)) throw err;
    const name = /Could not find a property named '([^']+)' on type/.exec(err.message)?.[1]?.toLowerCase();
    if (name === undefined) throw err;
    const type = typeName(resource);
    const unsupported = unsupportedProperties(resource).find((p) => p.toLowerCase() === name);
    if (unsupported) throw new FoyerError('request.invalid_query', `Property '${unsupported}' of type '${type}' is not supported by Foyer.`);
    const described = allProperties(resource).find(([p]) => p.toLowerCase() === name)?.[0];
    if (!described) throw err;
    const what = err.message.startsWith('Invalid filter clause') ? 'Filtering on' : err.message.startsWith('Invalid $search') ? 'Searching' : 'Selecting';
    throw new FoyerError('request.invalid_query', `${what} property '${described}' of type '${type}' is not supported by Foyer.`);
  }
}
