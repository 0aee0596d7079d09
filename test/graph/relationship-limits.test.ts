/**
 * Relationships at their limits, on both backends: nesting deeper than any fixed bound (cycles refused,
 * transitive lists complete), a group with more members than either backend binds in one statement (paged and
 * counted in the database), the last-owner rule under concurrent removals, GroupMember.Read.All, query
 * options the directory roles do not take, and `$expand` answered 401 before it is parsed.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { contosoWithApp, createSecurityGroup, createUser } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };
/** More bound parameters than one statement takes: SQLite by default 32,766, PostgreSQL 65,535. */
const MANY = 66_000;
/** Deeper than the 32 levels the transitive walks used to stop at. */
const DEPTH = 35;

describe.each(backends)('relationship limits on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;

  const get = (path: string, headers: Record<string, string> = {}) => graph(foyer, token, 'GET', path, undefined, headers);
  const ref = (kind: 'users' | 'groups', id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/${kind}/${id}` });
  const newGroup = (name: string) => createSecurityGroup(foyer, token, name);
  const newUser = (local: string) => createUser(foyer, token, local);

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant, token } = await contosoWithApp(foyer, 'limits', ['User.ReadWrite.All', 'Group.ReadWrite.All']));
  });
  afterAll(() => foyer?.stop());

  it(`refuses a cycle through ${DEPTH} levels of nesting, and lists every level transitively`, async () => {
    const chain: string[] = [];
    for (let i = 0; i < DEPTH; i++) chain.push(await newGroup(`c${i}`));
    const user = await newUser('deep');
    expect((await graph(foyer, token, 'POST', `/groups/${chain[0]}/members/$ref`, ref('users', user))).status).toBe(204);
    // c0 ⊂ c1 ⊂ … ⊂ c34
    for (let i = 0; i + 1 < DEPTH; i++) {
      expect((await graph(foyer, token, 'POST', `/groups/${chain[i + 1]}/members/$ref`, ref('groups', chain[i]!))).status).toBe(204);
    }
    const cycle = await graph(foyer, token, 'POST', `/groups/${chain[0]}/members/$ref`, ref('groups', chain[DEPTH - 1]!));
    expect(cycle.status).toBe(400);
    expect((await get(`/groups/${chain[0]}/members/$count`, eventual)).body).toBe(1);

    const top = await get(`/groups/${chain[DEPTH - 1]}/transitiveMembers?$top=999&$count=true&$select=id`, eventual);
    expect(top.body['@odata.count']).toBe(DEPTH);
    expect(top.body.value.map((o: { id: string }) => o.id).sort()).toEqual([user, ...chain.slice(0, DEPTH - 1)].sort());
    expect((await get(`/groups/${chain[DEPTH - 1]}/transitiveMembers/microsoft.graph.user/$count`, eventual)).body).toBe(1);
    expect((await get(`/users/${user}/transitiveMemberOf/$count`, eventual)).body).toBe(DEPTH);
    expect((await get(`/groups/${chain[0]}/transitiveMemberOf/$count`, eventual)).body).toBe(DEPTH - 1);
  });

  it(`pages and counts a group of ${MANY} members in the database`, async () => {
    const group = await newGroup('Everyone');
    const nested = await newGroup('Nested');
    const db = foyer.ctx.db.kysely;
    // Members cloned from the tenant's administrator in one statement each (33,000 requests would take minutes).
    const template = await db.selectFrom('users').selectAll().where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
    const renamed: Record<string, ReturnType<typeof sql>> = {
      id: sql`'m' || cast(n + 100000 as text)`,
      user_principal_name: sql`'m' || cast(n + 100000 as text) || '@contoso.example'`,
      upn_lower: sql`'m' || cast(n + 100000 as text) || '@contoso.example'`,
      display_name: sql`'Member ' || cast(n + 100000 as text)`,
      display_name_lower: sql`'member ' || cast(n + 100000 as text)`,
      mail: sql`null`,
      mail_lower: sql`null`,
      mail_nickname: sql`'m' || cast(n + 100000 as text)`,
    };
    const columns = Object.keys(template);
    const values = columns.map((c) => renamed[c] ?? sql`t.${sql.ref(c)}`);
    await sql`insert into users (${sql.join(columns.map((c) => sql.ref(c)))})
      select ${sql.join(values)} from users t, (
        with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${MANY}) select n from seq
      ) s where t.id = ${template.id}`.execute(db);
    await sql`insert into group_members (group_id, member_id, member_type, tenant_id, created_at)
      select ${group}, id, 'user', tenant_id, 0 from users where tenant_id = ${tenant.id} and id like 'm1%'`.execute(db);

    const started = Date.now();
    const first = await get(`/groups/${group}/members?$top=5&$count=true&$select=id,displayName`, eventual);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body['@odata.count']).toBe(MANY);
    expect(first.body.value.map((u: { id: string }) => u.id)).toEqual(['m100001', 'm100002', 'm100003', 'm100004', 'm100005']);
    const second = await get((first.body['@odata.nextLink'] as string).slice(`${foyer.url}/graph/v1.0`.length));
    expect(second.body.value.map((u: { id: string }) => u.id)).toEqual(['m100006', 'm100007', 'm100008', 'm100009', 'm100010']);
    expect((await get(`/groups/${group}/members/$count`, eventual)).body).toBe(MANY);
    const filtered = await get(`/groups/${group}/members/microsoft.graph.user?$filter=startswith(displayName,'Member 13299')&$count=true`, eventual);
    expect(filtered.status).toBe(200);
    expect(filtered.body['@odata.count']).toBe(10);
    const ordered = await get(`/groups/${group}/members/microsoft.graph.user?$orderby=displayName desc&$top=1&$count=true`, eventual);
    expect(ordered.body.value[0].id).toBe(`m${100000 + MANY}`);

    // A nested group makes the list mixed: still paged by id in the database.
    expect((await graph(foyer, token, 'POST', `/groups/${group}/members/$ref`, ref('groups', nested))).status).toBe(204);
    const mixed = await get(`/groups/${group}/members?$top=5&$count=true`, eventual);
    expect(mixed.status).toBe(200);
    expect(mixed.body['@odata.count']).toBe(MANY + 1);
    expect(mixed.body.value).toHaveLength(5);
    expect((await get(`/groups/${group}/transitiveMembers/$count`, eventual)).body).toBe(MANY + 1);
    expect((await get(`/groups?$filter=id eq '${group}'&$expand=members($select=id)`)).body.value[0].members).toHaveLength(20);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);

  it('keeps the last owner when its two owners are removed at once', async () => {
    const [a, b] = [await newUser('owner.a'), await newUser('owner.b')];
    for (let round = 0; round < 3; round++) {
      const group = await newGroup(`Owned${round}`);
      for (const owner of [a, b]) expect((await graph(foyer, token, 'POST', `/groups/${group}/owners/$ref`, ref('users', owner))).status).toBe(204);
      const answers = await Promise.all([a, b].map((owner) => graph(foyer, token, 'DELETE', `/groups/${group}/owners/${owner}/$ref`)));
      expect(answers.map((r) => r.status).sort()).toEqual([204, 400]);
      expect((await get(`/groups/${group}/owners`)).body.value).toHaveLength(1);
    }
  });

  it('never lets two nestings at once close a cycle', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = [await newGroup(`RaceA${round}`), await newGroup(`RaceB${round}`)];
      const answers = await Promise.all([
        graph(foyer, token, 'POST', `/groups/${a}/members/$ref`, ref('groups', b)),
        graph(foyer, token, 'POST', `/groups/${b}/members/$ref`, ref('groups', a)),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([204, 400]);
    }
  });

  it('lets GroupMember.Read.All read members and transitive members', async () => {
    const group = await newGroup('Readable');
    const member = await newUser('readable.member');
    expect((await graph(foyer, token, 'POST', `/groups/${group}/members/$ref`, ref('users', member))).status).toBe(204);
    const app = await foyer.createApp(tenant.id, { displayName: 'member reader', applicationPermissions: ['GroupMember.Read.All'] });
    const reader = await appToken(foyer, tenant, app);
    for (const path of [`/groups/${group}/members`, `/groups/${group}/transitiveMembers`, `/groups/${group}/members/microsoft.graph.user`]) {
      const res = await graph(foyer, reader, 'GET', path);
      expect(res.status, path).toBe(200);
      expect(res.body.value.map((u: { id: string }) => u.id)).toEqual([member]);
    }
    expect((await graph(foyer, reader, 'POST', `/groups/${group}/members/$ref`, ref('users', member))).status).toBe(403);
  });

  it('refuses query options the directory roles do not take, $expand=members included', async () => {
    const app = await foyer.createApp(tenant.id, { displayName: 'roles', applicationPermissions: ['RoleManagement.Read.Directory'] });
    const reader = await appToken(foyer, tenant, app);
    const roles = await graph(foyer, reader, 'GET', '/directoryRoles');
    expect(roles.status).toBe(200);
    const roleId = roles.body.value[0].id as string;
    for (const path of ['/directoryRoles?$expand=members', `/directoryRoles/${roleId}?$expand=members`, `/directoryRoles/${roleId}/members?$top=1`]) {
      const res = await graph(foyer, reader, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
      expect(res.body.error.message).toContain('not supported by Foyer');
    }
  });

  it('answers 401 to a request without a token before looking at its $expand', async () => {
    for (const path of ['/users?$expand=bananas', '/groups?$expand=members($levels=2)', '/me?$expand=manager']) {
      const res = await fetch(`${foyer.url}/graph/v1.0${path}`);
      expect(res.status, path).toBe(401);
    }
  });
});
