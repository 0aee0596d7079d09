/**
 * `foyer user set-password` and `foyer user revoke-sessions`: what an operator does for a person who
 * forgot a password or lost a device, without the Graph API. Both end the user's sign-ins made until now
 * (browser sessions, refresh tokens, and access tokens at Foyer's own APIs), as the Graph calls do. The
 * password comes from FOYER_USER_PASSWORD, standard input or a prompt, never from the process list.
 */
import type { Command } from 'commander';
import type { CliHelpers } from '../platform/cli/helpers.js';
import { requireTenant } from './tenants.js';
import { revokeSignInSessions, updateUser } from './users.js';

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

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
