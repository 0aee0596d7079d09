/**
 * The `foyer` command: run the server and do every administrative task a script needs, each with
 * `--json` output that uses Graph's property names.
 */
import { Command, Option } from 'commander';
import { createApplication } from '../directory/applications.js';
import { assignRole } from '../directory/role-assignments.js';
import { directoryRoles } from '../directory/roles.js';
import { rotateSigningKey } from '../directory/signing-keys.js';
import { createTenant, listTenantDomains, requireTenant } from '../directory/tenants.js';
import { createMember } from '../directory/users.js';
import { features, installFeatures } from '../features.js';
import { type CliHelpers, type CliIo, collect, printer } from '../platform/cli/helpers.js';
import { readSecret, stdinReader } from '../platform/cli/secrets-input.js';
import { systemClock } from '../platform/clock.js';
import { ConfigError, loadConfig } from '../platform/config/load.js';
import type { Config } from '../platform/config/schema.js';
import { type AppContext, createContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { createLogger } from '../platform/log.js';
import { openDatabase } from '../platform/storage/database.js';
import { migrate } from '../platform/storage/migrate.js';

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
    .showHelpAfterError()
    // Before any subcommand is added, so they inherit it: errors come back to runCli, never process.exit.
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const print = printer(io);
  const stdin = stdinReader();
  const secret: CliHelpers['readSecret'] = (source) => readSecret(source, { warn: (m) => io.err(`warning: ${m}`), env: io.env, stdin });

  program
    .command('start')
    .description('run the server (migrates the database first)')
    .action(async () => {
      const config = loadConfig(io.env);
      // Imported here so that the admin commands do not load the OpenID provider library.
      const { startFoyer } = await import('../server.js');
      const running = await startFoyer(config, { features: registry.features });
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

  const tenant = program.command('tenant').description('organizations (tenants)');
  tenant
    .command('create')
    .description('create a tenant with its first Global Administrator')
    .requiredOption('--name <name>', "the organization's display name")
    .option('--domain <domain...>', 'verified domains of the organization (repeatable, or comma-separated)', collect)
    .option('--slug <slug>', 'the first label of the initial domain (default: from the name)')
    .requiredOption('--admin-email <email>', "the first administrator's e-mail address")
    .option('--admin-name <name>', "the first administrator's display name")
    .option('--admin-password <password>', 'the administrator password (visible to other local users: prefer the next two)')
    .option('--admin-password-stdin', 'read the administrator password from the first line of standard input')
    .addOption(new Option('--json', 'print the result as JSON'))
    .action(
      async (opts: {
        name: string;
        domain?: string[];
        slug?: string;
        adminEmail: string;
        adminName?: string;
        adminPassword?: string;
        adminPasswordStdin?: boolean;
        json?: boolean;
      }) => {
        const password = await secret({
          value: opts.adminPassword,
          fromStdin: opts.adminPasswordStdin,
          envName: 'FOYER_ADMIN_PASSWORD',
          prompt: 'Administrator password',
        });
        const created = await withContext(io, (ctx) =>
          createTenant(ctx, {
            name: opts.name,
            domains: opts.domain ?? [],
            adminEmail: opts.adminEmail,
            adminPassword: password,
            ...(opts.adminName ? { adminDisplayName: opts.adminName } : {}),
            ...(opts.slug ? { slug: opts.slug } : {}),
          }),
        );
        const value = {
          id: created.tenant.id,
          displayName: created.tenant.displayName,
          initialDomain: created.tenant.initialDomain,
          verifiedDomains: created.domains.filter((d) => d.isVerified).map((d) => d.domain),
          admin: { id: created.admin.id, userPrincipalName: created.admin.userPrincipalName },
        };
        print(
          !!opts.json,
          value,
          [
            `Created tenant ${value.displayName} (${value.id})`,
            `  initial domain:   ${value.initialDomain}`,
            `  verified domains: ${value.verifiedDomains.join(', ')}`,
            `  administrator:    ${value.admin.userPrincipalName} (${value.admin.id})`,
          ].join('\n'),
        );
      },
    );

  tenant
    .command('show')
    .description('show a tenant by id or domain')
    .argument('<tenant>', 'tenant id or any of its domains')
    .option('--json', 'print the result as JSON')
    .action(async (key: string, opts: { json?: boolean }) => {
      const value = await withContext(io, async (ctx) => {
        const t = await requireTenant(ctx.db.kysely, key);
        const domains = await listTenantDomains(ctx.db.kysely, t.id);
        return {
          id: t.id,
          displayName: t.displayName,
          initialDomain: t.initialDomain,
          verifiedDomains: domains.filter((d) => d.isVerified).map((d) => d.domain),
          issuer: `${ctx.config.publicUrl}/${t.id}/v2.0`,
        };
      });
      print(!!opts.json, value, `${value.displayName} (${value.id})\n  domains: ${value.verifiedDomains.join(', ')}\n  issuer:  ${value.issuer}`);
    });

  tenant
    .command('rotate-keys')
    .description('make a new signing key current; the old one stays published for FOYER_KEY_ROTATION_GRACE')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const kid = await withContext(io, async (ctx) => {
        const t = await requireTenant(ctx.db.kysely, opts.tenant);
        return rotateSigningKey(ctx.db, ctx.clock, t.id, ctx.config.keyRotationGraceSeconds);
      });
      print(!!opts.json, { kid }, `New signing key ${kid} is current.`);
    });

  program
    .command('app')
    .description('app registrations')
    .command('create')
    .description('register an app (an OIDC client) in a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--name <name>', 'display name')
    .option('--permissions <list>', 'Graph application permissions to grant, e.g. User.Invite.All,User.Read.All', collect)
    .option('--scopes <list>', 'Graph delegated permissions the app may ask a person for (default User.Read)', collect)
    .option('--redirect-uri <uri...>', 'redirect URIs (repeatable)', collect)
    .option('--public', 'a public client (no secret; single-page and native apps)')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: { tenant: string; name: string; permissions?: string[]; scopes?: string[]; redirectUri?: string[]; public?: boolean; json?: boolean }) => {
        const created = await withContext(io, async (ctx) => {
          const t = await requireTenant(ctx.db.kysely, opts.tenant);
          return createApplication(ctx, t.id, {
            displayName: opts.name,
            redirectUris: opts.redirectUri ?? [],
            publicClient: !!opts.public,
            applicationPermissions: opts.permissions ?? [],
            ...(opts.scopes ? { delegatedPermissions: opts.scopes } : {}),
          });
        });
        const a = created.application;
        const value = {
          id: a.id,
          appId: a.appId,
          displayName: a.displayName,
          clientSecret: created.clientSecret ?? null,
          redirectUris: a.redirectUris,
          permissions: a.applicationPermissions,
          delegatedPermissions: a.delegatedPermissions,
        };
        print(
          !!opts.json,
          value,
          [
            `Registered ${a.displayName}`,
            `  appId (client id): ${a.appId}`,
            created.clientSecret ? `  client secret:      ${created.clientSecret}   (shown once: store it now)` : '  public client: no secret',
            `  permissions:        ${a.applicationPermissions.join(', ') || '(none)'}`,
            `  redirect URIs:      ${a.redirectUris.join(', ') || '(none)'}`,
          ].join('\n'),
        );
      },
    );

  program
    .command('user')
    .description('users')
    .command('create')
    .description('create a member of a tenant')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--upn <userPrincipalName>', "sign-in name on one of the tenant's verified domains")
    .option('--display-name <name>', 'display name (default: the part of the UPN before @)')
    .option('--mail <address>', 'e-mail address (default: the UPN)')
    .option('--role <role...>', `directory roles: ${Object.keys(roleNames).join(', ')}`, collect)
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
        const roles = (opts.role ?? []).map((r) => {
          const id = roleNames[r.toLowerCase()];
          if (!id) throw new FoyerError('request.invalid_body', `unknown role '${r}' (known: ${Object.keys(roleNames).join(', ')})`);
          return id;
        });
        const password = await secret({ value: opts.password, fromStdin: opts.passwordStdin, envName: 'FOYER_USER_PASSWORD', prompt: 'Password' });
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

  const helpers: CliHelpers = { io, withContext, print, collect, readSecret: secret };
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
