/**
 * Graph's advanced-query rules on `GET /users` and `GET /groups`: `ne`, `not` and `endsWith` in `$filter`,
 * `$filter` with `$orderby`, and `$orderby` on a property Graph sorts only in advanced queries need
 * `ConsistencyLevel: eventual` and `$count=true` (else 400 `Request_UnsupportedQuery` with Graph's
 * message); `$count=true` without the header is ignored (no `@odata.count`). The rule as a table over the
 * pure function, then over HTTP and through the classic Graph client's builder, on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersCollection } from '../../src/directory/user-list.js';
import { checkAdvancedQuery } from '../../src/graph/advanced-query.js';
import { parseFilter } from '../../src/platform/odata/filter.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { classicGraphClient } from '../support/graph-client.js';
import { appToken, graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };
const userSorts = ['displayName', 'userPrincipalName', 'id'];
const operatorMessage = (op: string) =>
  `Operator '${op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`;
const sortingMessage = 'Sorting not supported for current query.';

describe('checkAdvancedQuery', () => {
  type Row = [string, { filter?: string; orderBy?: string; count?: boolean; level?: unknown }, { count: boolean } | string];
  const rows: Row[] = [
    ['a plain list', {}, { count: false }],
    ['eq and startswith work by default', { filter: "userType eq 'Guest' and startswith(displayName,'a')" }, { count: false }],
    ['in works by default', { filter: "userType in ('Guest','Member')" }, { count: false }],
    ['$count=true without the header is dropped', { count: true }, { count: false }],
    ['$count=true with another level is dropped', { count: true, level: 'session' }, { count: false }],
    ['$count=true with the header counts', { count: true, level: 'eventual' }, { count: true }],
    ['the header value is matched case-insensitively', { count: true, level: ' Eventual ' }, { count: true }],
    ['the header alone does not count', { level: 'eventual' }, { count: false }],
    ['ne without anything', { filter: 'accountEnabled ne true' }, operatorMessage('ne')],
    ['ne with the header only', { filter: 'accountEnabled ne true', level: 'eventual' }, operatorMessage('ne')],
    ['ne with $count=true only', { filter: 'accountEnabled ne true', count: true }, operatorMessage('ne')],
    ['ne null', { filter: 'mail ne null' }, operatorMessage('ne')],
    ['ne with both', { filter: 'accountEnabled ne true', count: true, level: 'eventual' }, { count: true }],
    ['not', { filter: "not(startswith(displayName,'a'))" }, operatorMessage('not')],
    ['endsWith', { filter: "endswith(mail,'@contoso.example')" }, operatorMessage('endsWith')],
    ['endsWith deep in an or', { filter: "userType eq 'Guest' or (accountEnabled eq true and endswith(mail,'x'))" }, operatorMessage('endsWith')],
    ['the first advanced operator is named', { filter: "mail ne null and not(userType eq 'Guest')" }, operatorMessage('ne')],
    ['ne inside a lambda', { filter: "identities/any(i:i/issuer eq 'mail') and not(accountEnabled eq true)" }, operatorMessage('not')],
    ['endsWith with both', { filter: "endswith(mail,'@contoso.example')", count: true, level: 'eventual' }, { count: true }],
    ['$orderby on a default sort', { orderBy: 'displayName' }, { count: false }],
    ['$orderby on an advanced-only sort', { orderBy: 'createdDateTime' }, sortingMessage],
    ['$orderby on an advanced-only sort, with both', { orderBy: 'createdDateTime', count: true, level: 'eventual' }, { count: true }],
    ['$filter with $orderby', { filter: "startswith(displayName,'a')", orderBy: 'displayName' }, sortingMessage],
    ['$filter with $orderby and the header only', { filter: "startswith(displayName,'a')", orderBy: 'displayName', level: 'eventual' }, sortingMessage],
    ['$filter with $orderby, with both', { filter: "startswith(displayName,'a')", orderBy: 'displayName', count: true, level: 'eventual' }, { count: true }],
  ];
  it.each(rows)('%s', (_name, input, expected) => {
    const verdict = checkAdvancedQuery({
      filter: input.filter === undefined ? undefined : parseFilter(input.filter, usersCollection),
      orderBy: input.orderBy,
      count: input.count ?? false,
      consistencyLevel: input.level,
      sortableByDefault: userSorts,
    });
    if (typeof expected === 'string') {
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.error.message).toBe(expected);
        expect(verdict.error.status).toBe(400);
        expect(verdict.error.graphCode).toBe('Request_UnsupportedQuery');
      }
    } else {
      expect(verdict).toEqual({ ok: true, ...expected });
    }
  });
});

describe.each(backends)('advanced queries on $name', (backend) => {
  let foyer: TestFoyer;
  const tokens: Record<string, string> = {};
  const get = (path: string, headers: Record<string, string> = {}) => graph(foyer, tokens.reader!, 'GET', path, undefined, headers);
  const q = (s: string) => encodeURIComponent(s);
  const names = (body: { value: Array<{ displayName: string }> }) => body.value.map((v) => v.displayName);

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    const tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const writer = await foyer.createApp(tenant.id, { displayName: 'writer', applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All'] });
    tokens.reader = await appToken(foyer, tenant, writer);
    for (const [local, enabled] of [
      ['aq.cy', true],
      ['aq.ann', true],
      ['aq.bob', false],
    ] as const) {
      const res = await graph(foyer, tokens.reader, 'POST', '/users', {
        accountEnabled: enabled,
        displayName: local,
        mailNickname: local.replace('.', ''),
        userPrincipalName: `${local}@contoso.example`,
        passwordProfile: { password: 'Long-Enough-Passphrase-1' },
      });
      expect(res.status).toBe(201);
    }
    for (const name of ['AQ Beta', 'AQ Alpha', 'Other']) {
      expect((await graph(foyer, tokens.reader, 'POST', '/groups', { displayName: name, mailNickname: name.replace(' ', '') })).status).toBe(201);
    }
  });
  afterAll(() => foyer?.stop());

  const expectUnsupported = (res: { status: number; body: any }, message: string) => {
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'Request_UnsupportedQuery', message });
  };

  describe('GET /users', () => {
    it('ignores $count=true without ConsistencyLevel: eventual, and counts with it', async () => {
      const plain = await get('/users?$count=true');
      expect(plain.status).toBe(200);
      expect(plain.body).not.toHaveProperty('@odata.count');
      const counted = await get('/users?$count=true', eventual);
      expect(counted.status).toBe(200);
      expect(counted.body['@odata.count']).toBe(counted.body.value.length);
    });

    it("refuses ne, not and endsWith without both advanced query parameters, with Graph's message", async () => {
      const ne = q("startswith(displayName,'aq.') and accountEnabled ne true");
      expectUnsupported(await get(`/users?$filter=${ne}`), operatorMessage('ne'));
      expectUnsupported(await get(`/users?$filter=${ne}`, eventual), operatorMessage('ne'));
      expectUnsupported(await get(`/users?$filter=${ne}&$count=true`), operatorMessage('ne'));
      expectUnsupported(await get(`/users?$filter=${q("not(startswith(displayName,'aq.'))")}`), operatorMessage('not'));
      expectUnsupported(await get(`/users?$filter=${q("endswith(userPrincipalName,'.ann@contoso.example')")}`), operatorMessage('endsWith'));
    });

    it('runs them with ConsistencyLevel: eventual and $count=true', async () => {
      const ne = await get(`/users?$filter=${q("startswith(displayName,'aq.') and accountEnabled ne true")}&$count=true`, eventual);
      expect(ne.status).toBe(200);
      expect(names(ne.body)).toEqual(['aq.bob']);
      expect(ne.body['@odata.count']).toBe(1);
      const not = await get(`/users?$filter=${q("not(startswith(displayName,'aq.'))")}&$count=true`, eventual);
      expect(not.status).toBe(200);
      expect(names(not.body).some((n) => n.startsWith('aq.'))).toBe(false);
      const ends = await get(`/users?$filter=${q("endswith(userPrincipalName,'.ann@contoso.example')")}&$count=true`, eventual);
      expect(names(ends.body)).toEqual(['aq.ann']);
    });

    it('refuses $filter with $orderby, and $orderby=createdDateTime, without them; sorts with them', async () => {
      const filter = q("startswith(displayName,'aq.')");
      expectUnsupported(await get(`/users?$filter=${filter}&$orderby=displayName`), sortingMessage);
      expectUnsupported(await get(`/users?$orderby=createdDateTime`), sortingMessage);
      expect((await get('/users?$orderby=displayName')).status).toBe(200);
      const sorted = await get(`/users?$filter=${filter}&$orderby=displayName desc&$count=true`, eventual);
      expect(sorted.status).toBe(200);
      expect(names(sorted.body)).toEqual(['aq.cy', 'aq.bob', 'aq.ann']);
      expect(sorted.body['@odata.count']).toBe(3);
      expect((await get('/users?$orderby=createdDateTime&$count=true', eventual)).status).toBe(200);
    });

    it('keeps /users/$count as it was: the header is enough for the segment', async () => {
      const res = await get(`/users/$count?$filter=${q("startswith(displayName,'aq.') and accountEnabled ne true")}`, eventual);
      expect(res.body).toBe(1);
    });
  });

  describe('GET /groups', () => {
    it('applies the same rules', async () => {
      const plain = await get('/groups?$count=true');
      expect(plain.status).toBe(200);
      expect(plain.body).not.toHaveProperty('@odata.count');
      expectUnsupported(await get(`/groups?$filter=${q("displayName ne 'Other'")}`), operatorMessage('ne'));
      expectUnsupported(await get(`/groups?$filter=${q("startswith(displayName,'AQ')")}&$orderby=displayName`), sortingMessage);
      expect(names((await get('/groups?$orderby=displayName')).body)).toEqual(['AQ Alpha', 'AQ Beta', 'Other']);
      const ne = await get(`/groups?$filter=${q("displayName ne 'Other'")}&$orderby=displayName&$count=true`, eventual);
      expect(ne.status).toBe(200);
      expect(names(ne.body)).toEqual(['AQ Alpha', 'AQ Beta']);
      expect(ne.body['@odata.count']).toBe(2);
    });
  });

  describe('through the classic Graph client', () => {
    const client = () => classicGraphClient(foyer.url, tokens.reader!);

    it('surfaces the 400 as a GraphError, and runs the query with .header() and .count(true)', async () => {
      await expect(client().api('/users').filter('accountEnabled ne true').get()).rejects.toMatchObject({
        statusCode: 400,
        code: 'Request_UnsupportedQuery',
        message: operatorMessage('ne'),
      });
      const page = await client()
        .api('/users')
        .header('ConsistencyLevel', 'eventual')
        .filter("startswith(displayName,'aq.') and accountEnabled ne true")
        .orderby('displayName')
        .count(true)
        .get();
      expect(names(page)).toEqual(['aq.bob']);
      expect(page['@odata.count']).toBe(1);
      const groups = await client().api('/groups').count(true).get();
      expect(groups).not.toHaveProperty('@odata.count');
    });
  });
});
