/**
 * `GET /users` over the database: which properties filter, sort and select, the columns they read, and
 * the keyset-paged query (OData compiled to SQL by platform/odata).
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { collectionModel, unsupportedProperties } from '../platform/odata/resource.js';
import type { SearchNode } from '../platform/odata/search.js';
import { type ColumnRef, compileFilter, type SqlTarget } from '../platform/odata/sql.js';
import type { DialectName, Executor } from '../platform/storage/database.js';
import type { UsersTable } from '../platform/storage/schema.js';
import { liveCount } from './object-counts.js';
import { complexTypes, userResource } from './resources/index.js';
import { assertSearchBounded, compileSearch, type SearchTarget } from './search-tokens.js';
import { type User, userFromRow } from './user-rows.js';

/**
 * What `GET /users` (and `/users/{id}`) accepts, by Graph's property names: derived from the user's
 * description (resources/user.ts), with the order a name prefix search reads its index in. It includes
 * `signInActivity`, which the Graph routes show only to readers of the sign-in log.
 */
export const usersWithSignInActivity: CollectionModel = collectionModel(userResource, complexTypes, {
  // A prefix search on a name reads its index in name order; id order would scan the whole tenant.
  preferredOrder(filter) {
    const conjuncts: FilterNode[] = [];
    const walk = (n: FilterNode): void => {
      if (n.kind === 'and') {
        walk(n.left);
        walk(n.right);
      } else conjuncts.push(n);
    };
    walk(filter);
    const prefix = conjuncts.find((n) => n.kind === 'startswith' && (n.property === 'displayName' || n.property === 'userPrincipalName'));
    return prefix?.kind === 'startswith' ? prefix.property : undefined;
  },
});

const activity = (p: string) => p === 'signInActivity' || p.startsWith('signInActivity/');

/**
 * The same without `signInActivity`: users reached any other way (relationships, expansions, delta, deleted
 * items), where Graph does not return it either.
 */
export const usersCollection: CollectionModel = {
  ...usersWithSignInActivity,
  properties: Object.fromEntries(Object.entries(usersWithSignInActivity.properties).filter(([p]) => !activity(p))),
  selectable: usersWithSignInActivity.selectable.filter((p) => !activity(p)),
  sortable: usersWithSignInActivity.sortable.filter((p) => !activity(p)),
  integerSorts: (usersWithSignInActivity.integerSorts ?? []).filter((p) => !activity(p)),
};

/**
 * Graph user properties Foyer does not keep: refused as such (in a body, `$select` or `$filter`),
 * never as properties that do not exist, so that a script's author learns it is Foyer's limit.
 */
export const unsupportedUserProperties: readonly string[] = unsupportedProperties(userResource);

const userColumns: Record<string, ColumnRef> = {
  id: { column: 'users.id', kind: 'id' },
  displayName: { column: 'users.display_name_lower', kind: 'lowered' },
  userPrincipalName: { column: 'users.upn_lower', kind: 'lowered' },
  mail: { column: 'users.mail_lower', kind: 'lowered' },
  givenName: { column: 'users.given_name_lower', kind: 'lowered' },
  surname: { column: 'users.surname_lower', kind: 'lowered' },
  // Free text compared exactly: a case-insensitive match on it would differ between the backends for
  // non-ASCII letters, and these are rarely filtered on.
  jobTitle: { column: 'users.job_title', kind: 'exact' },
  companyName: { column: 'users.company_name', kind: 'exact' },
  // Language tags are ASCII, where SQL lower() agrees on both backends.
  preferredLanguage: { column: 'users.preferred_language', kind: 'text' },
  // Mail aliases and codes are ASCII in practice; compared case-insensitively as Graph does.
  mailNickname: { column: 'users.mail_nickname', kind: 'text' },
  usageLocation: { column: 'users.usage_location', kind: 'text' },
  // Free text and identifiers compared exactly, as jobTitle.
  department: { column: 'users.department', kind: 'exact' },
  employeeId: { column: 'users.employee_id', kind: 'exact' },
  employeeType: { column: 'users.employee_type', kind: 'exact' },
  officeLocation: { column: 'users.office_location', kind: 'exact' },
  mobilePhone: { column: 'users.mobile_phone', kind: 'exact' },
  city: { column: 'users.city', kind: 'exact' },
  country: { column: 'users.country', kind: 'exact' },
  state: { column: 'users.state', kind: 'exact' },
  streetAddress: { column: 'users.street_address', kind: 'exact' },
  postalCode: { column: 'users.postal_code', kind: 'exact' },
  userType: { column: 'users.user_type', kind: 'exact' },
  externalUserState: { column: 'users.external_user_state', kind: 'exact' },
  creationType: { column: 'users.creation_type', kind: 'exact' },
  accountEnabled: { column: 'users.account_enabled', kind: 'boolean' },
  createdDateTime: { column: 'users.created_at', kind: 'datetime' },
  externalUserStateChangeDateTime: { column: 'users.external_user_state_change_at', kind: 'datetime' },
  'signInActivity/lastSignInDateTime': { column: 'users.last_sign_in_at', kind: 'datetime' },
  'signInActivity/lastSuccessfulSignInDateTime': { column: 'users.last_successful_sign_in_at', kind: 'datetime' },
};

function usersTarget(dialect: DialectName): SqlTarget {
  return {
    dialect,
    column: (property) => userColumns[property]!,
    any: (collection, element) => {
      if (collection === 'otherMails' || collection === 'businessPhones') {
        const column = collection === 'otherMails' ? 'users.other_mails' : 'users.business_phones';
        return element({
          dialect,
          column: () => ({ column, kind: 'json-strings' }),
          any: () => {
            throw new Error('nested lambda');
          },
        });
      }
      const body = element({
        dialect,
        column: (p) =>
          ({
            issuer: { column: 'ui.issuer', kind: 'exact' },
            issuerAssignedId: { column: 'ui.issuer_assigned_id', kind: 'exact' },
            signInType: { column: 'ui.sign_in_type', kind: 'exact' },
          })[p] as ColumnRef,
        any: () => {
          throw new Error('nested lambda');
        },
      });
      return sql<SqlBool>`exists (select 1 from user_identities ui where ui.user_id = users.id and ${body})`;
    },
  };
}

/**
 * The columns each Graph property is read from. A page of 100 users costs about three times as much
 * to read with every column (password hash included) as with the default eight, so lists read only what
 * `$select` asks for.
 */
const propertyColumns: Record<string, Array<keyof UsersTable>> = {
  id: ['id'],
  displayName: ['display_name'],
  userPrincipalName: ['user_principal_name'],
  mail: ['mail'],
  givenName: ['given_name'],
  surname: ['surname'],
  jobTitle: ['job_title'],
  companyName: ['company_name'],
  preferredLanguage: ['preferred_language'],
  mailNickname: ['mail_nickname'],
  officeLocation: ['office_location'],
  mobilePhone: ['mobile_phone'],
  businessPhones: ['business_phones'],
  department: ['department'],
  employeeId: ['employee_id'],
  employeeType: ['employee_type'],
  usageLocation: ['usage_location'],
  city: ['city'],
  country: ['country'],
  state: ['state'],
  streetAddress: ['street_address'],
  postalCode: ['postal_code'],
  userType: ['user_type'],
  externalUserState: ['external_user_state'],
  externalUserStateChangeDateTime: ['external_user_state_change_at'],
  creationType: ['creation_type'],
  accountEnabled: ['account_enabled'],
  createdDateTime: ['created_at'],
  otherMails: ['other_mails'],
  signInSessionsValidFromDateTime: ['sign_in_sessions_valid_from', 'created_at'],
  deletedDateTime: ['deleted_at'],
  signInActivity: ['last_sign_in_at', 'last_successful_sign_in_at'],
};

function columnsFor(select: readonly string[], sortColumn: keyof UsersTable): Array<keyof UsersTable> {
  const columns = new Set<keyof UsersTable>(['id', 'tenant_id', sortColumn]);
  for (const property of select) for (const c of propertyColumns[property] ?? []) columns.add(c);
  return [...columns];
}

/** Sort key column of each sortable property. */
const sortColumns: Record<
  string,
  {
    column: 'display_name_lower' | 'upn_lower' | 'created_at' | 'deleted_at' | 'last_sign_in_at' | 'last_successful_sign_in_at' | 'id';
    key: (u: UsersTable) => string | number;
    /** A nullable time sorts as 0 (never: before every time). */
    nullable?: true;
  }
> = {
  'signInActivity/lastSignInDateTime': { column: 'last_sign_in_at', key: (u) => Number(u.last_sign_in_at ?? 0), nullable: true },
  'signInActivity/lastSuccessfulSignInDateTime': {
    column: 'last_successful_sign_in_at',
    key: (u) => Number(u.last_successful_sign_in_at ?? 0),
    nullable: true,
  },
  displayName: { column: 'display_name_lower', key: (u) => u.display_name_lower },
  userPrincipalName: { column: 'upn_lower', key: (u) => u.upn_lower },
  createdDateTime: { column: 'created_at', key: (u) => u.created_at },
  // Deleted users only (directory/deleted-users.ts), whose deleted_at is set.
  deletedDateTime: { column: 'deleted_at', key: (u) => Number(u.deleted_at) },
  id: { column: 'id', key: (u) => u.id },
};

export interface UserPage {
  users: User[];
  /** Sort value and id of the last row, when there may be more. */
  next?: { value: string | number; id: string };
  count?: number;
}

/** Ids a list is restricted to, as a subquery (a group's members, a user's direct reports): see memberships.ts. */
export type WithinIds = RawBuilder<{ id: string }>;

/**
 * The tenant's users the list shows (never the deleted ones) that match the filter (and are `within`);
 * with `deleted`, the deleted ones instead (Graph's `directory/deletedItems/microsoft.graph.user`).
 */
function matchingUsers(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  filter: FilterNode | undefined,
  search?: SearchNode,
  within?: WithinIds,
  deleted = false,
) {
  let base = db
    .selectFrom('users')
    .where('users.tenant_id', '=', tenantId)
    .where('users.deleted_at', deleted ? 'is not' : 'is', null);
  if (within) base = base.where(sql<SqlBool>`users.id in (${within})`);
  if (filter) base = base.where(compileFilter(filter, usersTarget(dialect)));
  if (search) base = base.where(compileSearch(search, searchTarget(dialect, tenantId)));
  return base;
}

function searchTarget(dialect: DialectName, tenantId: string): SearchTarget {
  return { tenantId, objectType: 'user', table: 'users', filter: usersTarget(dialect) };
}

/** `GET /users/$count`: how many users `GET /users` with this filter would list, over all its pages. */
export async function countUsers(db: Executor, dialect: DialectName, tenantId: string, filter?: FilterNode, search?: SearchNode): Promise<number> {
  if (search) await assertSearchBounded(db, search, searchTarget(dialect, tenantId));
  return countMatching(db, dialect, tenantId, filter, search);
}

async function countMatching(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  filter?: FilterNode,
  search?: SearchNode,
  within?: WithinIds,
  deleted = false,
): Promise<number> {
  // The whole tenant: the count the database keeps (migration 0011), not a walk over every row.
  if (!filter && !search && !within && !deleted) return liveCount(db, tenantId, 'user');
  const row = await matchingUsers(db, dialect, tenantId, filter, search, within, deleted)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A page of `GET /users`; `within` restricts it to a relationship's ids, paged and counted in SQL.
 * `deleted`: a page of the deleted users instead (see listDeletedUsers in deleted-users.ts).
 */
export async function listUsers(
  db: Executor,
  dialect: DialectName,
  tenantId: string,
  query: CollectionQuery,
  within?: WithinIds,
  deleted = false,
): Promise<UserPage> {
  const sort = sortColumns[query.orderBy.property]!;
  const desc = query.orderBy.direction === 'desc';
  if (query.search) await assertSearchBounded(db, query.search, searchTarget(dialect, tenantId));
  const base = matchingUsers(db, dialect, tenantId, query.filter, query.search, within, deleted);

  let page = base.select(columnsFor(query.select, sort.column).map((c) => `users.${c}` as const));
  const sortKey = sort.nullable ? sql<number>`coalesce(${sql.ref(`users.${sort.column}`)}, 0)` : sql.ref(`users.${sort.column}`);
  if (query.after) {
    const { value, id } = query.after;
    const cmp = desc ? '<' : '>';
    page =
      sort.column === 'id'
        ? page.where('users.id', cmp, id)
        : page.where((eb) => eb.or([eb(sortKey, cmp, value as never), eb.and([eb(sortKey, '=', value as never), eb('users.id', cmp, id)])]));
  }
  page = page.orderBy(sortKey, desc ? 'desc' : 'asc');
  if (sort.column !== 'id') page = page.orderBy('users.id', desc ? 'desc' : 'asc');
  const rows = await page.limit(query.top + 1).execute();

  const more = rows.length > query.top;
  const visible = more ? rows.slice(0, query.top) : rows;
  // Only the selected properties of these users are meaningful (see propertyColumns).
  const result: UserPage = { users: visible.map((r) => userFromRow(r as UsersTable)) };
  if (more) {
    const last = visible[visible.length - 1]! as UsersTable;
    result.next = { value: sort.key(last), id: last.id };
  }
  if (query.count) result.count = await countMatching(db, dialect, tenantId, query.filter, query.search, within, deleted);
  return result;
}
