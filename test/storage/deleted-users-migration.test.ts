/**
 * Migration 0013 on a database made before it: the identities it held stay and still find their guest,
 * an identity of a user already marked deleted matches nothing, and the same home identity can then be
 * bound to a new guest object (the uniqueness of issuer + issuerAssignedId holds among live users only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findGuestByIdentity } from '../../src/directory/guests.js';
import { listIdentities } from '../../src/directory/identities.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, insertTenantRow } from '../support/backends.js';

describe.each(backends)('migration 0013 on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(() => cleanup?.());

  it('keeps identities, hides a deleted user’s, and lets a live user take the same identity', async () => {
    const earlier = await earlierDatabase(backend, '0012-mfa');
    cleanup = earlier.cleanup;
    const { db, raw } = earlier;
    const created = Date.UTC(2026, 0, 15);
    await insertTenantRow(raw, created);
    const guest = (n: number, deletedAt: number | null) => ({
      id: `0192a000-0000-7000-8000-00000000000${n}`,
      tenant_id: 't1',
      user_principal_name: `g${n}@contoso.localhost`,
      upn_lower: `g${n}@contoso.localhost`,
      display_name: `G${n}`,
      display_name_lower: `g${n}`,
      user_type: 'Guest',
      creation_type: 'Invitation',
      created_at: created,
      deleted_at: deletedAt,
    });
    const live = guest(1, null);
    const gone = guest(2, created + 1);
    for (const u of [live, gone]) await raw.insertInto('users').values(u).execute();
    const identity = (userId: string, subject: string) => ({
      user_id: userId,
      tenant_id: 't1',
      sign_in_type: 'federated',
      issuer: 'https://idp.example',
      issuer_assigned_id: subject,
      created_at: created,
    });
    await raw.insertInto('user_identities').values(identity(live.id, 'alice')).execute();
    await raw.insertInto('user_identities').values(identity(gone.id, 'bob')).execute();

    await migrate(db);

    expect((await findGuestByIdentity(db.kysely, 't1', 'https://idp.example', 'alice'))?.id).toBe(live.id);
    expect(await findGuestByIdentity(db.kysely, 't1', 'https://idp.example', 'bob')).toBeUndefined();
    expect((await listIdentities(db.kysely, [gone.id])).get(gone.id)).toEqual([
      { signInType: 'federated', issuer: 'https://idp.example', issuerAssignedId: 'bob' },
    ]);
    // A new live guest may bind bob's identity; a second live one may not.
    const third = guest(3, null);
    await raw.insertInto('users').values(third).execute();
    await raw.insertInto('user_identities').values(identity(third.id, 'bob')).execute();
    expect((await findGuestByIdentity(db.kysely, 't1', 'https://idp.example', 'bob'))?.id).toBe(third.id);
    await expect(raw.insertInto('user_identities').values(identity(third.id, 'alice')).execute()).rejects.toThrow();
  });
});
