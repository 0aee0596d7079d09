/**
 * Inactive guests: those whose last successful sign-in (or, never signed in, their creation) is older than
 * a number of days. `foyer guests inactive --tenant X --days 90` lists them; through Graph the same list
 * is `GET /users?$filter=userType eq 'Guest' and signInActivity/lastSuccessfulSignInDateTime le …` (plus
 * the guests never signed in: `… and signInActivity/lastSuccessfulSignInDateTime eq null`, by createdDateTime).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { CliHelpers } from '../platform/cli/helpers.js';
import type { Executor } from '../platform/storage/database.js';
import { requireTenant } from './tenants.js';

export interface InactiveGuest {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  createdAt: number;
  lastSignInDateTime: number | null;
  lastSuccessfulSignInDateTime: number | null;
}

/** The tenant's guests not signed in successfully since `before` (epoch ms), never-signed-in ones by creation; longest inactive first. */
export async function listInactiveGuests(db: Executor, tenantId: string, before: number, limit = 10_000): Promise<InactiveGuest[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'user_principal_name', 'display_name', 'mail', 'created_at', 'last_sign_in_at', 'last_successful_sign_in_at'])
    .where('tenant_id', '=', tenantId)
    .where('user_type', '=', 'Guest')
    .where('deleted_at', 'is', null)
    .where((eb) =>
      eb.or([eb('last_successful_sign_in_at', '<', before), eb.and([eb('last_successful_sign_in_at', 'is', null), eb('created_at', '<', before)])]),
    )
    .orderBy((eb) => eb.fn.coalesce('last_successful_sign_in_at', 'created_at'), 'asc')
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    userPrincipalName: r.user_principal_name,
    displayName: r.display_name,
    mail: r.mail,
    createdAt: Number(r.created_at),
    lastSignInDateTime: r.last_sign_in_at == null ? null : Number(r.last_sign_in_at),
    lastSuccessfulSignInDateTime: r.last_successful_sign_in_at == null ? null : Number(r.last_successful_sign_in_at),
  }));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function days(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 3650) throw new InvalidArgumentError('a whole number of days from 1 to 3650 is expected');
  return Number(value);
}

export function registerGuestsCli(program: Command, { io, withContext, print }: CliHelpers): void {
  const guests = program.commands.find((c) => c.name() === 'guests') ?? program.command('guests').description('guest users');
  guests
    .command('inactive')
    .description('list guests whose last successful sign-in (or creation, if they never signed in) is older than --days')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--days <days>', 'days without a successful sign-in', days, 90)
    .option('--json', 'print the result as JSON (Graph names)')
    .action(async (opts: { tenant: string; days: number; json?: boolean }) => {
      const found = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        return listInactiveGuests(ctx.db.kysely, tenant.id, ctx.clock.now() - opts.days * 86_400_000);
      });
      const value = found.map((g) => ({
        id: g.id,
        userPrincipalName: g.userPrincipalName,
        displayName: g.displayName,
        mail: g.mail,
        createdDateTime: iso(g.createdAt),
        signInActivity: { lastSignInDateTime: iso(g.lastSignInDateTime), lastSuccessfulSignInDateTime: iso(g.lastSuccessfulSignInDateTime) },
      }));
      const lines = found.map(
        (g) =>
          `${g.userPrincipalName}  ${g.mail ?? ''}  last successful sign-in: ${iso(g.lastSuccessfulSignInDateTime) ?? `never (created ${iso(g.createdAt)})`}`,
      );
      const human =
        found.length === 0
          ? `No guest has gone ${opts.days} days without signing in.`
          : [`${found.length} guest${found.length === 1 ? '' : 's'} without a successful sign-in in ${opts.days} days:`, ...lines].join('\n');
      print(!!opts.json, value, human);
    });
}
