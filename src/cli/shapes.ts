/**
 * Option parsers for values the command checks by their shape before it opens anything: a bad one is a
 * usage error (exit 2) that names the option, as commander's own are. What needs the database (is the
 * domain verified, does the tenant allow it) stays the domain's refusal (exit 1).
 */
import { checkRedirectUri } from '../directory/applications.js';
import { normalizeDomain } from '../directory/domains.js';
import { graphPermissions } from '../directory/permissions.js';
import { listOf, shaped, shapedList } from '../platform/cli/helpers.js';
import { FoyerError } from '../platform/errors/foyer-error.js';

/**
 * An e-mail address or sign-in name by its shape: one `@`, a domain name after it. The finer rules of
 * the directory (Entra's set of characters, no `+`) stay its refusals, with its message.
 */
export const emailAddress = (what: string) =>
  shaped((value) =>
    /^[^@\s]+@[^@\s]+$/.test(value.trim()) && normalizeDomain(value.slice(value.lastIndexOf('@') + 1))
      ? undefined
      : `It is not ${what}, like ada@contoso.example.`,
  );

/** Repeatable, comma-separated domain names. */
export const domainNames = shapedList((value) => (normalizeDomain(value) ? undefined : `'${value}' is not a domain name, like contoso.example.`));

/** Repeatable redirect URIs, each checked by the rule every registration obeys (absolute, https or loopback http, no fragment). */
export const redirectUris = shapedList((uri) => {
  try {
    checkRedirectUri(uri);
    return undefined;
  } catch (err) {
    if (err instanceof FoyerError) return err.message;
    throw err;
  }
});

/** Graph permission names, from the fixed list Foyer knows, in any letter case. */
export const permissionNames = listOf(graphPermissions);
