/**
 * Who may make a sensitive change to a user: reset their password, change their sign-in name, disable,
 * delete, or turn them into a guest. As in Entra, holders of administrator roles are protected from
 * administrators below them and from apps: otherwise a User Administrator, or any app with
 * User.ReadWrite.All, could take over a Global Administrator's account. A pure function, table-tested.
 */
import { FoyerError } from '../platform/errors/foyer-error.js';
import { directoryRoles } from './roles.js';

/**
 * `redemption`: resetting an invited user's redemption, which lets a new identity be bound to the account.
 * `signInSessions`: revoking the user's sign-in sessions (Entra counts "invalidate refresh tokens" among
 * the sensitive actions: it would let a lesser administrator sign a Global Administrator out at will).
 */
export type SensitiveChange = 'password' | 'userPrincipalName' | 'accountEnabled' | 'userType' | 'mail' | 'delete' | 'redemption' | 'signInSessions';

export interface Actor {
  kind: 'app' | 'user';
  /** Application permissions (app) or delegated permissions (user). */
  permissions: ReadonlySet<string>;
  /** The signed-in person's directory roles (delegated calls). */
  roleIds: ReadonlySet<string>;
}

const GA = directoryRoles.globalAdministrator.id;
const UA = directoryRoles.userAdministrator.id;
const AA = directoryRoles.authenticationAdministrator.id;
const PAA = directoryRoles.privilegedAuthenticationAdministrator.id;

/** Permissions that let an app set a password (Graph: User-PasswordProfile.ReadWrite.All or higher). */
export const passwordPermissions = ['User-PasswordProfile.ReadWrite.All', 'Directory.ReadWrite.All'] as const;

export function assertMayChangeUser(actor: Actor, targetRoleIds: ReadonlySet<string>, changes: ReadonlySet<SensitiveChange>): void {
  if (changes.size === 0) return;
  const refuse = (detail: string) => {
    throw new FoyerError('auth.insufficient_privileges', 'Insufficient privileges to complete the operation.', detail);
  };
  if (changes.has('password') && actor.kind === 'app' && !passwordPermissions.some((p) => actor.permissions.has(p))) {
    refuse(`setting a password needs one of ${passwordPermissions.join(', ')}`);
  }
  // The authentication administrators reset others' second factors: a User Administrator who could set
  // their password could take their role, so only a Global Administrator changes them.
  const protectedBy = targetRoleIds.has(GA) || targetRoleIds.has(PAA) || targetRoleIds.has(AA) ? [GA] : targetRoleIds.has(UA) ? [GA, UA] : undefined;
  if (!protectedBy) return;
  if (actor.kind === 'app') refuse('apps cannot make sensitive changes to administrators');
  if (!protectedBy.some((r) => actor.roleIds.has(r))) refuse('the target holds an administrator role above the caller');
}

/**
 * Who may read or remove another person's authentication methods (Graph's `…/authentication/…Methods`;
 * after a removal the person registers again at their next sign-in). Entra's table "Who can reset
 * passwords" (learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions),
 * which also bounds reading them, for the roles Foyer has:
 *
 * | Target holds                            | Authentication Admin | Privileged Authentication Admin | Global Admin |
 * | --------------------------------------- | -------------------- | ------------------------------- | ------------ |
 * | no role, Guest Inviter                  | yes                  | yes                             | yes          |
 * | Authentication Administrator            | yes                  | yes                             | yes          |
 * | User Administrator                      | no                   | yes                             | yes          |
 * | Privileged Authentication Administrator | no                   | yes                             | yes          |
 * | Global Administrator                    | no                   | yes                             | yes          |
 *
 * A User Administrator or Guest Inviter manages no one's authentication methods. An app holding the
 * application permission reaches anyone but the tenant's top accounts, Global and Privileged
 * Authentication Administrators: Foyer's choice, so that no app credential can strip those of their second
 * factor (Entra lets such an app reach anyone). The command line is the operator and is not asked.
 */
export function mayResetAuthenticationMethods(actor: Pick<Actor, 'kind' | 'roleIds'>, targetRoleIds: ReadonlySet<string>): boolean {
  if (actor.kind === 'app') return !targetRoleIds.has(GA) && !targetRoleIds.has(PAA);
  if (actor.roleIds.has(GA) || actor.roleIds.has(PAA)) return true;
  if (actor.roleIds.has(AA)) return ![GA, UA, PAA].some((r) => targetRoleIds.has(r));
  return false;
}

/** Throws Graph's 403 unless `mayResetAuthenticationMethods`; `access` names what was refused in the private detail. */
export function assertMayResetAuthenticationMethods(
  actor: Pick<Actor, 'kind' | 'roleIds'>,
  targetRoleIds: ReadonlySet<string>,
  access: 'read' | 'reset' = 'reset',
): void {
  if (mayResetAuthenticationMethods(actor, targetRoleIds)) return;
  throw new FoyerError(
    'auth.insufficient_privileges',
    'Insufficient privileges to complete the operation.',
    `the target holds an administrator role whose authentication methods the caller may not ${access}`,
  );
}
