/**
 * The issuer URL of a tenant's OpenID provider. Pure, and below every feature: the directory names a
 * member's home issuer in `user_identities`, the OpenID provider issues under it, the sign-in pages
 * compare against it.
 */
export function issuerFor(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/${tenantId}/v2.0`;
}
