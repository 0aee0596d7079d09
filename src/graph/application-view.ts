/**
 * Graph's `application` and `passwordCredential` resources as Foyer shows them, over HTTP and in the
 * command line's `--json` output alike: the response allow-list, with no secret in it.
 */
import { applicationsCollection } from '../directory/application-list.js';
import type { PasswordCredential } from '../directory/application-secrets.js';
import type { Application } from '../directory/applications.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Graph's `passwordCredential`; `secretText` is null everywhere except in addPassword's response. */
export function toPasswordCredential(c: PasswordCredential, secretText: string | null = null): Record<string, unknown> {
  return {
    customKeyIdentifier: null,
    displayName: c.displayName,
    endDateTime: iso(c.endDateTime),
    hint: c.hint,
    keyId: c.keyId,
    secretText,
    startDateTime: iso(c.startDateTime),
  };
}

/** The Graph `application` resource with exactly the `select`ed properties (the response allow-list). */
export function toGraphApplication(
  a: Application,
  credentials: PasswordCredential[],
  select: readonly string[] = applicationsCollection.defaultSelect,
): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: a.id,
    appId: a.appId,
    displayName: a.displayName,
    createdDateTime: iso(a.createdAt),
    signInAudience: 'AzureADMyOrg',
    isFallbackPublicClient: a.publicClient,
    // A confidential client's URIs are Graph's `web` platform; a public client's, `publicClient`.
    web: { redirectUris: a.publicClient ? [] : a.redirectUris },
    publicClient: { redirectUris: a.publicClient ? a.redirectUris : [] },
    spa: { redirectUris: [] },
    passwordCredentials: credentials.map((c) => toPasswordCredential(c)),
    keyCredentials: [],
  };
  return Object.fromEntries(select.map((k) => [k, all[k]]));
}
