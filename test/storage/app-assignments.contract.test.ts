/**
 * App assignment in storage, on both backends: migration 0015 gives every app registered before it a
 * service principal (with its own id), and a user's assignments outlive a soft delete (hidden while the
 * user is deleted, back with a restore, gone with the purge), so a restored user signs in to an app that
 * requires assignment as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { addAppRoleAssignment, checkAppAssignment, DEFAULT_ACCESS_ROLE_ID, listAppRoleAssignedTo } from '../../src/directory/app-assignments.js';
import { createApplication } from '../../src/directory/applications.js';
import { purgeUser, restoreUser } from '../../src/directory/deleted-users.js';
import { findServicePrincipalByAppId, requireServicePrincipalByAppId, updateServicePrincipal } from '../../src/directory/service-principals.js';
import { createTenant } from '../../src/directory/tenants.js';
import { createMember, deleteUser } from '../../src/directory/users.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, freshContext, insertTenantRow } from '../support/backends.js';

const CLI = { kind: 'cli' as const, displayName: 'test' };

describe.each(backends)('app assignment storage on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('migration 0015 gives each existing app a service principal of its own, not requiring assignment', async () => {
    const earlier = await earlierDatabase(backend, '0014-sign-in-log');
    cleanup = earlier.cleanup;
    const { db, raw } = earlier;
    const created = Date.UTC(2026, 3, 1);
    await insertTenantRow(raw, created);
    const appId = '11111111-2222-4333-8444-555555555555';
    await raw
      .insertInto('applications')
      .values({
        id: 'a1',
        tenant_id: 't1',
        app_id: appId,
        display_name: 'Legacy portal',
        display_name_lower: 'legacy portal',
        public_client: 0,
        created_at: created,
      })
      .execute();

    await migrate(db);

    const sp = await findServicePrincipalByAppId(db.kysely, appId);
    expect(sp).toMatchObject({
      tenantId: 't1',
      applicationId: 'a1',
      appId,
      displayName: 'Legacy portal',
      appRoleAssignmentRequired: false,
      createdAt: created,
    });
    expect(sp!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sp!.id).not.toBe('a1');
    expect(await checkAppAssignment(db.kysely, 't1', appId, 'anyone')).toEqual({ allowed: true });
  });

  it('keeps a user’s assignment through a soft delete and a restore, and drops it with the purge', async () => {
    const fresh = await freshContext(backend);
    cleanup = fresh.cleanup;
    const { ctx } = fresh;
    const { tenant } = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'admin@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    const { application } = await createApplication(ctx, tenant.id, { displayName: 'Portal', redirectUris: ['https://portal.example/cb'] });
    const sp = await requireServicePrincipalByAppId(ctx.db.kysely, tenant.id, application.appId);
    await updateServicePrincipal(ctx, tenant.id, sp.id, { appRoleAssignmentRequired: true }, CLI);
    const dana = await createMember(ctx, tenant.id, { userPrincipalName: 'dana@contoso.example', displayName: 'Dana', password: 'Orchard-Long-Passphrase-1' });
    await addAppRoleAssignment(ctx, tenant.id, { resourceId: sp.id, principalId: dana.id, appRoleId: DEFAULT_ACCESS_ROLE_ID }, CLI);
    expect((await checkAppAssignment(ctx.db.kysely, tenant.id, application.appId, dana.id)).allowed).toBe(true);

    await deleteUser(ctx, tenant.id, dana.id);
    expect(await listAppRoleAssignedTo(ctx.db.kysely, tenant.id, sp.id)).toEqual([]);

    await restoreUser(ctx, tenant.id, dana.id);
    expect((await listAppRoleAssignedTo(ctx.db.kysely, tenant.id, sp.id)).map((a) => a.principalId)).toEqual([dana.id]);
    expect((await checkAppAssignment(ctx.db.kysely, tenant.id, application.appId, dana.id)).allowed).toBe(true);

    await deleteUser(ctx, tenant.id, dana.id);
    await purgeUser(ctx, tenant.id, dana.id);
    const left = await ctx.db.kysely.selectFrom('app_role_assignments').select('id').where('resource_id', '=', sp.id).execute();
    expect(left).toEqual([]);
    expect(await checkAppAssignment(ctx.db.kysely, tenant.id, application.appId, dana.id)).toEqual({
      allowed: false,
      appId: application.appId,
      appDisplayName: 'Portal',
    });
  });
});
