/**
 * Users of a tenant: members (who hold a password here) and, from the invitation feature on, guests
 * (who point at a home identity through `user_identities`): finding them, creating members, changing and
 * deleting users. What other features keep about a user (sessions, invitation links) they end themselves
 * on the events published here (directory/events.ts). Listing is in user-list.ts, storage in user-rows.ts.
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { type Executor, isUniqueViolation } from '../platform/storage/database.js';
import type { UsersTable } from '../platform/storage/schema.js';
import { type Actor, activities, recordAudit } from './audit-log.js';
import { beginDirectoryWrite, directoryTransaction, markAccountsChanged, markUsersChanged } from './changes.js';
import { markUserDeleted } from './deleted-user-rows.js';
import { parseEmailAddress } from './domains.js';
import { publishDirectoryEvent } from './events.js';
import { findHomedGuests } from './identities.js';
import { issuerFor } from './issuers.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { directoryRoles } from './roles.js';
import { replaceSearchTokens } from './search-tokens.js';
import { listTenantDomains } from './tenants.js';
import { insertUserRow, profileColumns, type User, type UserProfile, upnTaken, userFromRow, withSearchCopies } from './user-rows.js';

export type { ObjectIdentity, User, UserProfile } from './user-rows.js';
export { userFromRow } from './user-rows.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `users/{id | userPrincipalName}` as Graph addresses a user. */
export async function findUser(db: Executor, tenantId: string, idOrUpn: string): Promise<User | undefined> {
  const key = idOrUpn.trim();
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where(UUID.test(key) ? 'id' : 'upn_lower', '=', key.toLowerCase())
    .executeTakeFirst();
  return row ? userFromRow(row) : undefined;
}

export async function requireUser(db: Executor, tenantId: string, idOrUpn: string): Promise<User> {
  const user = await findUser(db, tenantId, idOrUpn);
  if (!user) {
    throw new FoyerError('directory.not_found', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`);
  }
  return user;
}

/** The tenant's members who may sign in here with a password: not deleted, and not invited as members
 * (people invited as members sign in with their home identity, never with a password here). */
function membersWhoSignInHere(db: Executor, tenantId: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where('user_type', '=', 'Member')
    .where((eb) => eb.or([eb('creation_type', 'is', null), eb('creation_type', '<>', 'Invitation')]));
}

/**
 * The member whose UPN or mail is `address` in this tenant. Not for a tenant's own sign-in page, which
 * must not answer a private `mail` differently from an unknown address: see findMemberByUserPrincipalName.
 */
export async function findMemberBySignInName(db: Executor, tenantId: string, address: string): Promise<(User & { passwordHash: string | null }) | undefined> {
  const lower = address.trim().toLowerCase();
  const rows = await membersWhoSignInHere(db, tenantId)
    .where((eb) => eb.or([eb('upn_lower', '=', lower), eb('mail_lower', '=', lower)]))
    .orderBy('upn_lower')
    .execute();
  // A UPN match wins over a mail match: the UPN is unique, mail need not be.
  const row = rows.find((r) => r.upn_lower === lower) ?? (rows.length === 1 ? rows[0] : undefined);
  return row ? { ...userFromRow(row), passwordHash: row.password_hash } : undefined;
}

/**
 * The member who signs in with `address` on this tenant's sign-in page: by sign-in name only, a
 * userPrincipalName on one of the tenant's verified domains. Never by `mail` or `otherMails`: those may be
 * private addresses on any domain, and answering them differently from unknown addresses would tell
 * anyone who types an address whether its owner is a member here.
 */
export async function findMemberByUserPrincipalName(
  db: Executor,
  tenantId: string,
  address: string,
): Promise<(User & { passwordHash: string | null }) | undefined> {
  const lower = address.trim().toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  const row = await membersWhoSignInHere(db, tenantId)
    .where('upn_lower', '=', lower)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('tenant_domains')
          .select('tenant_domains.domain')
          .where('tenant_domains.tenant_id', '=', tenantId)
          .where('tenant_domains.domain', '=', domain)
          .where('tenant_domains.is_verified', '=', 1),
      ),
    )
    .executeTakeFirst();
  return row ? { ...userFromRow(row), passwordHash: row.password_hash } : undefined;
}

export interface NewMember extends Omit<UserProfile, 'displayName' | 'userType'> {
  userPrincipalName: string;
  displayName: string;
  password: string;
  /** Graph's `forceChangePasswordNextSignIn`: the member chooses their own password at the first sign-in. */
  forceChangePassword?: boolean;
}

/** Creates a member whose UPN is on one of the tenant's verified domains. */
export async function createMember(ctx: AppContext, tenantId: string, input: NewMember): Promise<User> {
  const { userPrincipalName, displayName, password, mail: mailInput, forceChangePassword, ...profile } = input;
  const upn = parseEmailAddress(userPrincipalName);
  if (!upn) {
    throw new FoyerError('request.invalid_body', `'${userPrincipalName}' is not a valid userPrincipalName.`);
  }
  const domains = await listTenantDomains(ctx.db.kysely, tenantId);
  const initial = domains.find((d) => d.isInitial)!;
  if (!domains.some((d) => d.isVerified && d.domain === upn.domain)) {
    throw new FoyerError(
      'directory.domain_not_verified',
      `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization (${domains
        .filter((d) => d.isVerified)
        .map((d) => d.domain)
        .join(', ')}).`,
    );
  }
  const mail = mailInput === undefined || mailInput === null ? upn : parseEmailAddress(mailInput);
  if (!mail) throw new FoyerError('request.invalid_body', `'${mailInput}' is not a valid mail address.`);
  assertPasswordAcceptable(ctx, password, {
    userPrincipalName: upn.address,
    mail: mail.address,
    displayName,
    givenName: profile.givenName ?? null,
    surname: profile.surname ?? null,
  });
  const passwordHash = await hashPassword(password);
  const extra = { ...profileColumns(profile), must_change_password: forceChangePassword ? 1 : 0 };
  const id = newId();
  const now = ctx.clock.now();
  await directoryTransaction(ctx.db, async (trx) => {
    await beginDirectoryWrite(trx, tenantId);
    await insertUserRow(trx, { id, tenantId, upn: upn.address, issuer: initial.domain, mail: mail.address, displayName, passwordHash, now, extra });
  });
  return (await findUser(ctx.db.kysely, tenantId, id))!;
}

export interface UserPatch extends UserProfile {
  userPrincipalName?: string;
  password?: string;
  /** With `password` (Graph's `forceChangePasswordNextSignIn`): the member must replace it at the next sign-in. */
  forceChangePassword?: boolean;
}

/**
 * Ends every sign-in `userId` made before `now`, and those of the guests it is the home identity of (a
 * disabled, re-passworded or revoked home account ends its sign-ins everywhere), in the caller's
 * transaction: their `signInSessionsValidFromDateTime` moves to `now`, so Foyer's APIs refuse the access
 * tokens issued before, and the OpenID feature deletes their sessions, grants and refresh tokens.
 */
/**
 * The first statement of a transaction that will end `userId`'s sign-ins (endSignIns): takes the change
 * counters of the user's tenant and of every tenant where the account is a guest's home identity, in
 * tenant-id order (beginDirectoryWrite). The guests are read before any lock; endSignIns reads them again.
 */
export async function beginAccountWrite(ctx: AppContext, trx: Executor, tenantId: string, userId: string): Promise<void> {
  const homedGuests = await findHomedGuests(trx, issuerFor(ctx.config.publicUrl, tenantId), userId);
  await beginDirectoryWrite(
    trx,
    tenantId,
    homedGuests.map((g) => g.tenantId),
  );
}

export async function endSignIns(ctx: AppContext, trx: Executor, tenantId: string, userId: string, now: number): Promise<void> {
  const homedGuests = await findHomedGuests(trx, issuerFor(ctx.config.publicUrl, tenantId), userId);
  const ids = [userId, ...homedGuests.map((g) => g.userId)];
  await trx.updateTable('users').set({ sign_in_sessions_valid_from: now }).where('id', 'in', ids).execute();
  await markAccountsChanged(trx, [{ tenantId, userId }, ...homedGuests]);
  await publishDirectoryEvent(ctx, 'user.signInsRevoked', { tx: trx, account: { tenantId, userId }, homedGuests });
}

/**
 * Graph's `revokeSignInSessions`: the user's sign-ins made until now end (browser sessions, refresh
 * tokens, and the access tokens Foyer's own APIs would otherwise honour until they expire). Used when a
 * device is lost or an account may be compromised.
 */
export async function revokeSignInSessions(ctx: AppContext, tenantId: string, idOrUpn: string): Promise<User> {
  const user = await requireUser(ctx.db.kysely, tenantId, idOrUpn);
  await directoryTransaction(ctx.db, async (trx) => {
    await beginAccountWrite(ctx, trx, tenantId, user.id);
    await endSignIns(ctx, trx, tenantId, user.id, ctx.clock.now());
  });
  return (await findUser(ctx.db.kysely, tenantId, user.id))!;
}

export async function updateUser(ctx: AppContext, tenantId: string, idOrUpn: string, patch: UserPatch): Promise<User> {
  const user = await requireUser(ctx.db.kysely, tenantId, idOrUpn);
  const { userPrincipalName, password, forceChangePassword, ...profile } = patch;
  const set: Partial<UsersTable> = profileColumns(profile);
  let newUpn: string | undefined;
  if (userPrincipalName !== undefined && userPrincipalName.toLowerCase() !== user.userPrincipalName.toLowerCase()) {
    if (user.userType === 'Guest') {
      throw new FoyerError('request.invalid_body', "A guest's userPrincipalName is derived from the invited address and cannot be changed.");
    }
    const upn = parseEmailAddress(userPrincipalName);
    if (!upn) throw new FoyerError('request.invalid_body', `'${userPrincipalName}' is not a valid userPrincipalName.`);
    const domains = await listTenantDomains(ctx.db.kysely, tenantId);
    if (!domains.some((d) => d.isVerified && d.domain === upn.domain)) {
      throw new FoyerError(
        'directory.domain_not_verified',
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      );
    }
    newUpn = upn.address;
    set.user_principal_name = upn.address;
    set.upn_lower = upn.lower;
  } else if (userPrincipalName !== undefined && userPrincipalName !== user.userPrincipalName) {
    set.user_principal_name = userPrincipalName; // a change of letter case only
  }
  if (password !== undefined) {
    if (user.userType === 'Guest' && !user.hasPassword) {
      throw new FoyerError('request.invalid_body', 'Guests have no password here: they sign in with their home identity.');
    }
    assertPasswordAcceptable(ctx, password, {
      userPrincipalName: newUpn ?? user.userPrincipalName,
      mail: profile.mail === undefined ? user.mail : profile.mail,
      displayName: profile.displayName ?? user.displayName,
      givenName: profile.givenName === undefined ? user.givenName : profile.givenName,
      surname: profile.surname === undefined ? user.surname : profile.surname,
    });
    set.password_hash = await hashPassword(password);
    // Every reset says it anew: a reset without the flag (Graph's default, false) owes no change.
    set.must_change_password = forceChangePassword ? 1 : 0;
  }
  if (Object.keys(set).length === 0) return user;
  // A new password or a disabled account ends every sign-in made before: sessions, refresh tokens,
  // access tokens at Foyer's APIs.
  const revoke = password !== undefined || (patch.accountEnabled === false && user.accountEnabled);
  const now = ctx.clock.now();

  await directoryTransaction(ctx.db, async (trx) => {
    if (revoke) await beginAccountWrite(ctx, trx, tenantId, user.id);
    else await beginDirectoryWrite(trx, tenantId);
    if (patch.accountEnabled === false && user.accountEnabled) await assertNotLastGlobalAdmin(trx, tenantId, user.id);
    if (revoke) await endSignIns(ctx, trx, tenantId, user.id, now);
    if (newUpn) {
      const taken = await trx.selectFrom('users').select('id').where('upn_lower', '=', newUpn.toLowerCase()).where('id', '<>', user.id).executeTakeFirst();
      if (taken) throw upnTaken();
      await trx
        .updateTable('user_identities')
        .set({ issuer_assigned_id: newUpn })
        .where('user_id', '=', user.id)
        .where('sign_in_type', '=', 'userPrincipalName')
        .execute();
    }
    const updated = await trx
      .updateTable('users')
      .set(withSearchCopies(set))
      .where('id', '=', user.id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()
      .catch((err: unknown) => {
        throw isUniqueViolation(err) ? upnTaken() : err;
      });
    // Deleted since it was read (a DELETE committed meanwhile): 404, and no orphan words.
    if (Number(updated.numUpdatedRows) === 0) await requireUser(trx, tenantId, user.id);
    await markUsersChanged(trx, tenantId, [user.id]);
    if (set.display_name !== undefined) await replaceSearchTokens(trx, tenantId, 'user', user.id, { displayName: set.display_name });
  });
  return (await findUser(ctx.db.kysely, tenantId, user.id))!;
}

/**
 * Deletes a user softly (Graph's `DELETE /users/{id}`): the user disappears from every list and lookup and
 * cannot sign in (their sign-ins end), but stays restorable for 30 days with their identities,
 * memberships, roles, sponsors and MFA methods (deleted-users.ts: restore, purge, the housekeeping).
 * Audited as Entra's "Delete external user" for an invited user, "Delete user" otherwise; the invitation
 * feature ends their outstanding links (on `user.deleted`).
 */
export async function deleteUser(ctx: AppContext, tenantId: string, idOrUpn: string, actor?: Actor): Promise<User> {
  const user = await requireUser(ctx.db.kysely, tenantId, idOrUpn);
  await directoryTransaction(ctx.db, async (trx) => {
    await beginAccountWrite(ctx, trx, tenantId, user.id);
    await requireUser(trx, tenantId, user.id); // deleted meanwhile: 404, and no second deletion in the log
    if (!(await softDeleteUser(ctx, trx, tenantId, user, actor ?? { kind: 'system', displayName: 'Foyer' }))) await requireUser(trx, tenantId, user.id);
  });
  return user;
}

/**
 * The soft deletion itself, in the caller's directory write (begun with beginAccountWrite): the last
 * Global Administrator kept, sign-ins ended, the row marked, `user.deleted` published, the deletion
 * audited. False when the user was deleted meanwhile (nothing done). Also used by an access review's
 * deletion of a denied guest, which checks its own conditions in the same write first.
 */
export async function softDeleteUser(ctx: AppContext, trx: Executor, tenantId: string, user: User, actor: Actor): Promise<boolean> {
  await assertNotLastGlobalAdmin(trx, tenantId, user.id);
  const now = ctx.clock.now();
  await endSignIns(ctx, trx, tenantId, user.id, now);
  if (!(await markUserDeleted(trx, tenantId, user, now))) return false;
  const invited = user.creationType === 'Invitation';
  await publishDirectoryEvent(ctx, 'user.deleted', { tx: trx, account: { tenantId, userId: user.id }, invited, now });
  await recordAudit(trx, {
    tenantId,
    activity: invited ? activities.deleteGuest : activities.deleteUser,
    category: 'UserManagement',
    ...(invited ? {} : { service: 'Core Directory' }),
    operationType: 'Delete',
    result: 'success',
    actor,
    targets: [{ id: user.id, type: 'User', displayName: user.displayName, userPrincipalName: user.userPrincipalName }],
    correlationId: newId(),
    at: now,
  });
  return true;
}

/**
 * A tenant must keep one enabled Global Administrator, or nobody could ever administer it again through
 * the API. Refuses to delete, disable or un-assign the last one.
 */
export async function assertNotLastGlobalAdmin(trx: Executor, tenantId: string, userId: string): Promise<void> {
  const admins = await trx
    .selectFrom('role_assignments')
    .innerJoin('users', 'users.id', 'role_assignments.principal_id')
    .select('users.id')
    .where('role_assignments.tenant_id', '=', tenantId)
    .where('role_assignments.role_template_id', '=', directoryRoles.globalAdministrator.id)
    .where('users.account_enabled', '=', 1)
    .where('users.deleted_at', 'is', null)
    .execute();
  if (admins.length === 1 && admins[0]!.id === userId) {
    throw new FoyerError(
      'directory.last_global_administrator',
      "This is the tenant's last enabled Global Administrator; assign the role to someone else first.",
    );
  }
}

export async function listRoleIdsOf(db: Executor, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('role_assignments')
    .select('role_template_id')
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', userId)
    .execute();
  return rows.map((r) => r.role_template_id);
}
