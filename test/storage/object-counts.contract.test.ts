/**
 * `directory_object_counts` (migration 0011): the database keeps each tenant's number of live users and of
 * groups, whatever writes them (the directory's functions, raw SQL, many writers at once), and
 * `GET /users/$count` / `GET /groups/$count` without a filter read it. After every step the stored count
 * must equal `count(*)` of the rows the list shows.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countGroups, createGroup, deleteGroup } from '../../src/directory/groups.js';
import { createTenant } from '../../src/directory/tenants.js';
import { countUsers } from '../../src/directory/user-list.js';
import { createMember, deleteUser } from '../../src/directory/users.js';
import type { AppContext } from '../../src/platform/context.js';
import { type Database, openDatabase } from '../../src/platform/storage/database.js';
import { migrate, migrateUpTo } from '../../src/platform/storage/migrate.js';
import { backends, freshContext } from '../support/backends.js';

type Raw = Kysely<Record<string, Record<string, unknown>>>;

const created = Date.UTC(2026, 0, 15);
const userRow = (tenantId: string, id: string, deletedAt: number | null = null) => ({
  id,
  tenant_id: tenantId,
  user_principal_name: `${id}@raw.example`,
  upn_lower: `${id}@raw.example`,
  display_name: id,
  display_name_lower: id,
  user_type: 'Member',
  created_at: created,
  deleted_at: deletedAt,
});
const groupRow = (tenantId: string, id: string) => ({
  id,
  tenant_id: tenantId,
  display_name: id,
  display_name_lower: id,
  mail_nickname: id,
  mail_enabled: 0,
  security_enabled: 1,
  created_at: created,
});

/** The stored counts of a tenant, undefined where it has no row. */
async function stored(db: Database, tenantId: string): Promise<{ user?: number; group?: number }> {
  const rows = await (db.kysely as unknown as Raw)
    .selectFrom('directory_object_counts')
    .select(['object_type', 'live_count'])
    .where('tenant_id', '=', tenantId)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.object_type, Number(r.live_count)]));
}

/** What `count(*)` says: users not soft-deleted, and groups. */
async function actual(db: Database, tenantId: string): Promise<{ user: number; group: number }> {
  const users = await sql<{ n: number | string }>`select count(*) as n from users where tenant_id = ${tenantId} and deleted_at is null`.execute(db.kysely);
  const groups = await sql<{ n: number | string }>`select count(*) as n from "groups" where tenant_id = ${tenantId}`.execute(db.kysely);
  return { user: Number(users.rows[0]!.n), group: Number(groups.rows[0]!.n) };
}

describe.each(backends)('object counts on $name', (backend) => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;
  let tenantId: string;
  const raw = () => ctx.db.kysely as unknown as Raw;

  /** The stored counts equal count(*), and the unfiltered $count answers them; returns them. */
  const expectConsistent = async (tenant = tenantId) => {
    const truth = await actual(ctx.db, tenant);
    const counts = await stored(ctx.db, tenant);
    expect({ user: counts.user ?? 0, group: counts.group ?? 0 }).toEqual(truth);
    expect(await countUsers(ctx.db.kysely, ctx.db.dialect, tenant)).toBe(truth.user);
    expect(await countGroups(ctx.db.kysely, ctx.db.dialect, tenant)).toBe(truth.group);
    return truth;
  };

  beforeAll(async () => {
    ({ ctx, cleanup } = await freshContext(backend));
    const made = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'admin@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    tenantId = made.tenant.id;
  });
  afterAll(() => cleanup?.());

  it('follows creations and deletions through the directory', async () => {
    expect(await expectConsistent()).toEqual({ user: 1, group: 0 }); // the first administrator
    const member = (local: string) =>
      createMember(ctx, tenantId, { userPrincipalName: `${local}@contoso.example`, displayName: local, password: 'Correct-Horse-9' });
    const ann = await member('ann');
    await member('bob');
    const group = await createGroup(ctx, tenantId, { displayName: 'Team', mailNickname: 'team' });
    await createGroup(ctx, tenantId, { displayName: 'Other', mailNickname: 'other' });
    expect(await expectConsistent()).toEqual({ user: 3, group: 2 });
    await deleteUser(ctx, tenantId, ann.id);
    await deleteGroup(ctx, tenantId, group.id);
    expect(await expectConsistent()).toEqual({ user: 2, group: 1 });
  });

  it('follows raw SQL: inserts, soft deletion, restoring, deleting a soft-deleted row', async () => {
    const before = await expectConsistent();
    await raw().insertInto('users').values(userRow(tenantId, 'raw-1')).execute();
    await raw().insertInto('users').values(userRow(tenantId, 'raw-2')).execute();
    await raw()
      .insertInto('users')
      .values(userRow(tenantId, 'raw-gone', created))
      .execute(); // soft-deleted from the start
    await raw().insertInto('groups').values(groupRow(tenantId, 'raw-g')).execute();
    expect(await expectConsistent()).toEqual({ user: before.user + 2, group: before.group + 1 });

    // Soft deletion hides the row from the list, and so from the count; done twice, it counts once.
    await raw().updateTable('users').set({ deleted_at: created }).where('id', '=', 'raw-1').execute();
    await raw()
      .updateTable('users')
      .set({ deleted_at: created + 1 })
      .where('id', '=', 'raw-1')
      .execute();
    expect(await expectConsistent()).toEqual({ user: before.user + 1, group: before.group + 1 });
    // Other columns change nothing.
    await raw().updateTable('users').set({ display_name: 'Renamed' }).where('tenant_id', '=', tenantId).execute();
    expect((await expectConsistent()).user).toBe(before.user + 1);
    // Restored, it counts again; a soft-deleted row deleted for good was not counted.
    await raw().updateTable('users').set({ deleted_at: null }).where('id', '=', 'raw-1').execute();
    await raw().deleteFrom('users').where('id', '=', 'raw-gone').execute();
    expect(await expectConsistent()).toEqual({ user: before.user + 2, group: before.group + 1 });
    // A statement touching several rows at once.
    await raw().updateTable('users').set({ deleted_at: created }).where('id', 'in', ['raw-1', 'raw-2']).execute();
    expect((await expectConsistent()).user).toBe(before.user);
    await raw().deleteFrom('users').where('id', 'in', ['raw-1', 'raw-2']).execute();
    await raw().deleteFrom('groups').where('id', '=', 'raw-g').execute();
    expect(await expectConsistent()).toEqual(before);
  });

  it('keeps count under concurrent writers', async () => {
    const before = await expectConsistent();
    // 20 creations at once through the directory, and 20 raw inserts each in its own transaction.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createMember(ctx, tenantId, { userPrincipalName: `many.${i}@contoso.example`, displayName: `Many ${i}`, password: 'Correct-Horse-9' }),
      ),
    );
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        ctx.db.transaction((trx) =>
          (trx as unknown as Raw)
            .insertInto('users')
            .values(userRow(tenantId, `conc-${i}`))
            .execute(),
        ),
      ),
      ...Array.from({ length: 10 }, (_, i) => createGroup(ctx, tenantId, { displayName: `Group ${i}`, mailNickname: `group${i}` })),
    ]);
    expect(await expectConsistent()).toEqual({ user: before.user + 40, group: before.group + 10 });
    // Soft deletions and deletions at once.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ctx.db.transaction(async (trx) => {
          const t = trx as unknown as Raw;
          if (i % 2 === 0) await t.updateTable('users').set({ deleted_at: created }).where('id', '=', `conc-${i}`).execute();
          else await t.deleteFrom('users').where('id', '=', `conc-${i}`).execute();
        }),
      ),
    );
    expect(await expectConsistent()).toEqual({ user: before.user + 20, group: before.group + 10 });
  });

  it('starts a tenant without objects at zero, and goes with its tenant', async () => {
    await raw()
      .insertInto('tenants')
      .values({ id: 'gone', display_name: 'Gone', slug: 'gone', initial_domain: 'gone.localhost', created_at: created })
      .execute();
    expect(await stored(ctx.db, 'gone')).toEqual({});
    expect(await expectConsistent('gone')).toEqual({ user: 0, group: 0 });
    await raw().insertInto('users').values(userRow('gone', 'gone-1')).execute();
    await raw().insertInto('groups').values(groupRow('gone', 'gone-g')).execute();
    expect(await stored(ctx.db, 'gone')).toEqual({ user: 1, group: 1 });
    await raw().deleteFrom('tenants').where('id', '=', 'gone').execute();
    expect(await stored(ctx.db, 'gone')).toEqual({});
    expect(await expectConsistent()).toBeDefined(); // the other tenant's counts untouched
  });
});

describe.each(backends)('migration 0011 on $name', (backend) => {
  let db: Database | undefined;
  let url = '';
  afterEach(async () => {
    await db?.close();
    await backend.drop(url);
  });

  it('counts the users and groups that exist already, and keeps counting after', async () => {
    url = backend.freshUrl();
    db = openDatabase(url);
    await migrateUpTo(db, '0010-must-change-password'); // the database as the release before this migration left it
    const raw = db.kysely as unknown as Raw;
    for (const id of ['t1', 't2', 'empty']) {
      await raw
        .insertInto('tenants')
        .values({ id, display_name: id, slug: id, initial_domain: `${id}.localhost`, created_at: created })
        .execute();
    }
    for (let i = 0; i < 5; i++)
      await raw
        .insertInto('users')
        .values(userRow('t1', `u${i}`, i === 4 ? created : null))
        .execute();
    await raw.insertInto('users').values(userRow('t2', 'v0')).execute();
    for (const id of ['g1', 'g2']) await raw.insertInto('groups').values(groupRow('t1', id)).execute();

    await migrate(db);

    expect(await stored(db, 't1')).toEqual({ user: 4, group: 2 }); // not the soft-deleted one
    expect(await stored(db, 't2')).toEqual({ user: 1 });
    expect(await stored(db, 'empty')).toEqual({});
    expect(await countUsers(db.kysely, db.dialect, 't1')).toBe(4);
    expect(await countGroups(db.kysely, db.dialect, 't2')).toBe(0);
    await raw.insertInto('users').values(userRow('t2', 'v1')).execute();
    await raw.updateTable('users').set({ deleted_at: null }).where('id', '=', 'u4').execute();
    expect(await stored(db, 't2')).toEqual({ user: 2 });
    expect(await stored(db, 't1')).toEqual({ user: 5, group: 2 });
  });
});
