/**
 * Users of a tenant: members (who hold a password here) and, from the invitation feature on, guests
 * (who point at a home identity through `user_identities`). Queries over users live here.
 */
import { type SqlBool, sql } from 'kysely';
import { cancelQueuedMail } from '../mail/outbox.js';
import { issuerFor } from '../oidc/accounts.js';
import { revokeAccountArtefacts } from '../oidc/adapter.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import type { FilterNode } from '../platform/odata/filter.js';
import type { CollectionModel, CollectionQuery } from '../platform/odata/query.js';
import { type ColumnRef, compileFilter, type SqlTarget } from '../platform/odata/sql.js';
import { type DialectName, type Executor, isUniqueViolation } from '../platform/storage/database.js';
import type { UsersTable } from '../platform/storage/schema.js';
import { type Actor, activities, recordAudit } from './audit-log.js';
import { parseEmailAddress } from './domains.js';
import { assertPasswordAcceptable, hashPassword } from './passwords.js';
import { directoryRoles } from './roles.js';
import { listTenantDomains, lockTenant } from './tenants.js';

export interface ObjectIdentity {
  signInType: string;
  issuer: string;
  issuerAssignedId: string;
}

export interface User {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  mail: string | null;
  otherMails: string[];
  displayName: string;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  companyName: string | null;
  preferredLanguage: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  creationType: string | null;
  externalUserState: string | null;
  externalUserStateChangeDateTime: number | null;
  createdAt: number;
  /** Sign-ins proven before this instant (epoch ms) no longer count. */
  tokensRevokedAt: number | null;
  /** Never leaves the directory module except to the sign-in check. */
  hasPassword: boolean;
}

export function userFromRow(r: UsersTable): User {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    userPrincipalName: r.user_principal_name,
    mail: r.mail,
    otherMails: r.other_mails ? (JSON.parse(r.other_mails) as string[]) : [],
    displayName: r.display_name,
    givenName: r.given_name,
    surname: r.surname,
    jobTitle: r.job_title,
    companyName: r.company_name,
    preferredLanguage: r.preferred_language,
    accountEnabled: r.account_enabled === 1,
    userType: r.user_type as User['userType'],
    creationType: r.creation_type,
    externalUserState: r.external_user_state,
    externalUserStateChangeDateTime: r.external_user_state_change_at,
    createdAt: r.created_at,
    tokensRevokedAt: r.tokens_revoked_at ?? null,
    hasPassword: r.password_hash !== null && r.password_hash !== undefined,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `users/{id | userPrincipalName}` as Graph addresses a user. */
export async function findUser(db: Executor, tenantId: string, idOrUpn: string): Promise<User | undefined> {
  const key = idOrUpn.trim();
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where(UUID.test(key) ? 'id' : 'upn_lower', '=', key.toLowerCase())
    .executeTakeFirst();
  return row ? userFromRow(row) : undefined;
}

export async function requireUser(db: Executor, tenantId: string, idOrUpn: string): Promise<User> {
  const user = await findUser(db, tenantId, idOrUpn);
  if (!user) {
    throw new FoyerError('directory.not_found', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`);
  }
  return user;
}

/** The member whose UPN or mail is `address` in this tenant: who is signing in. */
export async function findMemberBySignInName(db: Executor, tenantId: string, address: string): Promise<(User & { passwordHash: string | null }) | undefined> {
  const lower = address.trim().toLowerCase();
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where('user_type', '=', 'Member')
    // People invited as members sign in with their home identity, never with a password here.
    .where((eb) => eb.or([eb('creation_type', 'is', null), eb('creation_type', '<>', 'Invitation')]))
    .where((eb) => eb.or([eb('upn_lower', '=', lower), eb('mail_lower', '=', lower)]))
    .orderBy('upn_lower')
    .execute();
  // A UPN match wins over a mail match: the UPN is unique, mail need not be.
  const row = rows.find((r) => r.upn_lower === lower) ?? (rows.length === 1 ? rows[0] : undefined);
  return row ? { ...userFromRow(row), passwordHash: row.password_hash } : undefined;
}

export async function listIdentities(db: Executor, userIds: string[]): Promise<Map<string, ObjectIdentity[]>> {
  const out = new Map<string, ObjectIdentity[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom('user_identities')
    .select(['user_id', 'sign_in_type', 'issuer', 'issuer_assigned_id'])
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .execute();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push({ signInType: r.sign_in_type, issuer: r.issuer, issuerAssignedId: r.issuer_assigned_id });
    out.set(r.user_id, list);
  }
  return out;
}

// --- listing with OData ---------------------------------------------------------------------------------

const stringOps = ['eq', 'ne', 'in', 'startswith'] as const;

/** What `GET /users` accepts, by Graph's property names. */
export const usersCollection: CollectionModel = {
  typeName: 'microsoft.graph.user',
  properties: {
    id: { type: 'string', ops: ['eq', 'ne', 'in'] },
    displayName: { type: 'string', ops: stringOps },
    userPrincipalName: { type: 'string', ops: [...stringOps, 'endswith'] },
    mail: { type: 'string', ops: [...stringOps, 'endswith'] },
    givenName: { type: 'string', ops: stringOps },
    surname: { type: 'string', ops: stringOps },
    jobTitle: { type: 'string', ops: stringOps },
    companyName: { type: 'string', ops: stringOps },
    preferredLanguage: { type: 'string', ops: ['eq', 'ne', 'in'] },
    userType: { type: 'enum', ops: ['eq', 'ne', 'in'], values: ['Member', 'Guest'] },
    externalUserState: { type: 'enum', ops: ['eq', 'ne', 'in'], values: ['PendingAcceptance', 'Accepted'] },
    creationType: {
      type: 'enum',
      ops: ['eq', 'ne', 'in'],
      values: ['Invitation', 'LocalAccount', 'EmailVerified', 'SelfServiceSignUp'],
    },
    accountEnabled: { type: 'boolean', ops: ['eq', 'ne'] },
    createdDateTime: { type: 'datetime', ops: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] },
    externalUserStateChangeDateTime: { type: 'datetime', ops: ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] },
  },
  collections: {
    otherMails: { kind: 'primitive', element: { type: 'string', ops: ['eq'] } },
    identities: {
      kind: 'complex',
      element: {
        issuer: { type: 'string', ops: ['eq'] },
        issuerAssignedId: { type: 'string', ops: ['eq'] },
        signInType: { type: 'string', ops: ['eq'] },
      },
    },
  },
  selectable: [
    'id',
    'displayName',
    'userPrincipalName',
    'mail',
    'givenName',
    'surname',
    'jobTitle',
    'companyName',
    'preferredLanguage',
    'businessPhones',
    'mobilePhone',
    'officeLocation',
    'userType',
    'externalUserState',
    'externalUserStateChangeDateTime',
    'creationType',
    'accountEnabled',
    'createdDateTime',
    'otherMails',
    'identities',
  ],
  // Graph's default property set for users.
  defaultSelect: [
    'businessPhones',
    'displayName',
    'givenName',
    'jobTitle',
    'mail',
    'mobilePhone',
    'officeLocation',
    'preferredLanguage',
    'surname',
    'userPrincipalName',
    'id',
  ],
  sortable: ['displayName', 'userPrincipalName', 'createdDateTime', 'id'],
  integerSorts: ['createdDateTime'],
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
};

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
  userType: { column: 'users.user_type', kind: 'exact' },
  externalUserState: { column: 'users.external_user_state', kind: 'exact' },
  creationType: { column: 'users.creation_type', kind: 'exact' },
  accountEnabled: { column: 'users.account_enabled', kind: 'boolean' },
  createdDateTime: { column: 'users.created_at', kind: 'datetime' },
  externalUserStateChangeDateTime: { column: 'users.external_user_state_change_at', kind: 'datetime' },
};

function usersTarget(dialect: DialectName): SqlTarget {
  return {
    dialect,
    column: (property) => userColumns[property]!,
    any: (collection, element) => {
      if (collection === 'otherMails') {
        return element({
          dialect,
          column: () => ({ column: 'users.other_mails', kind: 'json-strings' }),
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
  userType: ['user_type'],
  externalUserState: ['external_user_state'],
  externalUserStateChangeDateTime: ['external_user_state_change_at'],
  creationType: ['creation_type'],
  accountEnabled: ['account_enabled'],
  createdDateTime: ['created_at'],
  otherMails: ['other_mails'],
};

function columnsFor(select: readonly string[], sortColumn: keyof UsersTable): Array<keyof UsersTable> {
  const columns = new Set<keyof UsersTable>(['id', 'tenant_id', sortColumn]);
  for (const property of select) for (const c of propertyColumns[property] ?? []) columns.add(c);
  return [...columns];
}

/** Sort key column of each sortable property. */
const sortColumns: Record<string, { column: 'display_name_lower' | 'upn_lower' | 'created_at' | 'id'; key: (u: UsersTable) => string | number }> = {
  displayName: { column: 'display_name_lower', key: (u) => u.display_name_lower },
  userPrincipalName: { column: 'upn_lower', key: (u) => u.upn_lower },
  createdDateTime: { column: 'created_at', key: (u) => u.created_at },
  id: { column: 'id', key: (u) => u.id },
};

export interface UserPage {
  users: User[];
  /** Sort value and id of the last row, when there may be more. */
  next?: { value: string | number; id: string };
  count?: number;
}

export async function listUsers(db: Executor, dialect: DialectName, tenantId: string, query: CollectionQuery): Promise<UserPage> {
  const sort = sortColumns[query.orderBy.property]!;
  const desc = query.orderBy.direction === 'desc';
  let base = db.selectFrom('users').where('users.tenant_id', '=', tenantId).where('users.deleted_at', 'is', null);
  if (query.filter) base = base.where(compileFilter(query.filter, usersTarget(dialect)));

  let page = base.select(columnsFor(query.select, sort.column).map((c) => `users.${c}` as const));
  if (query.after) {
    const { value, id } = query.after;
    const cmp = desc ? '<' : '>';
    page =
      sort.column === 'id'
        ? page.where('users.id', cmp, id)
        : page.where((eb) =>
            eb.or([eb(`users.${sort.column}`, cmp, value as never), eb.and([eb(`users.${sort.column}`, '=', value as never), eb('users.id', cmp, id)])]),
          );
  }
  page = page.orderBy(`users.${sort.column}`, desc ? 'desc' : 'asc');
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
  if (query.count) {
    const row = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    result.count = Number(row.n);
  }
  return result;
}

// --- changes ---------------------------------------------------------------------------------------------

/**
 * Fills the lower-cased search copies of whatever names `row` sets (see the migration: lower-cased in
 * JavaScript so both backends fold letters alike).
 */
function withSearchCopies<T extends Partial<UsersTable>>(row: T): T {
  const out = { ...row };
  if ('display_name' in row && row.display_name !== undefined) out.display_name_lower = row.display_name.toLowerCase();
  if ('given_name' in row && row.given_name !== undefined) out.given_name_lower = row.given_name?.toLowerCase() ?? null;
  if ('surname' in row && row.surname !== undefined) out.surname_lower = row.surname?.toLowerCase() ?? null;
  return out;
}

/** otherMails as stored: valid addresses only, each once. */
function normalizeOtherMails(list: string[]): string {
  const parsed = list.map((m) => {
    const p = parseEmailAddress(m);
    if (!p) throw new FoyerError('request.invalid_body', `'${m}' in otherMails is not a valid e-mail address.`);
    return p.address;
  });
  return JSON.stringify([...new Set(parsed)]);
}

export interface NewMember {
  userPrincipalName: string;
  displayName: string;
  password: string;
  accountEnabled?: boolean;
  mail?: string | null;
  otherMails?: string[];
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  companyName?: string | null;
  preferredLanguage?: string | null;
}

/** Creates a member whose UPN is on one of the tenant's verified domains. */
export async function createMember(ctx: AppContext, tenantId: string, input: NewMember): Promise<User> {
  const upn = parseEmailAddress(input.userPrincipalName);
  if (!upn) {
    throw new FoyerError('request.invalid_body', `'${input.userPrincipalName}' is not a valid userPrincipalName.`);
  }
  const domains = await listTenantDomains(ctx.db.kysely, tenantId);
  const initial = domains.find((d) => d.isInitial)!;
  if (!domains.some((d) => d.isVerified && d.domain === upn.domain)) {
    throw new FoyerError(
      'directory.domain_not_verified',
      `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization (${domains
        .filter((d) => d.isVerified)
        .map((d) => d.domain)
        .join(', ')}).`,
    );
  }
  const mail = input.mail === undefined || input.mail === null ? upn : parseEmailAddress(input.mail);
  if (!mail) throw new FoyerError('request.invalid_body', `'${input.mail}' is not a valid mail address.`);
  assertPasswordAcceptable(input.password, { userPrincipalName: upn.address });
  const passwordHash = await hashPassword(input.password);
  const id = newId();
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
    await insertUserRow(trx, {
      id,
      tenantId,
      upn: upn.address,
      issuer: initial.domain,
      mail: mail.address,
      displayName: input.displayName,
      passwordHash,
      now,
      extra: {
        other_mails: normalizeOtherMails(input.otherMails ?? []),
        given_name: input.givenName ?? null,
        surname: input.surname ?? null,
        job_title: input.jobTitle ?? null,
        company_name: input.companyName ?? null,
        preferred_language: input.preferredLanguage ?? null,
        account_enabled: input.accountEnabled === false ? 0 : 1,
      },
    });
  });
  return (await findUser(ctx.db.kysely, tenantId, id))!;
}

/**
 * Inserts a user and its `userPrincipalName` identity (the shape Entra gives members, and guests before
 * they redeem). A clash on the UPN is a clear `directory.conflict`, whichever backend reports it.
 */
export async function insertUserRow(
  trx: Executor,
  m: {
    id: string;
    tenantId: string;
    upn: string;
    issuer: string;
    mail: string;
    displayName: string;
    /** null for guests, who prove who they are at their home identity */
    passwordHash: string | null;
    now: number;
    extra?: Partial<UsersTable>;
  },
): Promise<void> {
  const conflict = () => new FoyerError('directory.conflict', 'Another object with the same value for property userPrincipalName already exists.');
  const taken = await trx.selectFrom('users').select('id').where('upn_lower', '=', m.upn.toLowerCase()).executeTakeFirst();
  if (taken) throw conflict();
  await trx
    .insertInto('users')
    .values(
      withSearchCopies({
        id: m.id,
        tenant_id: m.tenantId,
        user_principal_name: m.upn,
        upn_lower: m.upn.toLowerCase(),
        mail: m.mail,
        mail_lower: m.mail.toLowerCase(),
        other_mails: '[]',
        display_name: m.displayName,
        display_name_lower: m.displayName.toLowerCase(),
        given_name: null,
        given_name_lower: null,
        surname_lower: null,
        tokens_revoked_at: null,
        surname: null,
        job_title: null,
        company_name: null,
        preferred_language: null,
        account_enabled: 1,
        user_type: 'Member',
        creation_type: null,
        external_user_state: null,
        external_user_state_change_at: null,
        password_hash: m.passwordHash,
        created_at: m.now,
        deleted_at: null,
        ...m.extra,
      }),
    )
    .execute()
    // Two requests for one UPN can both pass the check above; the unique index decides.
    .catch((err: unknown) => {
      throw isUniqueViolation(err) ? conflict() : err;
    });
  await trx
    .insertInto('user_identities')
    .values({
      user_id: m.id,
      tenant_id: m.tenantId,
      sign_in_type: 'userPrincipalName',
      issuer: m.issuer,
      issuer_assigned_id: m.upn,
      created_at: m.now,
    })
    .execute();
}

export interface UserPatch {
  displayName?: string;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  companyName?: string | null;
  preferredLanguage?: string | null;
  accountEnabled?: boolean;
  mail?: string | null;
  otherMails?: string[];
  userPrincipalName?: string;
  userType?: 'Member' | 'Guest';
  password?: string;
}

export async function updateUser(ctx: AppContext, tenantId: string, idOrUpn: string, patch: UserPatch): Promise<User> {
  const user = await requireUser(ctx.db.kysely, tenantId, idOrUpn);
  const set: Partial<UsersTable> = {};
  if (patch.displayName !== undefined) set.display_name = patch.displayName;
  if (patch.givenName !== undefined) set.given_name = patch.givenName;
  if (patch.surname !== undefined) set.surname = patch.surname;
  if (patch.jobTitle !== undefined) set.job_title = patch.jobTitle;
  if (patch.companyName !== undefined) set.company_name = patch.companyName;
  if (patch.preferredLanguage !== undefined) set.preferred_language = patch.preferredLanguage;
  if (patch.accountEnabled !== undefined) set.account_enabled = patch.accountEnabled ? 1 : 0;
  if (patch.userType !== undefined) set.user_type = patch.userType;
  if (patch.mail !== undefined) {
    if (patch.mail === null) {
      set.mail = null;
      set.mail_lower = null;
    } else {
      const mail = parseEmailAddress(patch.mail);
      if (!mail) throw new FoyerError('request.invalid_body', `'${patch.mail}' is not a valid mail address.`);
      set.mail = mail.address;
      set.mail_lower = mail.lower;
    }
  }
  if (patch.otherMails !== undefined) set.other_mails = normalizeOtherMails(patch.otherMails);
  let newUpn: string | undefined;
  if (patch.userPrincipalName !== undefined && patch.userPrincipalName.toLowerCase() !== user.userPrincipalName.toLowerCase()) {
    if (user.userType === 'Guest') {
      throw new FoyerError('request.invalid_body', "A guest's userPrincipalName is derived from the invited address and cannot be changed.");
    }
    const upn = parseEmailAddress(patch.userPrincipalName);
    if (!upn) throw new FoyerError('request.invalid_body', `'${patch.userPrincipalName}' is not a valid userPrincipalName.`);
    const domains = await listTenantDomains(ctx.db.kysely, tenantId);
    if (!domains.some((d) => d.isVerified && d.domain === upn.domain)) {
      throw new FoyerError(
        'directory.domain_not_verified',
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      );
    }
    newUpn = upn.address;
    set.user_principal_name = upn.address;
    set.upn_lower = upn.lower;
  } else if (patch.userPrincipalName !== undefined && patch.userPrincipalName !== user.userPrincipalName) {
    set.user_principal_name = patch.userPrincipalName; // a change of letter case only
  }
  if (patch.password !== undefined) {
    if (user.userType === 'Guest' && !user.hasPassword) {
      throw new FoyerError('request.invalid_body', 'Guests have no password here: they sign in with their home identity.');
    }
    assertPasswordAcceptable(patch.password, { userPrincipalName: newUpn ?? user.userPrincipalName });
    set.password_hash = await hashPassword(patch.password);
  }
  if (Object.keys(set).length === 0) return user;
  // A new password or a disabled account ends every sign-in made before: sessions, refresh tokens.
  const revoke = patch.password !== undefined || (patch.accountEnabled === false && user.accountEnabled);
  if (revoke) set.tokens_revoked_at = ctx.clock.now();

  await ctx.db.transaction(async (trx) => {
    await lockTenant(trx, ctx.db.dialect, tenantId);
    if (patch.accountEnabled === false && user.accountEnabled) await assertNotLastGlobalAdmin(trx, tenantId, user.id);
    if (revoke) await revokeAccountArtefacts(trx, tenantId, user.id, issuerFor(ctx.config.publicUrl, tenantId));
    if (newUpn) {
      const taken = await trx.selectFrom('users').select('id').where('upn_lower', '=', newUpn.toLowerCase()).where('id', '<>', user.id).executeTakeFirst();
      if (taken) {
        throw new FoyerError('directory.conflict', 'Another object with the same value for property userPrincipalName already exists.');
      }
      await trx
        .updateTable('user_identities')
        .set({ issuer_assigned_id: newUpn })
        .where('user_id', '=', user.id)
        .where('sign_in_type', '=', 'userPrincipalName')
        .execute();
    }
    await trx
      .updateTable('users')
      .set(withSearchCopies(set))
      .where('id', '=', user.id)
      .where('tenant_id', '=', tenantId)
      .execute()
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) {
          throw new FoyerError('directory.conflict', 'Another object with the same value for property userPrincipalName already exists.');
        }
        throw err;
      });
  });
  return (await findUser(ctx.db.kysely, tenantId, user.id))!;
}

/**
 * Deletes a user, with their memberships, role assignments and identities. Deleting an invited user is
 * audited as Entra's "Delete external user", and ends their outstanding invitation links.
 */
export async function deleteUser(ctx: AppContext, tenantId: string, idOrUpn: string, actor?: Actor): Promise<User> {
  const user = await requireUser(ctx.db.kysely, tenantId, idOrUpn);
  await ctx.db.transaction(async (trx) => {
    await lockTenant(trx, ctx.db.dialect, tenantId);
    await assertNotLastGlobalAdmin(trx, tenantId, user.id);
    await revokeAccountArtefacts(trx, tenantId, user.id, issuerFor(ctx.config.publicUrl, tenantId));
    await trx.deleteFrom('users').where('id', '=', user.id).where('tenant_id', '=', tenantId).execute();
    if (user.creationType === 'Invitation') {
      const invitations = await trx.selectFrom('invitations').select('id').where('user_id', '=', user.id).execute();
      await trx
        .updateTable('invitations')
        .set({ ticket_state: 'revoked' })
        .where('user_id', '=', user.id)
        .where('ticket_state', 'in', ['active', 'redeemed'])
        .execute();
      // Invitation e-mail still waiting to go out would carry a dead link.
      await cancelQueuedMail(
        trx,
        invitations.map((i) => i.id),
        ctx.clock.now(),
      );
      await recordAudit(trx, {
        tenantId,
        activity: activities.deleteGuest,
        category: 'UserManagement',
        operationType: 'Delete',
        result: 'success',
        actor: actor ?? { kind: 'system', displayName: 'Foyer' },
        targets: [{ id: user.id, type: 'User', displayName: user.displayName, userPrincipalName: user.userPrincipalName }],
        correlationId: newId(),
        at: ctx.clock.now(),
      });
    }
  });
  return user;
}

/**
 * A tenant must keep one enabled Global Administrator, or nobody could ever administer it again through
 * the API. Refuses to delete, disable or un-assign the last one.
 */
export async function assertNotLastGlobalAdmin(trx: Executor, tenantId: string, userId: string): Promise<void> {
  const admins = await trx
    .selectFrom('role_assignments')
    .innerJoin('users', 'users.id', 'role_assignments.principal_id')
    .select('users.id')
    .where('role_assignments.tenant_id', '=', tenantId)
    .where('role_assignments.role_template_id', '=', directoryRoles.globalAdministrator.id)
    .where('users.account_enabled', '=', 1)
    .where('users.deleted_at', 'is', null)
    .execute();
  if (admins.length === 1 && admins[0]!.id === userId) {
    throw new FoyerError(
      'directory.last_global_administrator',
      "This is the tenant's last enabled Global Administrator; assign the role to someone else first.",
    );
  }
}

export async function listRoleIdsOf(db: Executor, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('role_assignments')
    .select('role_template_id')
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', userId)
    .execute();
  return rows.map((r) => r.role_template_id);
}
