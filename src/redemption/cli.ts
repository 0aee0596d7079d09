/**
 * `foyer idp add|list|remove`: the external OpenID Connect providers a tenant trusts as the home of some
 * domains (the same as Graph's `identity/identityProviders`). The client secret comes from
 * FOYER_IDP_CLIENT_SECRET, standard input or a prompt, so it need not stand in the process list.
 */
import type { Command } from 'commander';
import { requireTenant } from '../directory/tenants.js';
import type { CliHelpers } from '../platform/cli/helpers.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { createExternalProvider, deleteExternalProvider, type ExternalProvider, listExternalProviders } from './external-providers.js';

const CLI_ACTOR = { kind: 'cli' as const, displayName: 'foyer command line' };

const describe = (p: ExternalProvider) => `${p.displayName} (${p.id})\n  issuer:  ${p.issuer}\n  client:  ${p.clientId}\n  domains: ${p.domains.join(', ')}`;
const view = (p: ExternalProvider) => ({ id: p.id, displayName: p.displayName, issuer: p.issuer, clientId: p.clientId, scope: p.scope, domains: p.domains });

export function registerIdentityProviderCli(program: Command, { io, withContext, print, collect, readSecret }: CliHelpers): void {
  const idp = program.command('idp').description("external OpenID Connect providers that are the home of guests' domains");
  idp
    .command('add')
    .description('trust an external OpenID provider for some domains (register {publicUrl}/guest/callback there)')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--issuer <url>', "the provider's issuer (https; it must serve OpenID discovery)")
    .requiredOption('--client-id <id>', 'the client id Foyer has at the provider')
    .option('--client-secret-stdin', 'read the client secret from the first line of standard input')
    .option('--public-client', 'the client has no secret')
    .requiredOption('--domain <domain...>', 'domains (or *.domain) whose home this provider is', collect)
    .option('--scope <scope>', 'scopes to ask for', 'openid profile email')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        tenant: string;
        name: string;
        issuer: string;
        clientId: string;
        clientSecretStdin?: boolean;
        publicClient?: boolean;
        domain: string[];
        scope: string;
        json?: boolean;
      }) => {
        const secret = opts.publicClient
          ? null
          : await readSecret({
              fromStdin: opts.clientSecretStdin,
              envName: 'FOYER_IDP_CLIENT_SECRET',
              prompt: 'Client secret',
              stdinFlag: '--client-secret-stdin',
            });
        const created = await withContext(io, async (ctx) => {
          const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
          return createExternalProvider(
            ctx,
            tenant.id,
            { displayName: opts.name, issuer: opts.issuer, clientId: opts.clientId, clientSecret: secret, scope: opts.scope, domains: opts.domain },
            CLI_ACTOR,
          );
        });
        print(!!opts.json, view(created), `Added ${describe(created)}`);
      },
    );
  idp
    .command('list')
    .description("the tenant's external identity providers")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const list = await withContext(io, async (ctx) => listExternalProviders(ctx.db.kysely, (await requireTenant(ctx.db.kysely, opts.tenant)).id));
      print(!!opts.json, list.map(view), list.length ? list.map(describe).join('\n') : 'No external identity providers.');
    });
  idp
    .command('remove')
    .description('stop trusting a provider (its guests cannot sign in until their redemption is reset)')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--id <id>', 'the provider id')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; id: string; json?: boolean }) => {
      const removed = await withContext(io, async (ctx) => {
        const found = await deleteExternalProvider(ctx, (await requireTenant(ctx.db.kysely, opts.tenant)).id, opts.id, CLI_ACTOR);
        if (!found) throw new FoyerError('directory.not_found', `No identity provider ${opts.id} in this tenant.`);
        return found;
      });
      print(!!opts.json, view(removed), `Removed ${describe(removed)}`);
    });
}
