/**
 * An administrator's removal of a person's second factors, shared by the Graph API and `foyer user mfa
 * reset`: one method, or all of them with the recovery codes. Either way the person, left with no method,
 * registers a new one at their next sign-in that asks for MFA. Each method removed is audited as Entra's
 * "Admin deleted security info", in the transaction that removes it, so the log never claims a removal
 * that was rolled back. Who may do it to whom is `assertMayResetAuthenticationMethods`
 * (directory/protection.ts); the command line is the operator and is not asked.
 */
import { type Actor, type AuditEvent, activities, recordAudits } from '../directory/audit-log.js';
import type { User } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import { type AuthenticationMethod, deleteAllMethods, deleteMethod, findMethod, listMethods, type MethodKind } from './methods.js';

/** Graph's type of each kind of method (`@odata.type` without its namespace). */
export const graphMethodType: Readonly<Record<MethodKind, string>> = {
  softwareOath: 'softwareOathAuthenticationMethod',
  fido2: 'fido2AuthenticationMethod',
};

/** Entra's `loggedByService` for security-info events. */
const SERVICE = 'Authentication Methods';

function removalEvent(ctx: AppContext, user: User, method: AuthenticationMethod, actor: Actor, correlationId: string): AuditEvent {
  return {
    tenantId: user.tenantId,
    activity: activities.adminDeletedSecurityInfo,
    category: 'UserManagement',
    service: SERVICE,
    operationType: 'Delete',
    result: 'success',
    actor,
    targets: [{ id: user.id, type: 'User', displayName: user.displayName, userPrincipalName: user.userPrincipalName }],
    details: { methodType: graphMethodType[method.kind], methodId: method.id, methodDisplayName: method.displayName },
    correlationId,
    at: ctx.clock.now(),
  };
}

/**
 * Removes one method of the user, of the given kind (a passkey's id under `softwareOathMethods` is not
 * found); undefined when there is no such method. When it was the last one, the recovery codes go too:
 * they stand in for methods the person no longer has, and a stolen sheet of them must not outlive the reset.
 */
export async function removeMethodAsAdmin(
  ctx: AppContext,
  user: User,
  methodId: string,
  kind: MethodKind,
  actor: Actor,
): Promise<AuthenticationMethod | undefined> {
  return ctx.db.transaction(async (trx) => {
    const found = await findMethod(trx, user.tenantId, user.id, methodId);
    if (!found || found.kind !== kind) return undefined;
    if (!(await deleteMethod(trx, user.tenantId, user.id, found.id))) return undefined;
    if ((await listMethods(trx, user.tenantId, user.id)).length === 0) await deleteAllMethods(trx, user.tenantId, user.id);
    await recordAudits(trx, [removalEvent(ctx, user, found, actor, newId())]);
    return found;
  });
}

/** Removes every method and recovery code of the user; returns the methods removed (each audited, under one correlation id). */
export async function resetMethods(ctx: AppContext, user: User, actor: Actor): Promise<AuthenticationMethod[]> {
  return ctx.db.transaction(async (trx) => {
    const methods = await listMethods(trx, user.tenantId, user.id);
    await deleteAllMethods(trx, user.tenantId, user.id);
    const correlationId = newId();
    await recordAudits(
      trx,
      methods.map((m) => removalEvent(ctx, user, m, actor, correlationId)),
    );
    return methods;
  });
}
