/**
 * The `foyer` command: run the server and do every administrative task a script needs, each with
 * `--json` output that uses Graph's property names.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { assignRole } from '../directory/role-assignments.js';
import { directoryRoles } from '../directory/roles.js';
import { requireTenant } from '../directory/tenants.js';
import { createMember } from '../directory/users.js';
import { features, installFeatures } from '../features.js';
import { ProviderRegistry } from '../oidc/index.js';
import { type CliHelpers, type CliIo, collect, listOf, printer, UsageError } from '../platform/cli/helpers.js';
import { readSecret, stdinReader } from '../platform/cli/secrets-input.js';
import { systemClock } from '../platform/clock.js';
import { ConfigError, loadConfig, publicUrlSource } from '../platform/config/load.js';
import type { Config } from '../platform/config/schema.js';
import { type AppContext, createContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { createLogger } from '../platform/log.js';
import { openDatabase } from '../platform/storage/database.js';
import { migrate } from '../platform/storage/migrate.js';
import { registerAppCli } from './apps.js';
import { registerKeyCommands } from './keys.js';
import { registerTenantCli } from './tenants.js';

export type { CliIo } from '../platform/cli/helpers.js';

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
};

const registry = features();

const roleNames: Record<string, string> = {
  'global-administrator': directoryRoles.globalAdministrator.id,
  'user-administrator': directoryRoles.userAdministrator.id,
  'guest-inviter': directoryRoles.guestInviter.id,
};

/** The package's version, read where it is written (package.json sits two folders up from src/cli and dist/cli). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Opens the database from configuration, migrates it, runs `fn` (the features' listeners installed), and closes it. */
async function withContext<T>(io: CliIo, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env, { logLevel: 'warn' } as Partial<Config>);
  const db = openDatabase(config.databaseUrl);
  try {
    await migrate(db);
    const ctx = createContext({ config, db, clock: systemClock, log: createLogger({ logLevel: 'warn' }) });
    installFeatures(ctx, registry.features);
    return await fn(ctx);
  } finally {
    await db.close();
  }
}

export function buildCli(io: CliIo = defaultIo): Command {
  const program = new Command('foyer')
    .description('Foyer: B2B collaboration identity service. Configuration comes from FOYER_* environment variables (docs/configuration.md).')
    .version(packageVersion(), '-V, --version', 'print the version of Foyer')
    .showHelpAfterError()
    // Before any subcommand is added, so they inherit it: errors come back to runCli, never process.exit.
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const print = printer(io);
  const stdin = stdinReader();
  const secret: CliHelpers['readSecret'] = (source) => readSecret(source, { warn: (m) => io.err(`warning: ${m}`), env: io.env, stdin });
  const notePublicUrl: CliHelpers['notePublicUrl'] = (config) => {
    const source = publicUrlSource(io.env);
    if (source !== 'FOYER_PUBLIC_URL') io.err(`public URL ${config.publicUrl} (from ${source})`);
  };
  const helpers: CliHelpers = { io, withContext, print, collect, readSecret: secret, notePublicUrl };

  program
    .command('start')
    .description('run the server (migrates the database first)')
    .action(async () => {
      const config = loadConfig(io.env);
      // Imported here so that the admin commands do not load the OpenID provider library.
      const { startFoyer } = await import('../server.js');
      // Loaded before the server listens: what the library prints as it loads (on Node.js 20, that the
      // runtime is unsupported) goes to the JSON log once, not to standard error.
      const libraryWarnings = await ProviderRegistry.loadLibrary();
      const running = await startFoyer(config, { features: registry.features });
      for (const warning of libraryWarnings) running.ctx.log.warn({ node: process.version }, warning);
      const stop = async (signal: string) => {
        running.ctx.log.info({ signal }, 'shutting down');
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig(io.env);
      const db = openDatabase(config.databaseUrl);
      try {
        const outcome = await migrate(db);
        print(
          !!opts.json,
          { database: db.description, applied: outcome.applied, current: outcome.current },
          outcome.applied.length ? `Applied ${outcome.applied.join(', ')} to ${db.description}.` : `${db.description} is up to date (${outcome.current}).`,
        );
      } finally {
        await db.close();
      }
    });

  registerTenantCli(program, helpers);

  registerAppCli(program, helpers);
  registerKeyCommands(program, helpers);

  program
    .command('user')
    .description('users')
    .command('create')
    .description('create a member of a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--upn <userPrincipalName>', "sign-in name on one of the tenant's verified domains")
    .option('--display-name <name>', 'display name (default: the part of the UPN before @)')
    .option('--mail <address>', 'e-mail address (default: the UPN)')
    .option('--role <role...>', `directory roles (repeatable, or comma-separated): ${Object.keys(roleNames).join(', ')}`, listOf(Object.keys(roleNames)))
    .option('--password <password>', 'the password (visible to other local users: prefer the next two)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        tenant: string;
        upn: string;
        displayName?: string;
        mail?: string;
        role?: string[];
        password?: string;
        passwordStdin?: boolean;
        json?: boolean;
      }) => {
        const roles = (opts.role ?? []).map((r) => roleNames[r]!);
        const password = await secret({
          value: opts.password,
          fromStdin: opts.passwordStdin,
          envName: 'FOYER_USER_PASSWORD',
          prompt: 'Password',
          flag: '--password',
          stdinFlag: '--password-stdin',
        });
        const user = await withContext(io, async (ctx) => {
          const t = await requireTenant(ctx.db.kysely, opts.tenant);
          const created = await createMember(ctx, t.id, {
            userPrincipalName: opts.upn,
            displayName: opts.displayName ?? opts.upn.split('@')[0]!,
            password,
            mail: opts.mail ?? null,
          });
          for (const role of roles) await assignRole(ctx, t.id, role, created.id);
          return created;
        });
        const value = {
          id: user.id,
          userPrincipalName: user.userPrincipalName,
          displayName: user.displayName,
          mail: user.mail,
          userType: user.userType,
          roles: opts.role ?? [],
        };
        print(!!opts.json, value, `Created ${user.userPrincipalName} (${user.id})${roles.length ? ` with roles ${opts.role!.join(', ')}` : ''}`);
      },
    );

  for (const feature of registry.features) for (const commands of feature.cli ?? []) commands(program, helpers);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 refused, 2 usage or configuration). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const json = argv.includes('--json');
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    if (err instanceof FoyerError) {
      io.err(json ? JSON.stringify({ error: { code: err.code, message: err.message } }) : `error: ${err.message}`);
      return 1;
    }
    if (err instanceof ConfigError) {
      io.err(`configuration error: ${err.message}`);
      return 2;
    }
    io.err(`error: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}
