/**
 * How a user is stored: the row ↔ `User` mapping, the profile properties' columns (one table for
 * creating and changing users), and the insert every kind of user goes through (members, a tenant's
 * first administrator, invited guests). Only the directory imports this file.
 */
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type Executor, isUniqueViolation } from '../platform/storage/database.js';
import type { UsersTable } from '../platform/storage/schema.js';
import { markUsersChanged } from './changes.js';
import { parseEmailAddress } from './domains.js';
import { insertSearchTokens } from './search-tokens.js';

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
  mailNickname: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  department: string | null;
  employeeId: string | null;
  employeeType: string | null;
  usageLocation: string | null;
  city: string | null;
  country: string | null;
  state: string | null;
  streetAddress: string | null;
  postalCode: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  creationType: string | null;
  externalUserState: string | null;
  externalUserStateChangeDateTime: number | null;
  createdAt: number;
  /**
   * Graph's `signInSessionsValidFromDateTime` (epoch ms): sign-ins proven and tokens issued before this
   * instant no longer count. Null while nothing has ended the user's sign-ins.
   */
  signInSessionsValidFrom: number | null;
  /** Never leaves the directory module except to the sign-in check. */
  hasPassword: boolean;
  /** Graph's `forceChangePasswordNextSignIn`: the sign-in page asks for a new password before going on. */
  mustChangePassword: boolean;
  /** Graph's `signInActivity.lastSignInDateTime` (epoch ms): the last interactive sign-in, whatever its outcome; null if none. */
  lastSignInDateTime: number | null;
  /** Graph's `signInActivity.lastSuccessfulSignInDateTime` (epoch ms); null if none. */
  lastSuccessfulSignInDateTime: number | null;
  /** Graph's `deletedDateTime` (epoch ms): set only on a deleted user (directory/deleted-users.ts), when read. */
  deletedAt?: number;
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
    mailNickname: r.mail_nickname ?? null,
    officeLocation: r.office_location ?? null,
    mobilePhone: r.mobile_phone ?? null,
    businessPhones: r.business_phones ? (JSON.parse(r.business_phones) as string[]) : [],
    department: r.department ?? null,
    employeeId: r.employee_id ?? null,
    employeeType: r.employee_type ?? null,
    usageLocation: r.usage_location ?? null,
    city: r.city ?? null,
    country: r.country ?? null,
    state: r.state ?? null,
    streetAddress: r.street_address ?? null,
    postalCode: r.postal_code ?? null,
    accountEnabled: r.account_enabled === 1,
    userType: r.user_type as User['userType'],
    creationType: r.creation_type,
    externalUserState: r.external_user_state,
    externalUserStateChangeDateTime: r.external_user_state_change_at,
    createdAt: r.created_at,
    signInSessionsValidFrom: r.sign_in_sessions_valid_from ?? null,
    hasPassword: r.password_hash !== null && r.password_hash !== undefined,
    mustChangePassword: r.must_change_password === 1,
    lastSignInDateTime: r.last_sign_in_at == null ? null : Number(r.last_sign_in_at),
    lastSuccessfulSignInDateTime: r.last_successful_sign_in_at == null ? null : Number(r.last_successful_sign_in_at),
    ...(r.deleted_at == null ? {} : { deletedAt: Number(r.deleted_at) }),
  };
}

/** The properties an administrator sets on a user, by Graph's names: when creating and when changing. */
export interface UserProfile {
  displayName?: string;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  companyName?: string | null;
  preferredLanguage?: string | null;
  mailNickname?: string | null;
  officeLocation?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
  department?: string | null;
  employeeId?: string | null;
  employeeType?: string | null;
  usageLocation?: string | null;
  city?: string | null;
  country?: string | null;
  state?: string | null;
  streetAddress?: string | null;
  postalCode?: string | null;
  accountEnabled?: boolean;
  mail?: string | null;
  otherMails?: string[];
  userType?: 'Member' | 'Guest';
}

/** The columns of the properties `profile` sets (undefined ones are left alone). */
export function profileColumns(profile: UserProfile): Partial<UsersTable> {
  const set: Partial<UsersTable> = {};
  if (profile.displayName !== undefined) set.display_name = profile.displayName;
  if (profile.givenName !== undefined) set.given_name = profile.givenName;
  if (profile.surname !== undefined) set.surname = profile.surname;
  if (profile.jobTitle !== undefined) set.job_title = profile.jobTitle;
  if (profile.companyName !== undefined) set.company_name = profile.companyName;
  if (profile.preferredLanguage !== undefined) set.preferred_language = profile.preferredLanguage;
  if (profile.mailNickname !== undefined) set.mail_nickname = profile.mailNickname;
  if (profile.officeLocation !== undefined) set.office_location = profile.officeLocation;
  if (profile.mobilePhone !== undefined) set.mobile_phone = profile.mobilePhone;
  if (profile.businessPhones !== undefined) set.business_phones = JSON.stringify(profile.businessPhones);
  if (profile.department !== undefined) set.department = profile.department;
  if (profile.employeeId !== undefined) set.employee_id = profile.employeeId;
  if (profile.employeeType !== undefined) set.employee_type = profile.employeeType;
  if (profile.usageLocation !== undefined) set.usage_location = profile.usageLocation;
  if (profile.city !== undefined) set.city = profile.city;
  if (profile.country !== undefined) set.country = profile.country;
  if (profile.state !== undefined) set.state = profile.state;
  if (profile.streetAddress !== undefined) set.street_address = profile.streetAddress;
  if (profile.postalCode !== undefined) set.postal_code = profile.postalCode;
  if (profile.accountEnabled !== undefined) set.account_enabled = profile.accountEnabled ? 1 : 0;
  if (profile.userType !== undefined) set.user_type = profile.userType;
  if (profile.mail !== undefined) {
    const mail = profile.mail === null ? null : parseEmailAddress(profile.mail);
    if (mail === undefined) throw new FoyerError('request.invalid_body', `'${profile.mail}' is not a valid mail address.`);
    set.mail = mail?.address ?? null;
    set.mail_lower = mail?.lower ?? null;
  }
  if (profile.otherMails !== undefined) set.other_mails = normalizeOtherMails(profile.otherMails);
  return set;
}

/**
 * Fills the lower-cased search copies of whatever names `row` sets (see the migration: lower-cased in
 * JavaScript so both backends fold letters alike).
 */
export function withSearchCopies<T extends Partial<UsersTable>>(row: T): T {
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

export const upnTaken = () => new FoyerError('directory.conflict', 'Another object with the same value for property userPrincipalName already exists.');

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
  const taken = await trx.selectFrom('users').select('id').where('upn_lower', '=', m.upn.toLowerCase()).executeTakeFirst();
  if (taken) throw upnTaken();
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
        sign_in_sessions_valid_from: null,
        surname: null,
        job_title: null,
        company_name: null,
        preferred_language: null,
        // Entra's alias for an account created without one: the UPN's local part.
        mail_nickname: m.upn.slice(0, m.upn.lastIndexOf('@')),
        office_location: null,
        mobile_phone: null,
        business_phones: '[]',
        department: null,
        employee_id: null,
        employee_type: null,
        usage_location: null,
        city: null,
        country: null,
        state: null,
        street_address: null,
        postal_code: null,
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
      throw isUniqueViolation(err) ? upnTaken() : err;
    });
  await insertSearchTokens(trx, m.tenantId, 'user', m.id, { displayName: m.extra?.display_name ?? m.displayName });
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
  await markUsersChanged(trx, m.tenantId, [m.id]);
}
