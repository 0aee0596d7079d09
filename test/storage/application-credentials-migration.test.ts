/**
 * Migration 0005 on a database made before it: a secret registered then keeps working (its keyId is its
 * row id, it starts at its creation and keeps its end), and the app's name becomes filterable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listClientSecrets, listPasswordCredentials, secretMatches } from '../../src/directory/application-secrets.js';
import { sha256 } from '../../src/platform/ids.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, insertTenantRow } from '../support/backends.js';

describe.each(backends)('migration 0005 on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(() => cleanup?.());

  it('keeps the secrets registered before it working, and shows them with a keyId, hint and start', async () => {
    const earlier = await earlierDatabase(backend, '0003-redemption'); // the database as the release before the next migration left it
    cleanup = earlier.cleanup;
    const { db, raw } = earlier;
    const created = Date.UTC(2026, 0, 15);
    await insertTenantRow(raw, created);
    await raw
      .insertInto('applications')
      .values({
        id: 'a1',
        tenant_id: 't1',
        app_id: '11111111-2222-4333-8444-555555555555',
        display_name: 'Legacy Daemon',
        public_client: 0,
        created_at: created,
      })
      .execute();
    const secret = 'legacy-secret-value-0123456789abcdefghijklmno';
    await raw
      .insertInto('application_secrets')
      .values({ id: 'k1', application_id: 'a1', secret_hash: sha256(secret), hint: 'leg', created_at: created, expires_at: null })
      .execute();

    await migrate(db);

    const now = Date.UTC(2027, 5, 1);
    expect(secretMatches(secret, await listClientSecrets(db.kysely, 'a1', now), now)).toBe(true);
    expect((await listPasswordCredentials(db.kysely, ['a1'])).get('a1')).toEqual([
      { keyId: 'k1', displayName: null, hint: 'leg', startDateTime: created, endDateTime: null },
    ]);
    const app = await db.kysely.selectFrom('applications').select('display_name_lower').executeTakeFirstOrThrow();
    expect(app.display_name_lower).toBe('legacy daemon');
  });
});
