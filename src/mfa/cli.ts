/**
 * `foyer user mfa list` and `foyer user mfa reset`: an operator's view of a person's second factors, and
 * the reset that removes every one of them with the recovery codes (for a lost phone or key), so that the
 * person registers a new method at their next sign-in that asks for MFA. The same reset as an
 * administrator's through Graph (reset.ts), audited as "Admin deleted security info" with the command
 * line as the actor.
 */
import type { Command } from 'commander';
import { requireTenant } from '../directory/tenants.js';
import { requireUser, type User } from '../directory/users.js';
import type { CliHelpers } from '../platform/cli/helpers.js';
import { type AuthenticationMethod, listMethods } from './methods.js';
import { recoveryCodesLeft } from './recovery-codes.js';
import { graphMethodType, resetMethods } from './reset.js';

const CLI_ACTOR = { kind: 'cli' as const, displayName: 'foyer command line' };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A method as the command prints it: Graph's type name, never a secret or a key. */
const view = (m: AuthenticationMethod) => ({
  id: m.id,
  type: graphMethodType[m.kind],
  displayName: m.displayName,
  createdDateTime: iso(m.createdAt),
  lastUsedDateTime: iso(m.lastUsedAt),
  ...(m.kind === 'fido2' ? { aaGuid: m.aaguid, backedUp: m.backedUp } : {}),
});

const KIND_NAMES = { softwareOath: 'authenticator app', fido2: 'passkey' } as const;

/** The methods as an aligned table, one line each. */
function table(methods: AuthenticationMethod[]): string {
  const rows = [
    ['KIND', 'NAME', 'ADDED', 'LAST USED', 'ID'],
    ...methods.map((m) => [KIND_NAMES[m.kind], m.displayName, iso(m.createdAt)!, iso(m.lastUsedAt) ?? 'never', m.id]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')}`).join('\n');
}

const who = (u: User) => ({ id: u.id, userPrincipalName: u.userPrincipalName });

export function registerMfaCli(program: Command, { io, withContext, print }: CliHelpers): void {
  // `foyer user` is the composition root's; `mfa` joins it.
  const user = program.commands.find((c) => c.name() === 'user') ?? program.command('user').description('users');
  const mfa = user.command('mfa').description("a user's second factors (authenticator apps, passkeys, recovery codes)");

  mfa
    .command('list')
    .description("a user's registered second factors, and how many recovery codes are left")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <user>', 'the user: object id or userPrincipalName')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; json?: boolean }) => {
      const { found, methods, codes } = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        const found = await requireUser(ctx.db.kysely, tenant.id, opts.user);
        return {
          found,
          methods: await listMethods(ctx.db.kysely, tenant.id, found.id),
          codes: await recoveryCodesLeft(ctx.db.kysely, tenant.id, found.id),
        };
      });
      const human =
        methods.length === 0
          ? `${found.userPrincipalName} has no second factor registered: they register one at their next sign-in that asks for MFA.`
          : `Second factors of ${found.userPrincipalName}:\n${table(methods)}\nRecovery codes left: ${codes}`;
      print(!!opts.json, { user: who(found), methods: methods.map(view), recoveryCodesLeft: codes }, human);
    });

  mfa
    .command('reset')
    .description('remove every second factor and recovery code of a user: they register again at their next sign-in that asks for MFA')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--user <user>', 'the user: object id or userPrincipalName')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user: string; json?: boolean }) => {
      const { found, removed } = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        const found = await requireUser(ctx.db.kysely, tenant.id, opts.user);
        return { found, removed: await resetMethods(ctx, found, CLI_ACTOR) };
      });
      const count = removed.length === 1 ? '1 second factor' : `${removed.length} second factors`;
      print(
        !!opts.json,
        { user: who(found), removed: removed.map(view) },
        `Removed ${count} and the recovery codes of ${found.userPrincipalName}. They register a new method at their next sign-in that asks for MFA.`,
      );
    });
}
