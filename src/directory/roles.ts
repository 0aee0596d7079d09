/**
 * Directory roles Foyer knows, by Entra's role template ids, so scripts that assign roles by template id
 * work unchanged.
 */
export const directoryRoles = {
  globalAdministrator: {
    id: '62e90394-69f5-4237-9190-012177145e10',
    displayName: 'Global Administrator',
    description: 'Can manage all aspects of the tenant.',
  },
  userAdministrator: {
    id: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
    displayName: 'User Administrator',
    description: 'Can manage all aspects of users and groups, including inviting guests and resetting redemption.',
  },
  guestInviter: {
    id: '95e79109-95c0-4d8e-aee3-d01accf2d47b',
    displayName: 'Guest Inviter',
    description: "Can invite guest users independent of the 'members can invite guests' setting.",
  },
  authenticationAdministrator: {
    id: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
    displayName: 'Authentication Administrator',
    description: 'Can access to view, set and reset authentication method information for any non-admin user.',
  },
  privilegedAuthenticationAdministrator: {
    id: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
    displayName: 'Privileged Authentication Administrator',
    description: 'Can access to view, set and reset authentication method information for any user (admin or non-admin).',
  },
} as const;

export type DirectoryRole = (typeof directoryRoles)[keyof typeof directoryRoles];

export const allRoles: readonly DirectoryRole[] = Object.values(directoryRoles);

export function roleByTemplateId(id: string): DirectoryRole | undefined {
  return allRoles.find((r) => r.id === id.toLowerCase());
}
