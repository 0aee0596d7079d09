/**
 * Migration 0006 on a database made before it: users keep working, with no phones, no office or
 * organisation, and the UPN's local part as their mail alias (as Entra names an account made without one).
 */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { findUser } from '../../src/directory/users.js';
import { type Database, openDatabase } from '../../src/platform/storage/database.js';
import { migrate, migrateUpTo } from '../../src/platform/storage/migrate.js';
import { backends } from '../support/backends.js';

describe.each(backends)('migration 0006 on $name', (backend) => {
  let db: Database | undefined;
  let url = '';
  afterEach(async () => {
    await db?.close();
    await backend.drop(url);
  });

  it('gives the users made before it an alias from their UPN and empty new properties', async () => {
    url = backend.freshUrl();
    db = openDatabase(url);
    await migrateUpTo(db, '0005-application-credentials'); // the database as the release before the next migration left it
    const raw = db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const created = Date.UTC(2026, 0, 15);
    await raw
      .insertInto('tenants')
      .values({ id: 't1', display_name: 'Contoso', slug: 'contoso', initial_domain: 'contoso.localhost', created_at: created })
      .execute();
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
