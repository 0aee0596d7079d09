/** `/organization`: the tenant, its verified domains, privacy profile and branding. */
import { z } from 'zod';
import { type directoryObjectResource, organizationResource } from '../directory/resources/index.js';
import { directoryRoles } from '../directory/roles.js';
import { listTenantDomains, requireTenant, type Tenant, updateTenant } from '../directory/tenants.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { collectionModel, type SelectableProperty } from '../platform/odata/resource.js';
import { type AccessRule, authorize } from './auth.js';
import { parseBody } from './body.js';
import type { GraphDeps } from './kit.js';
import { entitySelect, selectSuffix } from './query-options.js';
import { bodySchema, refuseUnsettable, withFoyerLimits } from './resources.js';

const rules = {
  // Graph: reading the organization needs only User.Read (delegated) or Organization.Read.All (app).
  read: {
    app: ['Organization.Read.All', 'Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['User.Read', 'User.Read.All', 'Organization.Read.All', 'Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  write: {
    app: ['Organization.ReadWrite.All'],
    delegated: ['Organization.ReadWrite.All'],
    roles: [directoryRoles.globalAdministrator.id],
  },
} satisfies Record<string, AccessRule>;

const httpsUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname === 'localhost');
    } catch {
      return false;
    }
  }, 'an absolute https URL is expected');

const updateOrganizationBody = bodySchema(organizationResource, 'update', {
  displayName: z.string().trim().min(1).max(256).optional(),
  preferredLanguage: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'a language tag like sv-SE is expected')
    .nullable()
    .optional(),
  privacyProfile: z
    .strictObject({
      statementUrl: httpsUrl.nullable().optional(),
      contactEmail: z.string().email().max(254).nullable().optional(),
    })
    .optional(),
});

const updateBrandingBody = z.strictObject({
  backgroundColor: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1f4e79 is expected')
    .nullable()
    .optional(),
  signInPageText: z.string().max(1024).nullable().optional(),
  /** Foyer extension: Graph uploads the logo as a stream; Foyer links to it. */
  bannerLogoUrl: httpsUrl.nullable().optional(),
});

/** `$select` on `/organization` and `/organization/{id}` (the only query option Graph takes there), from the description. */
const organizationModel = collectionModel(organizationResource);

export function registerOrganizationRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  async function view(tenant: Tenant, select: readonly string[]) {
    const domains = await listTenantDomains(ctx.db.kysely, tenant.id);
    // One entry for each selectable property of the organization's description (a type error otherwise).
    const all: Record<string, unknown> = {
      id: tenant.id,
      deletedDateTime: null,
      displayName: tenant.displayName,
      createdDateTime: new Date(tenant.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      preferredLanguage: tenant.preferredLanguage,
      tenantType: 'AAD',
      verifiedDomains: domains
        .filter((d) => d.isVerified)
        .map((d) => ({ capabilities: 'Email', isDefault: d.isDefault, isInitial: d.isInitial, name: d.domain, type: 'Managed' })),
      privacyProfile: { contactEmail: tenant.privacyContactEmail, statementUrl: tenant.privacyStatementUrl },
    } satisfies Record<SelectableProperty<typeof organizationResource> | SelectableProperty<typeof directoryObjectResource>, unknown>;
    return Object.fromEntries(select.map((k) => [k, all[k]]));
  }

  const own = async (request: import('fastify').FastifyRequest, id?: string) => {
    const who = await caller(request);
    if (id && id.toLowerCase() !== who.tenantId) {
      throw new FoyerError('directory.not_found', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    }
    return who;
  };

  app.get('/organization', async (request) => {
    const who = await own(request);
    authorize(who, rules.read);
    const params = request.query as Record<string, unknown>;
    const select = withFoyerLimits(organizationResource, () => entitySelect(params, organizationModel));
    return {
      '@odata.context': `${base}/$metadata#organization${selectSuffix(params, select)}`,
      value: [await view(await requireTenant(ctx.db.kysely, who.tenantId), select)],
    };
  });

  app.get('/organization/:id', async (request) => {
    const who = await own(request, (request.params as { id: string }).id);
    authorize(who, rules.read);
    const select = withFoyerLimits(organizationResource, () => entitySelect(request.query as Record<string, unknown>, organizationModel));
    return { '@odata.context': `${base}/$metadata#organization/$entity`, ...(await view(await requireTenant(ctx.db.kysely, who.tenantId), select)) };
  });

  app.patch('/organization/:id', async (request, reply) => {
    const who = await own(request, (request.params as { id: string }).id);
    authorize(who, rules.write);
    refuseUnsettable(request.body, organizationResource, 'update');
    const body = parseBody(updateOrganizationBody, request.body);
    const update: Parameters<typeof updateTenant>[2] = {};
    if (body.displayName !== undefined) update.displayName = body.displayName;
    if (body.preferredLanguage !== undefined) update.preferredLanguage = body.preferredLanguage;
    if (body.privacyProfile?.statementUrl !== undefined) update.privacyStatementUrl = body.privacyProfile.statementUrl;
    if (body.privacyProfile?.contactEmail !== undefined) update.privacyContactEmail = body.privacyProfile.contactEmail;
    await updateTenant(ctx.db.kysely, who.tenantId, update);
    await deps.tenantChanged(who.tenantId);
    return reply.code(204).send();
  });

  app.get('/organization/:id/branding', async (request) => {
    const who = await own(request, (request.params as { id: string }).id);
    authorize(who, rules.read);
    const tenant = await requireTenant(ctx.db.kysely, who.tenantId);
    return {
      '@odata.context': `${base}/$metadata#organization('${tenant.id}')/branding/$entity`,
      id: '0',
      backgroundColor: tenant.branding.backgroundColor ?? null,
      signInPageText: tenant.branding.signInPageText ?? null,
      bannerLogoUrl: tenant.branding.bannerLogoUrl ?? null,
    };
  });

  app.patch('/organization/:id/branding', async (request, reply) => {
    const who = await own(request, (request.params as { id: string }).id);
    authorize(who, rules.write);
    const body = parseBody(updateBrandingBody, request.body);
    const tenant = await requireTenant(ctx.db.kysely, who.tenantId);
    const branding = { ...tenant.branding };
    for (const key of ['backgroundColor', 'signInPageText', 'bannerLogoUrl'] as const) {
      const value = body[key];
      if (value === null) delete branding[key];
      else if (value !== undefined) branding[key] = value;
    }
    await updateTenant(ctx.db.kysely, who.tenantId, { branding });
    await deps.tenantChanged(who.tenantId);
    return reply.code(204).send();
  });
}
