/**
 * Migration 0009 on a database made before it: the memberships it held stay (as user members), the group
 * and its members keep working, a group can then be nested, and deleting a member user still ends its
 * memberships (the member column no longer has a foreign key to users).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memberRefsOf, transitiveMemberRefsOf } from '../../src/directory/memberships.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, insertTenantRow } from '../support/backends.js';

describe.each(backends)('migration 0009 on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(() => cleanup?.());

  it('keeps the memberships made before it as user members', async () => {
    const earlier = await earlierDatabase(backend, '0008-directory-changes'); // the database as the release before this migration left it
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
        user_principal_name: 'adele@contoso.localhost',
        upn_lower: 'adele@contoso.localhost',
        display_name: 'Adele',
        display_name_lower: 'adele',
        user_type: 'Member',
        created_at: created,
      })
      .execute();
    for (const id of ['g1', 'g2']) {
      await raw
        .insertInto('groups')
        .values({ id, tenant_id: 't1', display_name: id, display_name_lower: id, mail_nickname: id, mail_enabled: 0, security_enabled: 1, created_at: created })
        .execute();
    }
    await raw.insertInto('group_members').values({ group_id: 'g1', member_id: userId, tenant_id: 't1', created_at: created }).execute();

    await migrate(db);

    expect(await memberRefsOf(db.kysely, 'g1')).toEqual([{ id: userId, type: 'user' }]);
    await raw.insertInto('group_members').values({ group_id: 'g2', member_id: 'g1', member_type: 'group', tenant_id: 't1', created_at: created }).execute();
    expect((await transitiveMemberRefsOf(db.kysely, 't1', 'g2')).map((r) => r.id).sort()).toEqual(['g1', userId].sort());
    // A check constraint keeps member_type to the two kinds.
    await expect(
      raw.insertInto('group_members').values({ group_id: 'g2', member_id: 'x', member_type: 'device', tenant_id: 't1', created_at: created }).execute(),
    ).rejects.toThrow();
  });
});
