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
  const protectedBy = targetRoleIds.has(GA) ? [GA] : targetRoleIds.has(UA) ? [GA, UA] : undefined;
  if (!protectedBy) return;
  if (actor.kind === 'app') refuse('apps cannot make sensitive changes to administrators');
  if (!protectedBy.some((r) => actor.roleIds.has(r))) refuse('the target holds an administrator role above the caller');
}
