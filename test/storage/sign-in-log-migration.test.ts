/**
 * Migration 0014 on a database made before it: the sign-in records 0012 kept stay readable (as
 * interactive browser sign-ins of the tenant, filled in from their users), users gain their signInActivity
 * from those entries, and the log then takes
 * an entry without a user (a name that matched no one), with the names the writer adds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listSignInRecords } from '../../src/directory/sign-in-list.js';
import { writeSignInRecord } from '../../src/directory/sign-in-log.js';
import { findUser } from '../../src/directory/users.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, insertTenantRow } from '../support/backends.js';

describe.each(backends)('migration 0014 on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(() => cleanup?.());

  it('keeps the earlier records, and then logs a sign-in without a user', async () => {
    const earlier = await earlierDatabase(backend, '0012-mfa');
    cleanup = earlier.cleanup;
    const { db, raw } = earlier;
    const created = Date.UTC(2026, 0, 15);
    await insertTenantRow(raw, created);
    const userId = '0192a000-0000-7000-8000-000000000001';
    await raw
      .insertInto('users')
      .values({
        id: userId,
        tenant_id: 't1',
        user_principal_name: 'alice@contoso.localhost',
        upn_lower: 'alice@contoso.localhost',
        display_name: 'Alice',
        display_name_lower: 'alice',
        user_type: 'Member',
        created_at: created,
      })
      .execute();
    await raw
      .insertInto('sign_in_records')
      .values({
        id: '0192a000-0000-7000-8000-0000000000a1',
        tenant_id: 't1',
        user_id: userId,
        app_id: 'app-1',
        created_at: created + 1000,
        error_code: 50074,
        failure_reason: 'Strong authentication is required.',
        amr: '["pwd"]',
        applied_policies: '[]',
      })
      .execute();
    await raw
      .insertInto('sign_in_records')
      .values({
        id: '0192a000-0000-7000-8000-0000000000a0',
        tenant_id: 't1',
        user_id: userId,
        app_id: 'app-1',
        created_at: created + 500,
        error_code: 0,
        failure_reason: null,
        amr: '["pwd"]',
        applied_policies: '[]',
      })
      .execute();

    await migrate(db);

    const [kept] = await listSignInRecords(db.kysely, 't1');
    expect(kept).toMatchObject({
      userId,
      appId: 'app-1',
      errorCode: 50074,
      createdAt: created + 1000,
      isInteractive: true,
      clientAppUsed: 'Browser',
      resourceTenantId: 't1',
      amr: ['pwd'],
      // Filled in from the user, so filters match what the API shows.
      userDisplayName: 'Alice',
      userPrincipalName: 'alice@contoso.localhost',
      userType: 'Member',
      homeTenantId: 't1',
      crossTenantAccessType: 'none',
    });
    // signInActivity from the kept entries: the latest attempt, and the latest success.
    const alice = await findUser(db.kysely, 't1', userId);
    expect(alice).toMatchObject({ lastSignInDateTime: created + 1000, lastSuccessfulSignInDateTime: created + 500 });

    await writeSignInRecord(db.kysely, {
      tenantId: 't1',
      userId: null,
      typedName: 'nobody@contoso.localhost',
      appId: null,
      errorCode: 50034,
      at: created + 2000,
    });
    await writeSignInRecord(db.kysely, { tenantId: 't1', userId, appId: null, errorCode: 0, at: created + 3000 });
    const [success, unknown] = await listSignInRecords(db.kysely, 't1');
    expect(unknown).toMatchObject({ userId: null, userPrincipalName: 'nobody@contoso.localhost', errorCode: 50034, crossTenantAccessType: 'none' });
    expect(success).toMatchObject({ userId, userDisplayName: 'Alice', userPrincipalName: 'alice@contoso.localhost', userType: 'Member', homeTenantId: 't1' });
    expect(await findUser(db.kysely, 't1', userId)).toMatchObject({ lastSignInDateTime: created + 3000, lastSuccessfulSignInDateTime: created + 3000 });
  });
});
