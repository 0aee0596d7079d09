/**
 * `identity/identityProviders`: the external OpenID Connect providers a tenant trusts as the home of
 * some domains. Shaped like Entra External ID's `oidcIdentityProvider` (`issuer`, `clientId`,
 * `clientAuthentication.clientSecret`, `scope`), with Foyer's `domains`: the addresses whose home it is.
 * The secret is write-only, as in Graph. Changes are audited (in the change's transaction).
 */
import { z } from 'zod';
import { directoryRoles } from '../directory/roles.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody } from '../graph/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { createExternalProvider, deleteExternalProvider, type ExternalProvider, findExternalProvider, listExternalProviders } from './external-providers.js';

const GA = [directoryRoles.globalAdministrator.id];
const readRule: AccessRule = {
  app: ['IdentityProvider.Read.All', 'IdentityProvider.ReadWrite.All'],
  delegated: ['IdentityProvider.Read.All', 'IdentityProvider.ReadWrite.All'],
  roles: GA,
};
const writeRule: AccessRule = { app: ['IdentityProvider.ReadWrite.All'], delegated: ['IdentityProvider.ReadWrite.All'], roles: GA };
const TYPE = '#microsoft.graph.oidcIdentityProvider';

const body = z.strictObject({
  displayName: z.string().trim().min(1).max(256),
  issuer: z.string().max(2000),
  clientId: z.string().min(1).max(512),
  clientAuthentication: z
    .strictObject({
      '@odata.type': z.enum(['#microsoft.graph.oidcClientSecretAuthentication']).optional(),
      clientSecret: z.string().min(1).max(2000),
    })
    .optional(),
  scope: z.string().max(1000).optional(),
  domains: z.array(z.string().max(260)).min(1, 'name at least one domain whose home this provider is').max(100),
});

export function registerIdentityProviderRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const view = (p: ExternalProvider) => ({
    '@odata.type': TYPE,
    id: p.id,
    displayName: p.displayName,
    issuer: p.issuer,
    clientId: p.clientId,
    scope: p.scope,
    domains: p.domains,
  });
  app.get('/identity/identityProviders', async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    return { '@odata.context': `${base}/$metadata#identity/identityProviders`, value: (await listExternalProviders(ctx.db.kysely, who.tenantId)).map(view) };
  });

  app.post('/identity/identityProviders', async (request, reply) => {
    const who = await caller(request);
    authorize(who, writeRule);
    const b = parseBody(body, request.body);
    const created = await createExternalProvider(
      ctx,
      who.tenantId,
      {
        displayName: b.displayName,
        issuer: b.issuer,
        clientId: b.clientId,
        clientSecret: b.clientAuthentication?.clientSecret ?? null,
        ...(b.scope ? { scope: b.scope } : {}),
        domains: b.domains,
      },
      actorOf(who, request.ip),
    );
    return reply.code(201).send({ '@odata.context': `${base}/$metadata#identity/identityProviders/$entity`, ...view(created) });
  });

  const notFound = (id: string) =>
    new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

  app.get('/identity/identityProviders/:id', async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    const { id } = request.params as { id: string };
    const found = await findExternalProvider(ctx.db.kysely, who.tenantId, id);
    if (!found) throw notFound(id);
    return { '@odata.context': `${base}/$metadata#identity/identityProviders/$entity`, ...view(found) };
  });

  app.delete('/identity/identityProviders/:id', async (request, reply) => {
    const who = await caller(request);
    authorize(who, writeRule);
    const { id } = request.params as { id: string };
    if (!(await deleteExternalProvider(ctx, who.tenantId, id, actorOf(who, request.ip)))) throw notFound(id);
    return reply.code(204).send();
  });
}
