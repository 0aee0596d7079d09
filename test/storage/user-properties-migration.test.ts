/**
 * Migration 0006 on a database made before it: users keep working, with no phones, no office or
 * organisation, and the UPN's local part as their mail alias (as Entra names an account made without one).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findUser } from '../../src/directory/users.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, insertTenantRow } from '../support/backends.js';

describe.each(backends)('migration 0006 on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(() => cleanup?.());

  it('gives the users made before it an alias from their UPN and empty new properties', async () => {
    const earlier = await earlierDatabase(backend, '0005-application-credentials'); // the database as the release before the next migration left it
    cleanup = earlier.cleanup;
    const { db, raw } = earlier;
    const created = Date.UTC(2026, 0, 15);
    await insertTenantRow(raw, created);
    await raw
      .insertInto('users')
      .values({
        id: '0192a000-0000-7000-8000-000000000001',
        tenant_id: 't1',
        user_principal_name: 'Adele.Vance@contoso.localhost',
        upn_lower: 'adele.vance@contoso.localhost',
        display_name: 'Adele Vance',
        display_name_lower: 'adele vance',
        user_type: 'Member',
        created_at: created,
      })
      .execute();

    await migrate(db);

    const user = await findUser(db.kysely, 't1', 'adele.vance@contoso.localhost');
    expect(user).toMatchObject({
      mailNickname: 'Adele.Vance',
      businessPhones: [],
      mobilePhone: null,
      officeLocation: null,
      department: null,
      employeeId: null,
      usageLocation: null,
      postalCode: null,
    });
  });
});
