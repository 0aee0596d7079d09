/**
 * Microsoft Graph permissions Foyer understands, by their Graph names. Application permissions arrive in
 * the access token's `roles` claim (client credentials); delegated ones in `scp` (a person signed in
 * through an app), where the person's own directory roles apply as well.
 */
export const graphPermissions = [
  'User.Read',
  'User.Read.All',
  'User.ReadBasic.All',
  'User.ReadWrite.All',
  'User-PasswordProfile.ReadWrite.All',
  'User.RevokeSessions.All',
  'User.DeleteRestore.All',
  'User.Invite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'GroupMember.Read.All',
  'GroupMember.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Organization.Read.All',
  'Organization.ReadWrite.All',
  'Policy.Read.All',
  'Policy.ReadWrite.Authorization',
  'Policy.Read.B2BManagementPolicy',
  'Policy.ReadWrite.B2BManagementPolicy',
  'Policy.ReadWrite.CrossTenantAccess',
  'Policy.ReadWrite.AuthenticationMethod',
  'Policy.ReadWrite.ConditionalAccess',
  'Policy.ReadWrite.ExternalIdentities',
  'UserAuthenticationMethod.Read',
  'UserAuthenticationMethod.Read.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'IdentityProvider.Read.All',
  'IdentityProvider.ReadWrite.All',
  'AuditLog.Read.All',
  'AccessReview.Read.All',
  'AccessReview.ReadWrite.All',
  'RoleManagement.Read.Directory',
  'RoleManagement.ReadWrite.Directory',
  'Application.Read.All',
  'Application.ReadWrite.All',
  'Application.ReadWrite.OwnedBy',
  'AppRoleAssignment.ReadWrite.All',
  'Agreement.Read.All',
  'Agreement.ReadWrite.All',
  'AgreementAcceptance.Read.All',
] as const;

export type GraphPermission = (typeof graphPermissions)[number];

/** Permissions that exist only as delegated scopes (they act on the signed-in person). */
export const delegatedOnly: ReadonlySet<string> = new Set(['User.Read', 'UserAuthenticationMethod.Read']);

/** Canonical spelling of a permission name typed in any letter case, or undefined. */
export function canonicalPermission(name: string): GraphPermission | undefined {
  return graphPermissions.find((p) => p.toLowerCase() === name.trim().toLowerCase());
}
