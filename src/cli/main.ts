/**
 * The `foyer` command: run the server and do every administrative task a script needs, each with
 * `--json` output that uses Graph's property names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { assignRole } from '../directory/role-assignments.js';
import { directoryRoles } from '../directory/roles.js';
import { requireTenant } from '../directory/tenants.js';
import { createMember } from '../directory/users.js';
import { features, installFeatures } from '../features.js';
import { ProviderRegistry } from '../oidc/index.js';
import { type CliHelpers, type CliIo, collect, listOf, printer, refuseRepeatedOptions, UsageError } from '../platform/cli/helpers.js';
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
import { registerDevCommands } from './dev-certificate.js';
import { registerKeyCommands } from './keys.js';
import { emailAddress } from './shapes.js';
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
  'authentication-administrator': directoryRoles.authenticationAdministrator.id,
  'privileged-authentication-administrator': directoryRoles.privilegedAuthenticationAdministrator.id,
};

/** The package's version, read where it is written (package.json sits two folders up from src/cli and dist/cli). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * A SQLite database file that does not exist, for a command that must not create one: run from another
 * folder, the default `sqlite:./.foyer/foyer.db` would otherwise be a new, empty database there, and the
 * command would answer as if the instance had nothing in it.
 */
function refuseNewSqliteFile(databaseUrl: string): void {
  if (!databaseUrl.startsWith('sqlite:') || databaseUrl === 'sqlite::memory:') return;
  const file = resolve(databaseUrl.slice('sqlite:'.length));
  if (existsSync(file)) return;
  throw new ConfigError(
    `no database at ${file}: run the command in the folder where \`npm start\` (foyer start) runs, or set FOYER_DATABASE_URL to the server's database. ` +
      '(`foyer start`, `foyer migrate` and `foyer tenant create` create a new one.)',
  );
}

/** Opens the database from configuration, migrates it, runs `fn` (the features' listeners installed), and closes it. */
async function withContext<T>(io: CliIo, fn: (ctx: AppContext) => Promise<T>, options: { createDatabase?: boolean } = {}): Promise<T> {
  const config = loadConfig(io.env, { logLevel: 'warn' } as Partial<Config>);
  if (!options.createDatabase) refuseNewSqliteFile(config.databaseUrl);
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

/**
 * Builds the command tree. With `json`, commander's own usage errors are not printed (nor the help after
 * them): runCli prints them as `{"error": …}`, as every other error of a `--json` command.
 */
export function buildCli(io: CliIo = defaultIo, { json = false }: { json?: boolean } = {}): Command {
  const program = new Command('foyer')
    .description('Foyer: B2B collaboration identity service. Configuration comes from FOYER_* environment variables (docs/configuration.md).')
    .version(packageVersion(), '-V, --version', 'print the version of Foyer')
    .showHelpAfterError(!json)
    // Before any subcommand is added, so they inherit it: errors come back to runCli, never process.exit.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      ...(json ? { outputError: () => {} } : {}),
    });

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
  registerDevCommands(program, helpers);

  program
    .command('user')
    .description('users')
    .command('create')
    .description('create a member of a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--upn <userPrincipalName>', "sign-in name on one of the tenant's verified domains", emailAddress('a sign-in name'))
    .option('--display-name <name>', 'display name (default: the part of the UPN before @)')
    .option('--mail <address>', 'e-mail address (default: the UPN)', emailAddress('an e-mail address'))
    .option('--role <role...>', `directory roles (repeatable, or comma-separated): ${Object.keys(roleNames).join(', ')}`, listOf(Object.keys(roleNames)))
    .option('--password <password>', 'the password (visible to other local users: prefer FOYER_USER_PASSWORD or --password-stdin)')
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
  refuseRepeatedOptions(program);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 refused, 2 usage or configuration). */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const json = argv.includes('--json');
  const program = buildCli(io, { json });
  /** The error as `{"error": {"code", "message"}}` with --json, else as a line of text. */
  const fail = (exitCode: number, code: string, message: string, label = 'error') => {
    io.err(json ? JSON.stringify({ error: { code, message } }) : `${label}: ${message}`);
    return exitCode;
  };
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
      // Without --json commander has printed it already (with the help after it).
      if (json) fail(2, 'cli.usage', (err as Error).message.replace(/^error: /, ''));
      return 2;
    }
    if (err instanceof UsageError) return fail(2, 'cli.usage', err.message);
    if (err instanceof FoyerError) return fail(1, err.code, err.message);
    if (err instanceof ConfigError) return fail(2, 'cli.configuration', err.message, 'configuration error');
    return fail(1, 'cli.failed', (err as Error).message ?? String(err));
  }
}
