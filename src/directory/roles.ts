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
  securityAdministrator: {
    id: '194ae4cb-b126-40b2-bd5b-6091b380977d',
    displayName: 'Security Administrator',
    description: 'Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.',
  },
  conditionalAccessAdministrator: {
    id: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9',
    displayName: 'Conditional Access Administrator',
    description: 'Can manage Conditional Access capabilities.',
  },
  // The readers: in Foyer they read what a rule names them for (the sign-in log and signInActivity), nothing more yet.
  globalReader: {
    id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
    displayName: 'Global Reader',
    description: 'Can read everything that a Global Administrator can, but not update anything.',
  },
  reportsReader: {
    id: '4a5d8f65-41da-4de4-8968-e035b65339cf',
    displayName: 'Reports Reader',
    description: 'Can read sign-in and audit reports.',
  },
  securityReader: {
    id: '5d6b6bb7-de71-4623-b4af-96380a352509',
    displayName: 'Security Reader',
    description: 'Can read security information and reports in Microsoft Entra ID and Office 365.',
  },
} as const;

export type DirectoryRole = (typeof directoryRoles)[keyof typeof directoryRoles];

export const allRoles: readonly DirectoryRole[] = Object.values(directoryRoles);

export function roleByTemplateId(id: string): DirectoryRole | undefined {
  return allRoles.find((r) => r.id === id.toLowerCase());
}
