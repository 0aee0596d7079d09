/**
 * `foyer user set-password` and `foyer user revoke-sessions`: what an operator does for a person who
 * forgot a password or lost a device, without the Graph API. Both end the user's sign-ins made until now
 * (browser sessions, refresh tokens, and access tokens at Foyer's own APIs), as the Graph calls do. The
 * password comes from FOYER_USER_PASSWORD, standard input or a prompt, never from the process list.
 */
import type { Command } from 'commander';
import type { CliHelpers } from '../platform/cli/helpers.js';
import type { CollectionQuery } from '../platform/odata/query.js';
import { findDeletedUser, listDeletedUsers, purgeUser, restoreUser } from './deleted-users.js';
import { requireTenant } from './tenants.js';
import { listUsers } from './user-list.js';
import { deleteUser, revokeSignInSessions, type User, updateUser } from './users.js';

const signInsEnded = 'Their sign-ins made until now have ended: they sign in again everywhere.';

export function registerUserSessionCli(program: Command, { io, withContext, print, readSecret }: CliHelpers): void {
  // `foyer user create` is the composition root's; these join it under the same `user` command.
  const user = program.commands.find((c) => c.name() === 'user') ?? program.command('user').description('users');

  user
    .command('set-password')
    .description("set a member's password (ends their sign-ins made until now)")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <user>', 'the user: object id or userPrincipalName')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--force-change', 'the user must choose a new password at the next sign-in (Graph: forceChangePasswordNextSignIn)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; passwordStdin?: boolean; forceChange?: boolean; json?: boolean }) => {
      const password = await readSecret({
        fromStdin: opts.passwordStdin,
        envName: 'FOYER_USER_PASSWORD',
        prompt: 'New password',
        stdinFlag: '--password-stdin',
      });
      const changed = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        return updateUser(ctx, tenant.id, opts.user, { password, forceChangePassword: opts.forceChange === true });
      });
      const value = { id: changed.id, userPrincipalName: changed.userPrincipalName, signInSessionsValidFromDateTime: iso(changed.signInSessionsValidFrom) };
      const owed = opts.forceChange ? ' They choose a new one at their next sign-in.' : '';
      print(
        !!opts.json,
        { ...value, forceChangePasswordNextSignIn: opts.forceChange === true },
        `New password set for ${changed.userPrincipalName}.${owed} ${signInsEnded}`,
      );
    });

  user
    .command('revoke-sessions')
    .description("end a user's sign-ins made until now, as Graph's revokeSignInSessions")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <user>', 'the user: object id or userPrincipalName')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; json?: boolean }) => {
      const revoked = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        return revokeSignInSessions(ctx, tenant.id, opts.user);
      });
      const value = { id: revoked.id, userPrincipalName: revoked.userPrincipalName, signInSessionsValidFromDateTime: iso(revoked.signInSessionsValidFrom) };
      print(!!opts.json, value, `Revoked the sign-in sessions of ${revoked.userPrincipalName}. ${signInsEnded}`);
    });
}

/**
 * `foyer user delete|restore|purge` and `foyer user list [--deleted]`: Graph's `DELETE /users/{id}` (kept
 * restorable for 30 days), `directory/deletedItems/{id}/restore` and the purge, for an operator without
 * the API. Audited with the command line as the actor.
 */
export function registerDeletedUserCli(program: Command, { io, withContext, print }: CliHelpers): void {
  const user = program.commands.find((c) => c.name() === 'user') ?? program.command('user').description('users');
  const actor = { kind: 'cli', displayName: 'foyer command line' } as const;
  const view = (u: User) => ({
    id: u.id,
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    userType: u.userType,
    ...(u.deletedAt === undefined ? {} : { deletedDateTime: iso(u.deletedAt) }),
  });

  user
    .command('list')
    .description("the tenant's users by name, or with --deleted the deleted ones (restorable for 30 days), most recently deleted first")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--deleted', 'list the deleted users instead')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; deleted?: boolean; json?: boolean }) => {
      const users = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        const all: User[] = [];
        let after: CollectionQuery['after'];
        do {
          const query: CollectionQuery = {
            select: ['id', 'userPrincipalName', 'displayName', 'userType', 'deletedDateTime'],
            top: 999,
            count: false,
            orderBy: opts.deleted ? { property: 'deletedDateTime', direction: 'desc' } : { property: 'displayName', direction: 'asc' },
            ...(after ? { after } : {}),
          };
          const page = opts.deleted
            ? await listDeletedUsers(ctx.db.kysely, ctx.db.dialect, tenant.id, query)
            : await listUsers(ctx.db.kysely, ctx.db.dialect, tenant.id, query);
          all.push(...page.users);
          after = page.next;
        } while (after);
        return all;
      });
      const lines = users.map((u) => `${u.id}  ${u.userPrincipalName}  ${u.displayName}${u.deletedAt === undefined ? '' : `  deleted ${iso(u.deletedAt)}`}`);
      const none = opts.deleted ? 'No deleted users.' : 'No users.';
      print(!!opts.json, users.map(view), lines.length ? lines.join('\n') : none);
    });

  user
    .command('delete')
    .description('delete a user: they cannot sign in and disappear from the directory, restorable for 30 days (foyer user restore)')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <user>', 'the user: object id or userPrincipalName')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; json?: boolean }) => {
      const deleted = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        const gone = await deleteUser(ctx, tenant.id, opts.user, actor);
        return (await findDeletedUser(ctx.db.kysely, tenant.id, gone.id)) ?? gone;
      });
      print(
        !!opts.json,
        view(deleted),
        `Deleted ${opts.user} (${deleted.id}): their sign-ins have ended. Restore within 30 days with: foyer user restore --tenant ${opts.tenant} --user ${deleted.id}`,
      );
    });

  user
    .command('restore')
    .description('restore a deleted user with their groups, roles, sponsors and sign-in methods')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <id>', "the deleted user's object id")
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; json?: boolean }) => {
      const restored = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        return restoreUser(ctx, tenant.id, opts.user, actor);
      });
      print(!!opts.json, view(restored), `Restored ${restored.userPrincipalName} (${restored.id}).`);
    });

  user
    .command('purge')
    .description('delete a deleted user for good, now, with everything kept for a restore')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <id>', "the deleted user's object id")
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; json?: boolean }) => {
      const purged = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        return purgeUser(ctx, tenant.id, opts.user, actor);
      });
      print(!!opts.json, view(purged), `Purged ${purged.id} (${purged.userPrincipalName}): it cannot be restored.`);
    });
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
