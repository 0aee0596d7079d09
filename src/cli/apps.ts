/**
 * `foyer app create|list|show|update|delete` and `foyer app secret add|remove`: app registrations (OIDC
 * clients) and their client secrets, as Graph's `/applications` manages them. `--json` prints Graph's
 * `application` and `passwordCredential`; a secret's text is printed once, by the command that makes it.
 * Every command names its tenant with `--tenant` and its app with `--app` (object id or appId).
 */
import type { Command } from 'commander';
import { applicationsCollection, listApplications } from '../directory/application-list.js';
import { listPasswordCredentials, type PasswordCredential } from '../directory/application-secrets.js';
import {
  type Application,
  addApplicationPassword,
  createApplication,
  deleteApplication,
  findOwnerApplication,
  removeApplicationPassword,
  requireApplicationByAnyId,
  updateApplication,
} from '../directory/applications.js';
import { requireTenant } from '../directory/tenants.js';
import { toGraphApplication, toPasswordCredential } from '../graph/index.js';
import { type CliHelpers, UsageError } from '../platform/cli/helpers.js';
import type { AppContext } from '../platform/context.js';
import { parseCollectionQuery } from '../platform/odata/query.js';
import { permissionNames, redirectUris } from './shapes.js';

/** More than a tenant registers by hand; `app list` is for people and scripts, not for paging. */
const LIST_LIMIT = '999';

interface AppOptions {
  tenant: string;
  app: string;
  json?: boolean;
}

function describeCredential(c: PasswordCredential): string {
  const end = c.endDateTime === null ? 'no end date' : `until ${new Date(c.endDateTime).toISOString()}`;
  return `  secret ${c.keyId}  ${c.hint}…  ${c.displayName ?? '(no name)'}  from ${new Date(c.startDateTime).toISOString()} ${end}`;
}

function describeOwner(a: Application, owner: Application | undefined): string {
  if (owner) return `${owner.displayName} (appId ${owner.appId}), which may manage it with Application.ReadWrite.OwnedBy`;
  return a.ownerAppId ? `an app since deleted (appId ${a.ownerAppId})` : '(none: registered by a person or the command line)';
}

function describeApp(a: Application, credentials: PasswordCredential[], owner?: Application): string {
  return [
    `${a.displayName} (${a.id})`,
    `  appId (client id): ${a.appId}`,
    `  kind:               ${a.publicClient ? 'public client (no secret)' : 'confidential client'}`,
    `  owner:              ${describeOwner(a, owner)}`,
    `  permissions:        ${a.applicationPermissions.join(', ') || '(none)'}`,
    `  delegated:          ${a.delegatedPermissions.join(', ') || '(none)'}`,
    `  redirect URIs:      ${a.redirectUris.join(', ') || '(none)'}`,
    ...credentials.map(describeCredential),
  ].join('\n');
}

const ISO_DATE = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?)?$/i;

/**
 * An `--end` value: an ISO 8601 date or date-time, in UTC unless it names its offset (a bare date is
 * midnight UTC, and so is a time without a zone: the same command gives the same date on every host).
 */
function parseEnd(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = ISO_DATE.exec(value);
  const ms = match ? Date.parse(value.includes('T') && !match[1] ? `${value}Z` : value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--end '${value}' is not an ISO 8601 date, like 2027-06-30 or 2027-06-30T12:00:00Z.`);
  return ms;
}

export function registerAppCli(program: Command, { io, withContext, print }: CliHelpers): void {
  /** Runs `fn` on the tenant's app named by `--app`. */
  const onApp = <T>(opts: AppOptions, fn: (ctx: AppContext, tenantId: string, app: Application) => Promise<T>) =>
    withContext(io, async (ctx) => {
      const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
      return fn(ctx, tenant.id, await requireApplicationByAnyId(ctx.db.kysely, tenant.id, opts.app));
    });

  const app = program.command('app').description('app registrations and their client secrets');
  app
    .command('create')
    .description('register an app (an OIDC client) in a tenant; a confidential one gets its first secret (valid two years)')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--name <name>', 'display name')
    .option('--permissions <list>', 'Graph application permissions to grant, e.g. User.Invite.All,User.Read.All', permissionNames)
    .option('--scopes <list>', 'Graph delegated permissions the app may ask a person for (default User.Read)', permissionNames)
    .option('--redirect-uri <uri...>', 'redirect URIs (repeatable)', redirectUris)
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

  app
    .command('list')
    .description("the tenant's app registrations, by name")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--json', 'print the result as JSON (Graph application objects)')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const { apps, credentials } = await withContext(io, async (ctx) => {
        const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
        const query = parseCollectionQuery({ $orderby: 'displayName', $top: LIST_LIMIT }, applicationsCollection);
        const page = await listApplications(ctx.db.kysely, ctx.db.dialect, tenant.id, query);
        return {
          apps: page.applications,
          credentials: await listPasswordCredentials(
            ctx.db.kysely,
            page.applications.map((a) => a.id),
          ),
        };
      });
      print(
        !!opts.json,
        apps.map((a) => toGraphApplication(a, credentials.get(a.id) ?? [])),
        apps.length ? apps.map((a) => `${a.appId}  ${a.displayName}${a.publicClient ? '  (public client)' : ''}`).join('\n') : 'No apps registered.',
      );
    });

  app
    .command('show')
    .description('show an app, its owner (the app that registered it, if any), its permissions and its secrets (their hints, never the secrets)')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--app <app>', 'the app: its object id or appId (client id)')
    .option('--json', 'print the result as JSON (a Graph application object, with owners as $expand=owners shows them)')
    .action(async (opts: AppOptions) => {
      const { a, credentials, owner } = await onApp(opts, async (ctx, _tenantId, a) => ({
        a,
        credentials: (await listPasswordCredentials(ctx.db.kysely, [a.id])).get(a.id) ?? [],
        owner: await findOwnerApplication(ctx.db.kysely, a),
      }));
      print(!!opts.json, toGraphApplication(a, credentials, undefined, owner ? [owner] : []), describeApp(a, credentials, owner));
    });

  app
    .command('update')
    .description("change an app's name, redirect URIs or permissions (each given list replaces the old one; '' empties it)")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--app <app>', 'the app: its object id or appId (client id)')
    .option('--name <name>', 'display name')
    .option('--permissions <list>', 'Graph application permissions granted', permissionNames)
    .option('--scopes <list>', 'Graph delegated permissions the app may ask a person for', permissionNames)
    .option('--redirect-uri <uri...>', 'redirect URIs (repeatable)', redirectUris)
    .option('--json', 'print the result as JSON (a Graph application object)')
    .action(async (opts: AppOptions & { name?: string; permissions?: string[]; scopes?: string[]; redirectUri?: string[] }) => {
      if (opts.name === undefined && !opts.permissions && !opts.scopes && !opts.redirectUri) {
        throw new UsageError('nothing to change: give --name, --permissions, --scopes or --redirect-uri.');
      }
      const { a, credentials } = await onApp(opts, async (ctx, tenantId, current) => {
        const a = await updateApplication(ctx, tenantId, current.id, {
          ...(opts.name !== undefined ? { displayName: opts.name } : {}),
          ...(opts.permissions ? { applicationPermissions: opts.permissions } : {}),
          ...(opts.scopes ? { delegatedPermissions: opts.scopes } : {}),
          ...(opts.redirectUri ? { redirectUris: opts.redirectUri } : {}),
        });
        return { a, credentials: (await listPasswordCredentials(ctx.db.kysely, [a.id])).get(a.id) ?? [] };
      });
      print(!!opts.json, toGraphApplication(a, credentials), `Updated ${describeApp(a, credentials)}`);
    });

  app
    .command('delete')
    .description('delete an app and its secrets: its client id stops working')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--app <app>', 'the app: its object id or appId (client id)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: AppOptions) => {
      const a = await onApp(opts, (ctx, tenantId, a) => deleteApplication(ctx, tenantId, a.id));
      print(!!opts.json, { id: a.id, appId: a.appId, displayName: a.displayName }, `Deleted ${a.displayName} (appId ${a.appId}).`);
    });

  const secret = app.command('secret').description("an app's client secrets");
  secret
    .command('add')
    .description('add a client secret (printed once: store it now); the old ones keep working until removed or expired')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--app <app>', 'the app: its object id or appId (client id)')
    .option('--display-name <name>', "the secret's name, to tell it from the others")
    .option(
      '--end <date>',
      'when it stops working: ISO 8601, read as UTC unless it has an offset, e.g. 2027-06-30, 2027-06-30T12:00 (UTC), 2027-06-30T12:00+02:00 (default: two years from now)',
    )
    .option('--json', 'print the result as JSON (a Graph passwordCredential, with secretText)')
    .action(async (opts: AppOptions & { displayName?: string; end?: string }) => {
      const end = parseEnd(opts.end);
      const added = await onApp(opts, (ctx, tenantId, a) =>
        addApplicationPassword(ctx, tenantId, a.id, { displayName: opts.displayName ?? null, ...(end !== undefined ? { endDateTime: end } : {}) }),
      );
      const c = added.credential;
      print(
        !!opts.json,
        toPasswordCredential(c, added.secretText),
        [
          `Added secret ${c.keyId}${c.displayName ? ` (${c.displayName})` : ''}`,
          `  client secret: ${added.secretText}   (shown once: store it now)`,
          `  valid until:   ${c.endDateTime === null ? 'removed' : new Date(c.endDateTime).toISOString()}`,
        ].join('\n'),
      );
    });

  secret
    .command('remove')
    .description('remove a client secret: it stops working within seconds')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .requiredOption('--app <app>', 'the app: its object id or appId (client id)')
    .requiredOption('--key-id <keyId>', "the secret's keyId (see app show)")
    .option('--json', 'print the result as JSON')
    .action(async (opts: AppOptions & { keyId: string }) => {
      const a = await onApp(opts, async (ctx, tenantId, a) => {
        await removeApplicationPassword(ctx, tenantId, a.id, opts.keyId);
        return a;
      });
      print(!!opts.json, { id: a.id, appId: a.appId, keyId: opts.keyId.toLowerCase() }, `Removed secret ${opts.keyId} from ${a.displayName}.`);
    });
}
