/**
 * Tenants (organizations' directories): creation with their first Global Administrator and signing key,
 * lookup by id or any domain, and the organization resource Graph exposes.
 */
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { type Executor, isUniqueViolation } from '../platform/storage/database.js';
import type { TenantsTable } from '../platform/storage/schema.js';
import { normalizeDomain, parseEmailAddress, slugify } from './domains.js';
import { assertPasswordAcceptable } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { directoryRoles } from './roles.js';
import { generateSigningKey, insertSigningKey } from './signing-keys.js';
import { insertUserRow } from './user-rows.js';

export interface Branding {
  bannerLogoUrl?: string;
  backgroundColor?: string;
  signInPageText?: string;
}

export interface Tenant {
  id: string;
  displayName: string;
  slug: string;
  initialDomain: string;
  branding: Branding;
  privacyStatementUrl: string | null;
  privacyContactEmail: string | null;
  preferredLanguage: string | null;
  keysVersion: number;
  createdAt: number;
}

export interface TenantDomain {
  domain: string;
  isVerified: boolean;
  isInitial: boolean;
  isDefault: boolean;
}

export function tenantFromRow(r: TenantsTable): Tenant {
  return {
    id: r.id,
    displayName: r.display_name,
    slug: r.slug,
    initialDomain: r.initial_domain,
    branding: JSON.parse(r.branding) as Branding,
    privacyStatementUrl: r.privacy_statement_url,
    privacyContactEmail: r.privacy_contact_email,
    preferredLanguage: r.preferred_language,
    keysVersion: r.keys_version,
    createdAt: r.created_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant by its id or by any of its domains (as `T` in the CLI and `{tenant}` in OIDC paths). */
export async function findTenant(db: Executor, idOrDomain: string): Promise<Tenant | undefined> {
  const key = idOrDomain.trim().toLowerCase();
  if (UUID.test(key)) {
    const row = await db.selectFrom('tenants').selectAll().where('id', '=', key).executeTakeFirst();
    return row ? tenantFromRow(row) : undefined;
  }
  const domain = normalizeDomain(key);
  if (!domain) return undefined;
  const row = await db
    .selectFrom('tenant_domains')
    .innerJoin('tenants', 'tenants.id', 'tenant_domains.tenant_id')
    .selectAll('tenants')
    .where('tenant_domains.domain', '=', domain)
    .executeTakeFirst();
  return row ? tenantFromRow(row) : undefined;
}

export async function requireTenant(db: Executor, idOrDomain: string): Promise<Tenant> {
  const tenant = await findTenant(db, idOrDomain);
  if (!tenant) throw new FoyerError('tenant.not_found', `No tenant has the id or domain '${idOrDomain}'.`);
  return tenant;
}

export async function listTenantDomains(db: Executor, tenantId: string): Promise<TenantDomain[]> {
  const rows = await db.selectFrom('tenant_domains').selectAll().where('tenant_id', '=', tenantId).orderBy('is_initial', 'desc').orderBy('domain').execute();
  return rows.map((r) => ({
    domain: r.domain,
    isVerified: r.is_verified === 1,
    isInitial: r.is_initial === 1,
    isDefault: r.is_default === 1,
  }));
}

export interface CreateTenantInput {
  name: string;
  domains?: string[];
  adminEmail: string;
  adminPassword: string;
  adminDisplayName?: string;
  slug?: string;
}

export interface CreatedTenant {
  tenant: Tenant;
  domains: TenantDomain[];
  admin: { id: string; userPrincipalName: string; mail: string };
}

export async function createTenant(ctx: AppContext, input: CreateTenantInput): Promise<CreatedTenant> {
  const name = input.name?.trim();
  if (!name || name.length > 256) {
    throw new FoyerError('request.invalid_body', 'The tenant name must be 1 to 256 characters.');
  }
  const admin = parseEmailAddress(input.adminEmail);
  if (!admin) throw new FoyerError('request.invalid_body', `'${input.adminEmail}' is not a valid e-mail address.`);

  const extra: string[] = [];
  for (const d of input.domains ?? []) {
    const domain = normalizeDomain(d);
    if (!domain) throw new FoyerError('request.invalid_body', `'${d}' is not a valid domain name.`);
    if (!extra.includes(domain)) extra.push(domain);
  }

  const baseSlug = input.slug ? slugify(input.slug) : slugify(name);
  const suffix = ctx.config.tenantDomainSuffix;
  const now = ctx.clock.now();
  const tenantId = newId();
  const adminId = newId();
  const key = await generateSigningKey(ctx);

  // The admin's UPN is their address when its domain is one of the tenant's; else local@initial domain,
  // with the address kept as `mail` (how Entra's first admin gets admin@contoso.onmicrosoft.com).
  const upnFor = (initialDomain: string) =>
    extra.includes(admin.domain) || admin.domain === initialDomain ? admin.address : `${admin.local}@${initialDomain}`;
  assertPasswordAcceptable(ctx, input.adminPassword, {
    userPrincipalName: admin.address,
    mail: admin.address,
    displayName: input.adminDisplayName?.trim() || admin.local,
  });
  const passwordHash = await hashPassword(input.adminPassword);

  return ctx.db
    .transaction(async (trx) => {
      const slug = await freeSlug(trx, baseSlug, suffix);
      // The checks below read before they write; the unique indexes settle a race with another creation.
      const initialDomain = `${slug}.${suffix}`;
      if (!normalizeDomain(initialDomain)) {
        throw new FoyerError('request.invalid_body', `The initial domain '${initialDomain}' is not a valid domain name.`);
      }
      for (const domain of extra) {
        const taken = await trx.selectFrom('tenant_domains').select('domain').where('domain', '=', domain).executeTakeFirst();
        if (taken || domain === initialDomain) {
          throw new FoyerError('tenant.domain_taken', `The domain '${domain}' already belongs to a tenant on this instance.`);
        }
      }
      await trx
        .insertInto('tenants')
        .values({
          id: tenantId,
          display_name: name,
          slug,
          initial_domain: initialDomain,
          branding: '{}',
          privacy_statement_url: null,
          privacy_contact_email: null,
          preferred_language: null,
          keys_version: 1,
          created_at: now,
        })
        .execute();
      await trx
        .insertInto('tenant_domains')
        .values([
          { domain: initialDomain, tenant_id: tenantId, is_verified: 1, is_initial: 1, is_default: extra.length ? 0 : 1, created_at: now },
          ...extra.map((domain, i) => ({
            domain,
            tenant_id: tenantId,
            is_verified: 1,
            is_initial: 0,
            is_default: i === 0 ? 1 : 0,
            created_at: now,
          })),
        ])
        .execute();
      const upn = upnFor(initialDomain);
      await insertUserRow(trx, {
        id: adminId,
        tenantId,
        upn,
        issuer: initialDomain,
        mail: admin.address,
        displayName: input.adminDisplayName?.trim() || admin.local,
        passwordHash,
        now,
      });
      await trx
        .insertInto('role_assignments')
        .values({
          tenant_id: tenantId,
          role_template_id: directoryRoles.globalAdministrator.id,
          principal_id: adminId,
          created_at: now,
        })
        .execute();
      await insertSigningKey(trx, tenantId, key, now);
      const tenant = await trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirstOrThrow();
      return {
        tenant: tenantFromRow(tenant),
        domains: await listTenantDomains(trx, tenantId),
        admin: { id: adminId, userPrincipalName: upn, mail: admin.address },
      };
    })
    .catch((err: unknown) => {
      if (isUniqueViolation(err)) {
        throw new FoyerError('tenant.domain_taken', 'Another tenant took one of these domains at the same moment; try again.');
      }
      throw err;
    });
}

async function freeSlug(db: Executor, base: string, suffix: string): Promise<string> {
  for (let n = 1; n < 1000; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    const taken = await db
      .selectFrom('tenants')
      .select('id')
      .where((eb) => eb.or([eb('slug', '=', slug), eb('initial_domain', '=', `${slug}.${suffix}`)]))
      .executeTakeFirst();
    const domainTaken = await db.selectFrom('tenant_domains').select('domain').where('domain', '=', `${slug}.${suffix}`).executeTakeFirst();
    if (!taken && !domainTaken) return slug;
  }
  throw new FoyerError('tenant.domain_taken', `No free initial domain for '${base}'.`);
}

export interface TenantUpdate {
  displayName?: string;
  branding?: Branding;
  privacyStatementUrl?: string | null;
  privacyContactEmail?: string | null;
  preferredLanguage?: string | null;
}

export async function updateTenant(db: Executor, tenantId: string, update: TenantUpdate): Promise<void> {
  const set: Partial<TenantsTable> = {};
  if (update.displayName !== undefined) set.display_name = update.displayName;
  if (update.branding !== undefined) set.branding = JSON.stringify(update.branding);
  if (update.privacyStatementUrl !== undefined) set.privacy_statement_url = update.privacyStatementUrl;
  if (update.privacyContactEmail !== undefined) set.privacy_contact_email = update.privacyContactEmail;
  if (update.preferredLanguage !== undefined) set.preferred_language = update.preferredLanguage;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('tenants').set(set).where('id', '=', tenantId).execute();
}

export async function countTenants(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('tenants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
