/**
 * The issuer URL of a tenant's OpenID provider. Pure, and below every feature: the directory names a
 * member's home issuer in `user_identities`, the OpenID provider issues under it, the sign-in pages
 * compare against it.
 */
export function issuerFor(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/${tenantId}/v2.0`;
}

/** The tenant a tenant issuer names (`{publicUrl}/{tenantId}/v2.0`), when it is one of this instance's. */
export function tenantOfIssuer(publicUrl: string, issuer: string | undefined): string | undefined {
  if (!issuer?.startsWith(`${publicUrl}/`) || !issuer.endsWith('/v2.0')) return undefined;
  const id = issuer.slice(publicUrl.length + 1, -'/v2.0'.length);
  return /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
}
