/**
 * The shape of Foyer's tables as Kysely sees them. Migrations in ./migrations create them; this file must
 * follow every migration. Conventions: times are epoch milliseconds, booleans 0/1, JSON as text.
 */
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
  created_at: number;
  deleted_at: number | null;
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
}

export interface GroupMembersTable {
  group_id: string;
  member_id: string;
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

export interface SigningKeysTable {
  kid: string;
  tenant_id: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  /** Set when a newer key took over signing; the key is still published until `expires_at`. */
  retired_at: number | null;
  expires_at: number | null;
}

/** oidc-provider's artefacts (sessions, codes, grants, refresh tokens, interactions…), one table. */
export interface OidcPayloadsTable {
  tenant_id: string;
  model: string;
  /** SHA-256 of the artefact id (see the migration). */
  id: string;
  payload: string;
  account_id: string | null;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

/** The instance-wide browser session (single sign-on across tenants). Keyed by a hash of the cookie. */
export interface BrowserSessionsTable {
  id_hash: string;
  /** JSON: the identities proven in this browser, see src/web/kit/browser-session.ts */
  payload: string;
  created_at: number;
  expires_at: number;
}

export interface RateLimitsTable {
  key: string;
  window_start: number;
  hits: number;
  expires_at: number;
}

export interface InstanceSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

export interface InvitationsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  invited_email: string;
  invited_email_lower: string;
  invited_display_name: string | null;
  /** 'Guest' | 'Member' */
  invited_user_type: string;
  redirect_url: string;
  send_message: number;
  message_body: string | null;
  message_language: string | null;
  cc_address: string | null;
  cc_name: string | null;
  reset_redemption: number;
  /** 'PendingAcceptance' | 'Completed' */
  status: string;
  /** base64url SHA-256 of the redemption ticket */
  ticket_hash: string;
  /** 'active' | 'superseded' (a newer invitation replaced it) | 'redeemed' | 'revoked' */
  ticket_state: string;
  /** null: the ticket does not expire */
  ticket_expires_at: number | null;
  /** JSON: the audit actor who invited (see src/directory/audit-log.ts) */
  inviter: string;
  created_at: number;
  redeemed_at: number | null;
}

export interface OutboxTable {
  id: string;
  tenant_id: string;
  invitation_id: string | null;
  /** 'invitation' */
  kind: string;
  recipient: string;
  /** JSON: what the message is rendered from at delivery */
  payload: string;
  /** AES-256-GCM sealed secret the message needs (the redemption ticket); null once delivered or failed */
  secret: string | null;
  /** 'queued' | 'sent' | 'failed' */
  state: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  sent_at: number | null;
  /** The RFC 5322 Message-ID, fixed at enqueue so a retried delivery carries the same one. */
  message_id: string;
  created_at: number;
}

export interface DevelopmentMailboxTable {
  id: string;
  outbox_id: string;
  /** JSON: the rendered message (from, to, cc, replyTo, subject, text, html) */
  message: string;
  created_at: number;
}

export interface AuditEventsTable {
  id: string;
  tenant_id: string;
  activity: string;
  category: string;
  service: string;
  operation_type: string;
  /** 'success' | 'failure' */
  result: string;
  result_reason: string | null;
  /** JSON */
  actor: string;
  /** JSON array */
  targets: string;
  /** JSON array of { key, value } */
  details: string;
  correlation_id: string;
  activity_at: number;
}

export interface UserSponsorsTable {
  user_id: string;
  sponsor_id: string;
  tenant_id: string;
  created_at: number;
}

export interface InvitationBlocksTable {
  tenant_id: string;
  address_lower: string;
  created_at: number;
}

export interface PersonalAccountsTable {
  id: string;
  email: string;
  email_lower: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}

export interface IdentityProvidersTable {
  id: string;
  tenant_id: string;
  display_name: string;
  issuer: string;
  client_id: string;
  /** Sealed with an instance key. */
  client_secret: string | null;
  scope: string;
  /** JSON array of lower-case domains. */
  domains: string;
  created_at: number;
}

export interface GuestFlowsTable {
  id_hash: string;
  /** JSON: the flow's state, see src/redemption/flow-state.ts */
  payload: string;
  created_at: number;
  expires_at: number;
}

export interface PasscodesTable {
  id: string;
  flow_id_hash: string;
  address_lower: string;
  code_hash: string;
  attempts: number;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface DB {
  tenants: TenantsTable;
  tenant_domains: TenantDomainsTable;
  tenant_policies: TenantPoliciesTable;
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  role_assignments: RoleAssignmentsTable;
  applications: ApplicationsTable;
  application_secrets: ApplicationSecretsTable;
  signing_keys: SigningKeysTable;
  oidc_payloads: OidcPayloadsTable;
  browser_sessions: BrowserSessionsTable;
  rate_limits: RateLimitsTable;
  instance_secrets: InstanceSecretsTable;
  invitations: InvitationsTable;
  outbox: OutboxTable;
  development_mailbox: DevelopmentMailboxTable;
  audit_events: AuditEventsTable;
  user_sponsors: UserSponsorsTable;
  invitation_blocks: InvitationBlocksTable;
  personal_accounts: PersonalAccountsTable;
  identity_providers: IdentityProvidersTable;
  guest_flows: GuestFlowsTable;
  passcodes: PasscodesTable;
}
