/**
 * Graph's `application` and `passwordCredential` resources as Foyer shows them, over HTTP and in the
 * command line's `--json` output alike: the response allow-list, with no secret in it.
 */
import { applicationsCollection } from '../directory/application-list.js';
import type { PasswordCredential } from '../directory/application-secrets.js';
import type { Application } from '../directory/applications.js';
import type { applicationResource, directoryObjectResource } from '../directory/resources/index.js';
import type { SelectableProperty } from '../platform/odata/resource.js';

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

/**
 * The Graph `application` resource with exactly the `select`ed properties (the response allow-list); with
 * `owners`, also those, as Graph's `$expand=owners` shows them (the command line's `app show --json`).
 */
export function toGraphApplication(
  a: Application,
  credentials: PasswordCredential[],
  select: readonly string[] = applicationsCollection.defaultSelect,
  owners?: readonly Application[],
): Record<string, unknown> {
  // One entry for each selectable property of the application's description (a type error otherwise).
  const all: Record<string, unknown> = {
    id: a.id,
    deletedDateTime: null,
    appId: a.appId,
    displayName: a.displayName,
    createdDateTime: iso(a.createdAt),
    signInAudience: 'AzureADMyOrg',
    isFallbackPublicClient: a.publicClient,
    // A confidential client's URIs are Graph's `web` platform; a public client's, `publicClient`.
    // What Graph shows of `web` beyond the redirect URIs, as Foyer has it: none of these is kept.
    web: {
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: a.publicClient ? [] : a.redirectUris,
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    publicClient: { redirectUris: a.publicClient ? a.redirectUris : [] },
    spa: { redirectUris: [] },
    passwordCredentials: credentials.map((c) => toPasswordCredential(c)),
    keyCredentials: [],
    groupMembershipClaims: a.groupMembershipClaims,
  } satisfies Record<SelectableProperty<typeof applicationResource> | SelectableProperty<typeof directoryObjectResource>, unknown>;
  const out = Object.fromEntries(select.map((k) => [k, all[k]]));
  if (owners) out.owners = owners.map(toOwnerObject);
  return out;
}

/**
 * The app that owns another (`GET /applications/{id}/owners`) as Graph's directoryObject. Owners in Entra
 * are service principals; Foyer shows the owning app's object id as `id` (as it did before it had service
 * principals, so scripts that read it keep working) and its client id as `appId`.
 */
export function toOwnerObject(owner: Application): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.servicePrincipal', id: owner.id, appId: owner.appId, displayName: owner.displayName };
}
