/** The $filter parser, by table: what Graph clients send, and what it must refuse with a clear message. */
import { describe, expect, it } from 'vitest';
import { usersCollection } from '../../src/directory/user-list.js';
import { FoyerError } from '../../src/platform/errors/foyer-error.js';
import { parseFilter } from '../../src/platform/odata/filter.js';
import { parseCollectionQuery } from '../../src/platform/odata/query.js';

describe('$filter parser', () => {
  const accepted: Array<[string, unknown]> = [
    ["userType eq 'Guest'", { kind: 'compare', op: 'eq', property: 'userType', value: 'Guest' }],
    ["usertype EQ 'guest'", { kind: 'compare', op: 'eq', property: 'userType', value: 'Guest' }],
    ['mail ne null', { kind: 'compare', op: 'ne', property: 'mail', value: null }],
    ["startswith(displayName,'Ad')", { kind: 'startswith', property: 'displayName', value: 'Ad' }],
    ["startsWith(displayName, 'O''Brien')", { kind: 'startswith', property: 'displayName', value: "O'Brien" }],
    ["endswith(mail,'@contoso.example')", { kind: 'endswith', property: 'mail', value: '@contoso.example' }],
    ['accountEnabled eq false', { kind: 'compare', op: 'eq', property: 'accountEnabled', value: false }],
    ['createdDateTime ge 2026-01-01T00:00:00Z', { kind: 'compare', op: 'ge', property: 'createdDateTime', value: new Date('2026-01-01T00:00:00Z') }],
    ["userType in ('Member', 'Guest')", { kind: 'in', property: 'userType', values: ['Member', 'Guest'] }],
    [
      "userType eq 'Guest' and (externalUserState eq 'PendingAcceptance' or externalUserState eq 'Accepted')",
      {
        kind: 'and',
        left: { kind: 'compare', op: 'eq', property: 'userType', value: 'Guest' },
        right: {
          kind: 'or',
          left: { kind: 'compare', op: 'eq', property: 'externalUserState', value: 'PendingAcceptance' },
          right: { kind: 'compare', op: 'eq', property: 'externalUserState', value: 'Accepted' },
        },
      },
    ],
    ["not startswith(userPrincipalName,'admin')", { kind: 'not', operand: { kind: 'startswith', property: 'userPrincipalName', value: 'admin' } }],
    [
      "otherMails/any(m:m eq 'a@b.example')",
      { kind: 'any', collection: 'otherMails', body: { kind: 'compare', op: 'eq', property: '$it', value: 'a@b.example' } },
    ],
    [
      "identities/any(i:i/issuer eq 'mail' and i/issuerAssignedId eq 'a@b.example')",
      {
        kind: 'any',
        collection: 'identities',
        body: {
          kind: 'and',
          left: { kind: 'compare', op: 'eq', property: 'issuer', value: 'mail' },
          right: { kind: 'compare', op: 'eq', property: 'issuerAssignedId', value: 'a@b.example' },
        },
      },
    ],
  ];

  it.each(accepted)('parses %s', (input, tree) => {
    expect(parseFilter(input, usersCollection)).toEqual(tree);
  });

  const refused: Array<[string, RegExp]> = [
    ["nickname eq 'x'", /Could not find a property named 'nickname' on type 'microsoft.graph.user'/],
    ["userType eq 'Admin'", /'Admin' is not a valid value for 'userType'/],
    ['accountEnabled eq 1', /A boolean value was expected for 'accountEnabled'/],
    ["displayName eq 'unterminated", /Unterminated string literal at position 15/],
    ["displayName eq 'a' and", /expected a property name but found the end of the filter/],
    ["(displayName eq 'a'", /expected '\)'/],
    ["displayName like 'a'", /Unsupported operator 'like'/],
    ['accountEnabled gt true', /'gt' is not supported on property 'accountEnabled'/],
    ["endswith(displayName,'x')", /'endswith' is not supported on property 'displayName'/],
    ["displayName eq 'a' ; drop table users", /character ';' is not valid/],
    ['', /The filter is empty/],
    ["manager/any(m:m eq 'x')", /Could not find a collection named 'manager'/],
    ["identities/any(i:i/password eq 'x')", /Could not find a property named 'password' on the elements of 'identities'/],
    ['createdDateTime gt null', /'gt' cannot compare with null/],
    [`${'('.repeat(40)}userType eq 'Guest'${')'.repeat(40)}`, /nested too deeply/],
  ];

  it.each(refused)('refuses %s', (input, message) => {
    expect(() => parseFilter(input, usersCollection)).toThrow(message);
  });

  it('refuses a filter longer than 4096 characters', () => {
    expect(() => parseFilter(`displayName eq '${'a'.repeat(5000)}'`, usersCollection)).toThrow(/longer than 4096/);
  });
});

describe('collection query options', () => {
  const parse = (q: Record<string, unknown>) => parseCollectionQuery(q, usersCollection);
  const refusal = (q: Record<string, unknown>) => {
    try {
      parse(q);
    } catch (err) {
      return err as FoyerError;
    }
    throw new Error('accepted');
  };

  it('defaults to Graph’s property set, 100 rows, id order', () => {
    const q = parse({});
    expect(q.top).toBe(100);
    expect(q.select).toContain('userPrincipalName');
    expect(q.select).not.toContain('userType');
    expect(q.orderBy).toEqual({ property: 'id', direction: 'asc' });
  });

  it('always returns the id with $select', () => {
    expect(parse({ $select: 'displayName,mail' }).select).toEqual(['id', 'displayName', 'mail']);
  });

  it.each([
    [{ $top: '0' }, /between 1 and 999/],
    [{ $top: '1000' }, /between 1 and 999/],
    [{ $top: 'ten' }, /whole number/],
    [{ $count: 'yes' }, /true or false/],
    [{ $select: 'passwordHash' }, /Could not find a property named 'passwordHash'/],
    [{ $orderby: 'mail desc' }, /Sorting by 'mail' is not supported/],
    [{ $orderby: 'displayName sideways' }, /not a sort direction/],
    [{ $expand: 'manager' }, /Query option '\$expand' is not supported/],
    [{ $skiptoken: 'garbage' }, /The \$skiptoken is not valid/],
    [{ $filter: ['a', 'b'] }, /given more than once/],
  ])('refuses %j with a 400 naming the problem', (query, message) => {
    const err = refusal(query);
    expect(err).toBeInstanceOf(FoyerError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('request.invalid_query');
    expect(err.message).toMatch(message);
  });
});
