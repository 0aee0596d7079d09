/**
 * `$search` on `/users` and `/groups` as Graph runs it on directory objects: `"property:text"` clauses,
 * word-prefix matching on displayName and description (never "contains"), `startswith` on the other
 * properties, AND/OR, only with `ConsistencyLevel: eventual`; combined with `$filter`, `$orderby`,
 * `$top` paging, `$count` and the `$count` segment; over HTTP and through the Kiota SDK.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SEARCH_ENTRIES } from '../../src/directory/search-tokens.js';
import { backends, POSTGRES_BASE } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient } from '../support/kiota-client.js';
import { appToken, graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };
const q = (search: string) => encodeURIComponent(search);

describe.each(backends)('$search on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, {
      displayName: 'searcher',
      applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All', 'Application.Read.All', 'AuditLog.Read.All', 'User.Invite.All'],
    });
    token = await appToken(foyer, tenant, app);
    for (const [local, displayName, jobTitle] of [
      ['alice', 'Alice Smith', 'Engineer'],
      ['rosa', 'Rosa Alinsky', 'Designer'],
      ['kalina', 'Kalina Ek', 'Engineer'],
      ['alibob', 'Bob Marley', 'Engineer'],
      ['john', 'JohnDoe', 'Engineer'],
      ['mary', 'Mary-Ann Holm', 'Engineer'],
      ['alma', 'Alma Alistair', 'Engineer'],
    ] as const) {
      const res = await graph(foyer, token, 'POST', '/users', {
        accountEnabled: true,
        displayName,
        mailNickname: local,
        userPrincipalName: `${local}@contoso.example`,
        jobTitle,
        passwordProfile: { password: 'Long-Enough-Passphrase-1' },
      });
      expect(res.status).toBe(201);
      ids[local] = res.body.id;
    }
    for (const [displayName, description, mailNickname] of [
      ['OneVideo Editors', 'Cut the films', 'onevideo'],
      ['Project Alpha', 'The alpha team', 'alpha'],
      ['Other', null, 'other'],
    ] as const) {
      const res = await graph(foyer, token, 'POST', '/groups', { displayName, description, mailNickname, mailEnabled: false, securityEnabled: true });
      expect(res.status).toBe(201);
      ids[mailNickname] = res.body.id;
    }
  });
  afterAll(() => foyer?.stop());

  const names = async (path: string): Promise<string[]> => {
    const res = await graph(foyer, token, 'GET', path, undefined, eventual);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.value as Array<{ displayName: string }>).map((u) => u.displayName).sort();
  };

  describe('users', () => {
    it('finds the users a word of whose displayName begins with the text, never a match inside a word', async () => {
      // "Kalina" holds "ali" inside the word: Graph does not match it, nor does Foyer.
      expect(await names(`/users?$search=${q('"displayName:ali"')}`)).toEqual(['Alice Smith', 'Alma Alistair', 'Rosa Alinsky']);
      expect(await names(`/users?$search=${q('"displayName:ALINS"')}`)).toEqual(['Rosa Alinsky']);
      expect(await names(`/users?$search=${q('"displayName:lina"')}`)).toEqual([]);
    });

    it('splits names and search text into words: spaces, symbols, camel case, in any order', async () => {
      expect(await names(`/users?$search=${q('"displayName:doe"')}`)).toEqual(['JohnDoe']);
      expect(await names(`/users?$search=${q('"displayName:johndoe"')}`)).toEqual(['JohnDoe']);
      expect(await names(`/users?$search=${q('"displayName:ann"')}`)).toEqual(['Mary-Ann Holm']);
      // Words joined only by a symbol are found written together, as in Graph.
      expect(await names(`/users?$search=${q('"displayName:maryann"')}`)).toEqual(['Mary-Ann Holm']);
      expect(await names(`/users?$search=${q('"displayName:smith al"')}`)).toEqual(['Alice Smith']);
    });

    it('matches other properties with startswith, and combines clauses with AND, OR and parentheses', async () => {
      expect(await names(`/users?$search=${q('"userPrincipalName:alibob"')}`)).toEqual(['Bob Marley']);
      expect(await names(`/users?$search=${q('"displayName:ali" OR "mail:alibob@"')}`)).toEqual(['Alice Smith', 'Alma Alistair', 'Bob Marley', 'Rosa Alinsky']);
      expect(await names(`/users?$search=${q('"displayName:ali" AND "displayName:alis"')}`)).toEqual(['Alma Alistair']);
      expect(await names(`/users?$search=${q('"displayName:rosa" OR ("displayName:ali" AND "mail:alm")')}`)).toEqual(['Alma Alistair', 'Rosa Alinsky']);
    });

    it('works through the Kiota SDK with $count, and counts every match', async () => {
      const client = kiotaGraphClient(foyer.url, token);
      const page = await client.users.get({
        queryParameters: { search: '"displayName:ali"', count: true, select: ['displayName'] },
        headers: { ConsistencyLevel: 'eventual' },
      });
      expect(page?.odataCount).toBe(3);
      expect(page?.value?.map((u) => u.displayName).sort()).toEqual(['Alice Smith', 'Alma Alistair', 'Rosa Alinsky']);
    });

    it('is refused without ConsistencyLevel: eventual, with the message Graph gives', async () => {
      const res = await graph(foyer, token, 'GET', `/users?$search=${q('"displayName:ali"')}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
      expect(res.body.error.message).toBe(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      );
    });

    it('combines with $filter, $orderby and $top, paging through every match by @odata.nextLink', async () => {
      const path = `/users?$search=${q('"displayName:ali" OR "displayName:bob"')}&$filter=${q("jobTitle eq 'Engineer'")}&$orderby=displayName desc&$top=1&$count=true`;
      const seen: string[] = [];
      let res = await graph(foyer, token, 'GET', path, undefined, eventual);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body['@odata.count']).toBe(3);
      for (;;) {
        seen.push(...res.body.value.map((u: { displayName: string }) => u.displayName));
        const next = res.body['@odata.nextLink'] as string | undefined;
        if (!next) break;
        res = await graph(foyer, token, 'GET', next.slice(next.indexOf('/graph/v1.0') + '/graph/v1.0'.length), undefined, eventual);
        expect(res.status).toBe(200);
      }
      // Rosa is a designer: $filter and $search both apply.
      expect(seen).toEqual(['Bob Marley', 'Alma Alistair', 'Alice Smith']);
    });

    it('counts matches on the $count segment', async () => {
      const res = await graph(
        foyer,
        token,
        'GET',
        `/users/$count?$search=${q('"displayName:ali"')}&$filter=${q("jobTitle eq 'Engineer'")}`,
        undefined,
        eventual,
      );
      expect(res.status).toBe(200);
      expect(res.body).toBe(2);
    });

    it('follows renames and deletions', async () => {
      expect((await graph(foyer, token, 'PATCH', `/users/${ids.kalina}`, { displayName: 'Kalina Alvarez' })).status).toBe(204);
      expect(await names(`/users?$search=${q('"displayName:alv"')}`)).toEqual(['Kalina Alvarez']);
      expect(await names(`/users?$search=${q('"displayName:ek"')}`)).toEqual([]);
      expect((await graph(foyer, token, 'DELETE', `/users/${ids.kalina}`)).status).toBe(204);
      expect(await names(`/users?$search=${q('"displayName:alv"')}`)).toEqual([]);
    });

    it.each([
      ['displayName:ali', 'Syntax error'],
      ['"displayName:ali" and "displayName:bob"', 'Syntax error'],
      ['"displayName:ali', 'no closing double quote'],
      ['"ali"', 'names no property'],
      ['"displayName:"', 'nothing to search for'],
      ['("displayName:ali"', "')' expected"],
      ['"displayName:ali" "displayName:bob"', 'AND or OR expected'],
      ['"accountEnabled:true"', "Property 'accountEnabled'"],
      ['"favouriteColour:blue"', "Could not find a property named 'favouriteColour'"],
      ['"aboutMe:hello"', 'not supported by Foyer'],
      // Graph searches these too; Foyer has no index for them and says so rather than scan the tenant.
      ['"mailNickname:ali"', "Searching property 'mailNickname' of type 'microsoft.graph.user' is not supported by Foyer"],
      ['"jobTitle:eng"', 'not supported by Foyer'],
      ['"city:paris"', 'not supported by Foyer'],
      // 33 words: each would be one part of a compound SELECT (SQLite's limit is 500 parts, and a 500).
      [`"displayName:${Array.from({ length: 33 }, (_, i) => `w${i}x`).join(' ')}"`, 'more than 32 words'],
      [Array.from({ length: 11 }, (_, i) => `"displayName:a${i}b c${i}d e${i}f"`).join(' OR '), 'more than 32 words'],
      // Once a 500 from SQLite: "too many terms in compound SELECT".
      [`"displayName:${Array.from({ length: 600 }, (_, i) => `w${i}`).join(' ')}"`, 'more than 32 words'],
    ])('answers 400, never 500, for $search=%s', async (search, message) => {
      const res = await graph(foyer, token, 'GET', `/users?$search=${q(search)}`, undefined, eventual);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
      expect(res.body.error.message).toContain(message);
    });
  });

  it('cuts words by code points: names differing only past a cut surrogate pair are both created and found', async () => {
    // Cut by UTF-16 units, both joined words would end in a lone surrogate, stored as U+FFFD by PostgreSQL: a duplicate key.
    const displayName = `${'a'.repeat(63)}𝐀 ${'a'.repeat(63)}𠀀`;
    const user = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName,
      mailNickname: 'astral',
      userPrincipalName: 'astral@contoso.example',
      passwordProfile: { password: 'Long-Enough-Passphrase-1' },
    });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const group = await graph(foyer, token, 'POST', '/groups', { displayName, mailNickname: 'astral', mailEnabled: false, securityEnabled: true });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    expect(await names(`/users?$search=${q(`"displayName:${'a'.repeat(63)}𠀀"`)}`)).toEqual([displayName]);
    expect(await names(`/groups?$search=${q(`"displayName:${'a'.repeat(63)}𝐀"`)}`)).toEqual([displayName]);
    expect((await graph(foyer, token, 'DELETE', `/users/${user.body.id}`)).status).toBe(204);
    expect((await graph(foyer, token, 'DELETE', `/groups/${group.body.id}`)).status).toBe(204);
  });

  it('trims the text of a startswith clause', async () => {
    expect(await names(`/users?$search=${q('"mail: alibob"')}`)).toEqual(['Bob Marley']);
  });

  it('finds a guest created by an invitation', async () => {
    const invited = await graph(foyer, token, 'POST', '/invitations', {
      invitedUserEmailAddress: 'zoltan@fabrikam.example',
      invitedUserDisplayName: 'Zoltan Quist',
      inviteRedirectUrl: 'https://app.example/welcome',
      sendInvitationMessage: false,
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    expect(await names(`/users?$search=${q('"displayName:quis"')}`)).toEqual(['Zoltan Quist']);
    expect((await graph(foyer, token, 'DELETE', `/users/${invited.body.invitedUser.id}`)).status).toBe(204);
  });

  it('refuses a search whose words find more index entries than Foyer reads for one request', async () => {
    // Entries of objects that do not exist: the allowance counts what the index holds for the words.
    const letters = (i: number) => i.toString(26).replace(/./g, (c) => String.fromCharCode(97 + Number.parseInt(c, 26)));
    const rows = Array.from({ length: MAX_SEARCH_ENTRIES * 1.5 }, (_, i) => ({
      tenant_id: tenant.id,
      object_type: 'user' as const,
      property: 'displayName',
      token: `qqbulk${letters(i)}`,
      object_id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await foyer.ctx.db.kysely
        .insertInto('directory_search_tokens')
        .values(rows.slice(i, i + 1000))
        .execute();
    // One word over the allowance; fifteen words each under it (703 entries), together over it.
    for (const search of ['"displayName:qqbulk"', [...'bcdefghijklmnop'].map((c) => `"displayName:qqbulk${c}"`).join(' OR ')]) {
      for (const path of [`/users?$search=${q(search)}&$top=1`, `/users/$count?$search=${q(search)}`]) {
        const res = await graph(foyer, token, 'GET', path, undefined, eventual);
        expect(res.status, path).toBe(400);
        expect(res.body.error.code).toBe('Request_UnsupportedQuery');
        expect(res.body.error.message).toContain('The search matches too many objects');
      }
    }
    // Below the allowance: answered (nothing, these objects do not exist).
    expect(await names(`/users?$search=${q('"displayName:qqbulkbcd"')}`)).toEqual([]);
    await foyer.ctx.db.kysely.deleteFrom('directory_search_tokens').where('token', 'like', 'qqbulk%').execute();
  });

  it('is refused, never ignored, on lists Foyer does not search', async () => {
    for (const path of ['/applications', '/auditLogs/directoryAudits', `/users/${ids.alice}/memberOf`]) {
      const res = await graph(foyer, token, 'GET', `${path}?$search=${q('"displayName:ali"')}`, undefined, eventual);
      expect(res.status, path).toBe(400);
      expect(res.body.error.message, path).toContain('not supported by Foyer');
    }
  });

  describe('groups', () => {
    it('searches displayName and description by words, mailNickname by prefix', async () => {
      expect(await names(`/groups?$search=${q('"displayName:video"')}`)).toEqual(['OneVideo Editors']);
      expect(await names(`/groups?$search=${q('"displayName:OneVideo"')}`)).toEqual(['OneVideo Editors']);
      expect(await names(`/groups?$search=${q('"description:team"')}`)).toEqual(['Project Alpha']);
      expect(await names(`/groups?$search=${q('"displayName:oth" OR "description:films"')}`)).toEqual(['OneVideo Editors', 'Other']);
      const refused = await graph(foyer, token, 'GET', `/groups?$search=${q('"mailNickname:oth"')}`, undefined, eventual);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('not supported by Foyer');
      const count = await graph(foyer, token, 'GET', `/groups/$count?$search=${q('"displayName:project" OR "displayName:one"')}`, undefined, eventual);
      expect(count.body).toBe(2);
    });

    it("takes Graph's example with mail, which Foyer's security groups do not have: that clause matches nothing", async () => {
      expect(await names(`/groups?$search=${q('"displayName:OneVideo" OR "mail:onevideo"')}`)).toEqual(['OneVideo Editors']);
      expect(await names(`/groups?$search=${q('"mail:onevideo"')}`)).toEqual([]);
    });

    it('forgets the words of a deleted group', async () => {
      const res = await graph(foyer, token, 'POST', '/groups', {
        displayName: 'Ephemeral Crew',
        description: 'Soon gone',
        mailNickname: 'eph',
        securityEnabled: true,
        mailEnabled: false,
      });
      expect(res.status).toBe(201);
      const tokens = () => foyer.ctx.db.kysely.selectFrom('directory_search_tokens').select('token').where('object_id', '=', res.body.id).execute();
      expect((await tokens()).length).toBeGreaterThan(0);
      expect((await graph(foyer, token, 'DELETE', `/groups/${res.body.id}`)).status).toBe(204);
      expect(await tokens()).toEqual([]);
      expect(await names(`/groups?$search=${q('"displayName:ephemeral"')}`)).toEqual([]);
    });

    it('follows a rename and a new description', async () => {
      expect((await graph(foyer, token, 'PATCH', `/groups/${ids.other}`, { displayName: 'Renamed Crew', description: 'Night shift' })).status).toBe(204);
      expect(await names(`/groups?$search=${q('"displayName:crew" AND "description:night"')}`)).toEqual(['Renamed Crew']);
      expect(await names(`/groups?$search=${q('"displayName:other"')}`)).toEqual([]);
    });

    it("searches a group's members as /users does; their $count segment says it does not take $search", async () => {
      for (const member of [ids.alice, ids.rosa, ids.alibob]) {
        const res = await graph(foyer, token, 'POST', `/groups/${ids.alpha}/members/$ref`, {
          '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${member}`,
        });
        expect(res.status).toBe(204);
      }
      expect(await names(`/groups/${ids.alpha}/members?$search=${q('"displayName:ali"')}`)).toEqual(['Alice Smith', 'Rosa Alinsky']);
      const count = await graph(foyer, token, 'GET', `/groups/${ids.alpha}/members/$count?$search=${q('"displayName:ali"')}`, undefined, eventual);
      expect(count.status).toBe(400);
      expect(count.body.error.message).toContain('not supported by Foyer');
    });

    it('is refused without ConsistencyLevel: eventual', async () => {
      const res = await graph(foyer, token, 'GET', `/groups?$search=${q('"displayName:video"')}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Request_UnsupportedQuery');
    });
  });
});

/**
 * A PATCH that renames an object while a DELETE of it commits must not leave its words behind: the
 * rename finds no row to update and answers 404. PostgreSQL only (SQLite runs one writer at a time); the
 * DELETE is held open on a connection of the test's own, so the PATCH reads the object and then waits.
 */
describe.skipIf(!backends.some((b) => b.name === 'postgres'))('a rename racing a delete on PostgreSQL', () => {
  const backend = backends.find((b) => b.name === 'postgres')!;
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let other: pg.Client;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Racing', { domains: ['racing.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'racer', applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All'] });
    token = await appToken(foyer, tenant, app);
    other = new pg.Client({ connectionString: POSTGRES_BASE });
    await other.connect();
    await other.query(`set search_path to "${new URL(foyer.databaseUrl).searchParams.get('schema')}"`);
  });
  afterAll(async () => {
    await other?.end();
    await foyer?.stop();
  });

  /** Runs `patch` while `remove` (SQL on the other connection) is uncommitted, then commits it. */
  async function race(remove: string[], patch: () => Promise<{ status: number }>): Promise<number> {
    await other.query('begin');
    for (const statement of remove) await other.query(statement);
    const pending = patch();
    // Wait until the PATCH waits for the other connection's locks.
    for (let i = 0; i < 200; i++) {
      const { rows } = await other.query(
        "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and pid <> pg_backend_pid()",
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await other.query('commit');
    return (await pending).status;
  }

  const tokensOf = async (id: string) =>
    (await foyer.ctx.db.kysely.selectFrom('directory_search_tokens').select('token').where('object_id', '=', id).execute()).map((r) => r.token);

  it('for a group', async () => {
    const res = await graph(foyer, token, 'POST', '/groups', {
      displayName: 'Doomed Group',
      mailNickname: 'doomed',
      securityEnabled: true,
      mailEnabled: false,
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const status = await race([`delete from directory_search_tokens where object_id = '${id}'`, `delete from groups where id = '${id}'`], () =>
      graph(foyer, token, 'PATCH', `/groups/${id}`, { displayName: 'Renamed Meanwhile' }),
    );
    expect(status).toBe(404);
    expect(await tokensOf(id)).toEqual([]);
  });

  it('for a user', async () => {
    const res = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: 'Doomed User',
      mailNickname: 'doomed',
      userPrincipalName: 'doomed@racing.example',
      passwordProfile: { password: 'Long-Enough-Passphrase-1' },
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    // As deleteUser does: the tenant's change counter first, then the user and its words.
    const status = await race(
      [
        `update directory_change_counters set value = value + 1 where tenant_id = '${tenant.id}'`,
        `delete from directory_search_tokens where object_id = '${id}'`,
        `delete from user_identities where user_id = '${id}'`,
        `delete from users where id = '${id}'`,
      ],
      () => graph(foyer, token, 'PATCH', `/users/${id}`, { displayName: 'Renamed Meanwhile' }),
    );
    expect(status).toBe(404);
    expect(await tokensOf(id)).toEqual([]);
  });
});
