/**
 * The directory's tables (tenants, users, groups and their relationships, applications) as Kysely sees
 * them; schema.ts gathers them with the other features' tables into the database's shape.
 */
import type { Generated } from 'kysely';

export interface TenantsTable {
  id: string;
  display_name: string;
  slug: string;
  initial_domain: string;
  /** JSON: { bannerLogoUrl?, backgroundColor?, signInPageText? } */
  branding: string;
  privacy_statement_url: string | null;
  privacy_contact_email: string | null;
  /** Notification language for mail to guests when nothing more specific is known (BCP 47). */
  preferred_language: string | null;
  /** Bumped on every signing-key change so each process can rebuild its provider for the tenant. */
  keys_version: number;
  created_at: number;
}

export interface TenantDomainsTable {
  domain: string;
  tenant_id: string;
  is_verified: number;
  is_initial: number;
  is_default: number;
  created_at: number;
}

export interface TenantPoliciesTable {
  tenant_id: string;
  /** e.g. authorizationPolicy, b2bManagementPolicy */
  name: string;
  body: string;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  user_principal_name: string;
  upn_lower: string;
  mail: string | null;
  mail_lower: string | null;
  /** JSON array of strings */
  other_mails: string;
  display_name: string;
  display_name_lower: string;
  given_name: string | null;
  given_name_lower: string | null;
  surname: string | null;
  surname_lower: string | null;
  job_title: string | null;
  company_name: string | null;
  preferred_language: string | null;
  /** The mail alias (Graph's `mailNickname`); null on users made before 0006 had none. */
  mail_nickname: string | null;
  office_location: string | null;
  mobile_phone: string | null;
  /** JSON array of strings (Graph allows one number) */
  business_phones: string;
  department: string | null;
  employee_id: string | null;
  employee_type: string | null;
  /** ISO 3166 two-letter country code */
  usage_location: string | null;
  city: string | null;
  country: string | null;
  state: string | null;
  street_address: string | null;
  postal_code: string | null;
  account_enabled: number;
  /** 'Member' | 'Guest' */
  user_type: string;
  /** null | 'Invitation' */
  creation_type: string | null;
  /** null | 'PendingAcceptance' | 'Accepted' */
  external_user_state: string | null;
  external_user_state_change_at: number | null;
  /** argon2id PHC string; null for guests, who authenticate at their home identity. */
  password_hash: string | null;
  /**
   * Graph's `signInSessionsValidFromDateTime`, epoch ms: sign-ins proven and tokens issued before it no
   * longer count (revokeSignInSessions, password reset, account disabled, reset redemption).
   */
  sign_in_sessions_valid_from: number | null;
  /** 1: the member must choose a new password at the next sign-in (Graph's `forceChangePasswordNextSignIn`); optional: inserts leave it out (0). */
  must_change_password?: number;
  /** The user's manager (Graph's `manager`), a user of the same tenant; null when none (optional: inserts leave it out). */
  manager_id?: string | null;
  created_at: number;
  deleted_at: number | null;
  /** Graph's `signInActivity.lastSignInDateTime` (epoch ms, any outcome); kept by the sign-in log's writer (optional: inserts leave it out). */
  last_sign_in_at?: number | null;
  /** Graph's `signInActivity.lastSuccessfulSignInDateTime` (epoch ms); optional: inserts leave it out. */
  last_successful_sign_in_at?: number | null;
  /** The tenant's change counter at the user's last change (delta queries; see directory/changes.ts). Optional: inserts leave it to changes.ts. */
  change_seq?: number;
}

/** Home identities bound to a guest (issuer + subject there). Members' identities derive from the UPN. */
export interface UserIdentitiesTable {
  user_id: string;
  tenant_id: string;
  sign_in_type: string;
  issuer: string;
  issuer_assigned_id: string;
  created_at: number;
}

export interface GroupsTable {
  id: string;
  tenant_id: string;
  display_name: string;
  display_name_lower: string;
  description: string | null;
  mail_nickname: string;
  mail_enabled: number;
  security_enabled: number;
  created_at: number;
  /** The tenant's change counter at the group's last change (delta queries; see directory/changes.ts). Optional: inserts leave it to changes.ts. */
  change_seq?: number;
}

/** The words of users' and groups' names and descriptions, for `$search` (see migrations/0007-search.ts). */
export interface DirectorySearchTokensTable {
  tenant_id: string;
  object_type: 'user' | 'group';
  /** `displayName` or `description`. */
  property: string;
  token: string;
  object_id: string;
}

export interface GroupMembersTable {
  group_id: string;
  /** A user's or a group's id (nested groups), as `member_type` says. */
  member_id: string;
  member_type: 'user' | 'group';
  tenant_id: string;
  created_at: number;
}

/** Each tenant's change counter for delta queries; `pruned_through`: the newest change whose log entry is gone. */
export interface DirectoryChangeCountersTable {
  tenant_id: string;
  value: number;
  pruned_through: Generated<number>;
}

/** Each tenant's number of live users and of groups, kept by triggers (see migrations/0011-object-counts.ts); no row: none. */
export interface DirectoryObjectCountsTable {
  tenant_id: string;
  object_type: 'user' | 'group';
  /** A bigint: PostgreSQL returns it as a string. */
  live_count: number | string;
}

/** Deleted users and groups, and memberships added or ended, for delta queries until the retention ends. */
export interface DirectoryChangesTable {
  tenant_id: string;
  change_seq: number;
  object_type: 'user' | 'group';
  object_id: string;
  change: 'deleted' | 'member_added' | 'member_removed';
  /** For a membership change: the member and its kind; the group is `object_id`. */
  member_id: string | null;
  member_type: 'user' | 'group' | null;
  created_at: number;
}

export interface GroupOwnersTable {
  group_id: string;
  owner_id: string;
  tenant_id: string;
  created_at: number;
}

export interface RoleAssignmentsTable {
  tenant_id: string;
  role_template_id: string;
  principal_id: string;
  created_at: number;
}

export interface ApplicationsTable {
  id: string;
  tenant_id: string;
  app_id: string;
  display_name: string;
  /** JSON array of absolute URLs */
  redirect_uris: string;
  /** 1 for public clients (no secret; PKCE), 0 for confidential ones */
  public_client: number;
  /** JSON array of Graph application permissions granted (app roles), e.g. ["User.Invite.All"] */
  application_permissions: string;
  /** JSON array of Graph delegated permissions (scopes) the app may request */
  delegated_permissions: string;
  created_at: number;
  /** JavaScript-lower-cased display name, for `$filter` and `$orderby` (0005) */
  display_name_lower: string | null;
  /** appId of the app that created this one with Application.ReadWrite.OwnedBy, which may manage it (0005) */
  owner_app_id: string | null;
  /** Graph's groupMembershipClaims ("None", "SecurityGroup", "All" …); null: no `groups` claim (0015). Optional: inserts leave it out. */
  group_membership_claims?: string | null;
}

export interface ApplicationSecretsTable {
  id: string;
  application_id: string;
  /** base64url SHA-256 of the secret: secrets are 256-bit random values, so a fast hash is enough. */
  secret_hash: string;
  hint: string;
  created_at: number;
  /** Graph's endDateTime; null for secrets made before 0005 without an end. */
  expires_at: number | null;
  /** Graph's passwordCredential displayName (0005) */
  display_name: string | null;
  /** Graph's startDateTime: the secret is refused before it (0005) */
  starts_at: number | null;
}

/** An app's service principal (0015): one per app registration, with its own object id. */
export interface ServicePrincipalsTable {
  id: string;
  tenant_id: string;
  /** The application's object id (Graph's application `id`). */
  application_id: string;
  /** The application's client id (Graph's `appId`). */
  app_id: string;
  /** 1: only assigned users (directly or through a group) may sign in to the app (AADSTS50105 otherwise). */
  app_role_assignment_required: number;
  created_at: number;
}

/** A user or a group given an app role of an app's service principal (0015); exactly one of user_id, group_id is set. */
export interface AppRoleAssignmentsTable {
  id: string;
  tenant_id: string;
  /** The service principal's id (Graph's `resourceId`). */
  resource_id: string;
  user_id: string | null;
  group_id: string | null;
  /** The zero GUID: default access (Foyer's apps define no app roles). */
  app_role_id: string;
  created_at: number;
}

/** Deleted users (migration 0013): each identity carries a copy of its user's `deleted_at`, so a deleted user's identities match nothing and block nothing. */
export interface UserIdentitiesTable {
  /** Optional: a live user's identities leave it out (null). */
  deleted_at?: number | null;
}

/** The sign-in log (Graph's `auditLogs/signIns`), written in batches by directory/sign-in-log.ts. */
export interface SignInRecordsTable {
  id: string;
  tenant_id: string;
  /** Null when the typed account name matched no user (or for an app's own sign-in). */
  user_id: string | null;
  user_display_name: string | null;
  user_principal_name: string | null;
  /** 'Member' | 'Guest' | null */
  user_type: string | null;
  app_id: string | null;
  app_display_name: string | null;
  ip_address: string | null;
  client_app_used: string | null;
  home_tenant_id: string | null;
  resource_tenant_id: string | null;
  /** Graph's signInAccessType: 'none' | 'b2bCollaboration' */
  cross_tenant_access_type: string | null;
  /** 1 | 0 */
  is_interactive: number;
  created_at: number;
  error_code: number;
  failure_reason: string | null;
  /** JSON string[] */
  amr: string;
  /** JSON: Graph's appliedConditionalAccessPolicy[] */
  applied_policies: string;
}
