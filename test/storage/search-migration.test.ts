/**
 * Migration 0007 on a database made before it: the users and groups that exist already are found by
 * `$search` afterwards, by the words of their names and descriptions, over more than one of the
 * migration's pages (500 rows) and more than one tenant.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { groupsCollection, listGroups } from '../../src/directory/groups.js';
import { countUsers, usersCollection } from '../../src/directory/user-list.js';
import { parseCollectionQuery } from '../../src/platform/odata/query.js';
import { parseSearch } from '../../src/platform/odata/search.js';
import { migrate } from '../../src/platform/storage/migrate.js';
import { backends, earlierDatabase, insertTenantRow } from '../support/backends.js';

describe.each(backends)('migration 0007 on $name', (backend) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(() => cleanup?.());

  it('indexes the words of the users and groups made before it', async () => {
    const earlier = await earlierDatabase(backend, '0006-user-properties'); // the database as the release before this migration left it
    cleanup = earlier.cleanup;
    const { db, raw } = earlier;
    const created = Date.UTC(2026, 0, 15);
    for (const t of ['t1', 't2']) {
      await insertTenantRow(raw, created, { id: t, display_name: `Contoso ${t}`, slug: `contoso-${t}`, initial_domain: `${t}.localhost` });
    }
    // 1,200 more users, the tenants interleaved in id order: the migration reads them over three pages.
    const many = Array.from({ length: 1200 }, (_, i) => {
      const t = i % 2 === 0 ? 't1' : 't2';
      const name = `Bulk Person${i} ${i % 3 === 0 ? 'Fizzwick' : 'Other'}`;
      return {
        id: `0192b000-0000-7000-8000-${String(i).padStart(12, '0')}`,
        tenant_id: t,
        user_principal_name: `b${i}@${t}.localhost`,
        upn_lower: `b${i}@${t}.localhost`,
        display_name: name,
        display_name_lower: name.toLowerCase(),
        user_type: 'Member',
        created_at: created,
      };
    });
    for (let i = 0; i < many.length; i += 200)
      await raw
        .insertInto('users')
        .values(many.slice(i, i + 200))
        .execute();
    // Words cut at 64 code points, never inside a surrogate pair (two joined words that differ only there).
    const astral = `${'a'.repeat(63)}𝐀 ${'a'.repeat(63)}𠀀`;
    await raw
      .insertInto('users')
      .values({
        id: '0192c000-0000-7000-8000-000000000000',
        tenant_id: 't2',
        user_principal_name: 'astral@t2.localhost',
        upn_lower: 'astral@t2.localhost',
        display_name: astral,
        display_name_lower: astral.toLowerCase(),
        user_type: 'Member',
        created_at: created,
      })
      .execute();
    for (const [i, name] of ['Adele Vance', 'Alex Wilber', 'MeganBowen'].entries()) {
      await raw
        .insertInto('users')
        .values({
          id: `0192a000-0000-7000-8000-00000000000${i}`,
          tenant_id: 't1',
          user_principal_name: `u${i}@contoso.localhost`,
          upn_lower: `u${i}@contoso.localhost`,
          display_name: name,
          display_name_lower: name.toLowerCase(),
          user_type: 'Member',
          created_at: created,
        })
        .execute();
    }
    await raw
      .insertInto('groups')
      .values({
        id: '0192a000-0000-7000-8000-0000000000g1',
        tenant_id: 't1',
        display_name: 'Mark 8 Project',
        display_name_lower: 'mark 8 project',
        description: 'Launch team',
        mail_nickname: 'mark8',
        mail_enabled: 0,
        security_enabled: 1,
        created_at: created,
      })
      .execute();

    await migrate(db);

    const count = (search: string) => countUsers(db.kysely, db.dialect, 't1', undefined, parseSearch(search, usersCollection));
    expect(await count('"displayName:vance"')).toBe(1);
    expect(await count('"displayName:al"')).toBe(1);
    expect(await count('"displayName:bowen"')).toBe(1);
    expect(await count('"displayName:fizzwick"')).toBe(200);
    expect(await count('"displayName:bulk"')).toBe(600);
    const inT2 = (search: string) => countUsers(db.kysely, db.dialect, 't2', undefined, parseSearch(search, usersCollection));
    expect(await inT2('"displayName:fizzwick"')).toBe(200);
    expect(await inT2('"displayName:person1199"')).toBe(1);
    expect(await inT2(`"displayName:${'a'.repeat(63)}𠀀"`)).toBe(1);
    expect(await inT2(`"displayName:${'a'.repeat(63)}𝐀"`)).toBe(1);
    const groups = await listGroups(
      db.kysely,
      db.dialect,
      't1',
      parseCollectionQuery({ $search: '"description:launch" AND "displayName:8"' }, groupsCollection),
    );
    expect(groups.groups.map((g) => g.displayName)).toEqual(['Mark 8 Project']);
  });
});
