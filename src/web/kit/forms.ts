/**
 * Form bodies parsed at the edge with zod: a handler receives typed values, never `request.body as …`.
 * Pages answer a malformed field the way a browser would have sent an empty one (the page then says
 * what is missing), so the field schemas here default rather than throw.
 */
import { z } from 'zod';

/** A text field: its string value, '' when absent or not a single string, cut to `max` characters if given. */
export function textField(max?: number) {
  return z
    .string()
    .catch('')
    .transform((s) => (max === undefined ? s : s.slice(0, max)));
}

/** A text field kept as sent (or undefined), for parsers such as parseEmailAddress that judge it themselves. */
export const rawField = z.unknown();

/** Parses a form body (urlencoded, already decoded by Fastify) with `schema`. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return schema.parse(typeof body === 'object' && body !== null ? body : {});
}
