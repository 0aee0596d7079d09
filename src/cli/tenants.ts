/**
 * `foyer tenant create|list|show|rotate-keys`: organizations, their first administrator and their
 * signing keys. Every command names its tenant with `--tenant` (an id or any of its domains).
 */
import type { Command } from 'commander';
import { rotateSigningKey } from '../directory/signing-keys.js';
import { listTenants } from '../directory/tenant-list.js';
import { createTenant, listTenantDomains, requireTenant } from '../directory/tenants.js';
import type { CliHelpers } from '../platform/cli/helpers.js';
import { domainNames, emailAddress } from './shapes.js';

/** More than a development instance holds; `tenant list` is for people, not for paging. */
const LIST_LIMIT = 1000;

/**
 * Why the administrator's sign-in name is not their e-mail address, when it is not: a sign-in name must
 * be on one of the tenant's verified domains, and without `--domain` the only one is the initial domain.
 */
function signInNameNote(email: string, upn: string, domainsGiven: boolean): string | undefined {
  if (upn.toLowerCase() === email.toLowerCase()) return undefined;
  const emailDomain = email.slice(email.lastIndexOf('@') + 1);
  return [
    `note: the administrator signs in as ${upn}, not ${email}: a sign-in name must be on one of the tenant's verified domains,`,
    `  and ${domainsGiven ? `${emailDomain} is not among the --domain values given` : 'no --domain was given, so the only one is the initial domain'}.`,
    `  ${email} is kept as their e-mail address. To sign in as ${email}, create the tenant with --domain ${emailDomain}.`,
  ].join('\n');
}

export function registerTenantCli(program: Command, { io, withContext, print, readSecret, notePublicUrl }: CliHelpers): void {
  const tenant = program.command('tenant').description('organizations (tenants)');
  tenant
    .command('create')
    .description('create a tenant with its first Global Administrator')
    .requiredOption('--name <name>', "the organization's display name")
    .option(
      '--domain <domain...>',
      "verified domains of the organization (repeatable, or comma-separated); the administrator's sign-in name uses them",
      domainNames,
    )
    .option('--slug <slug>', 'the first label of the initial domain (default: from the name)')
    .requiredOption('--admin-email <email>', "the first administrator's e-mail address", emailAddress('an e-mail address'))
    .option('--admin-name <name>', "the first administrator's display name")
    .option('--admin-password <password>', 'the administrator password (visible to other local users: prefer FOYER_ADMIN_PASSWORD or --admin-password-stdin)')
    .option('--admin-password-stdin', 'read the administrator password from the first line of standard input')
    .option('--json', 'print the result as JSON')
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
        const password = await readSecret({
          value: opts.adminPassword,
          fromStdin: opts.adminPasswordStdin,
          envName: 'FOYER_ADMIN_PASSWORD',
          prompt: 'Administrator password',
          flag: '--admin-password',
          stdinFlag: '--admin-password-stdin',
        });
        // The documented first command: it may create the database (the others refuse a missing file).
        const created = await withContext(
          io,
          (ctx) =>
            createTenant(ctx, {
              name: opts.name,
              domains: opts.domain ?? [],
              adminEmail: opts.adminEmail,
              adminPassword: password,
              ...(opts.adminName ? { adminDisplayName: opts.adminName } : {}),
              ...(opts.slug ? { slug: opts.slug } : {}),
            }),
          { createDatabase: true },
        );
        const value = {
          id: created.tenant.id,
          displayName: created.tenant.displayName,
          initialDomain: created.tenant.initialDomain,
          verifiedDomains: created.domains.filter((d) => d.isVerified).map((d) => d.domain),
          admin: { id: created.admin.id, userPrincipalName: created.admin.userPrincipalName, mail: created.admin.mail },
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
        const note = signInNameNote(created.admin.mail, created.admin.userPrincipalName, !!opts.domain?.length);
        if (note) io.err(note);
      },
    );

  tenant
    .command('list')
    .description('the tenants on this instance, oldest first')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withContext(io, (ctx) => listTenants(ctx.db.kysely, LIST_LIMIT));
      print(!!opts.json, list, list.length ? list.map((t) => `${t.id}  ${t.displayName}`).join('\n') : 'No tenants yet.');
    });

  tenant
    .command('show')
    .description('show a tenant, its domains and its issuer')
    .requiredOption('--tenant <tenant>', 'tenant id or any of its domains')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const value = await withContext(io, async (ctx) => {
        const t = await requireTenant(ctx.db.kysely, opts.tenant);
        const domains = await listTenantDomains(ctx.db.kysely, t.id);
        notePublicUrl(ctx.config);
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
        return rotateSigningKey(ctx, t.id, ctx.config.keyRotationGraceSeconds);
      });
      print(!!opts.json, { kid }, `New signing key ${kid} is current.`);
    });
}
