/**
 * The shape of Foyer's tables as Kysely sees them. Migrations in ./migrations create them; this file must
 * follow every migration. Conventions: times are epoch milliseconds, booleans 0/1, JSON as text.
 */
import type { AccessReviewDecisionsTable, AccessReviewDefinitionsTable, AccessReviewInstancesTable } from './schema-access-reviews.js';
import type {
  ApplicationSecretsTable,
  ApplicationsTable,
  AppRoleAssignmentsTable,
  DirectoryChangeCountersTable,
  DirectoryChangesTable,
  DirectoryObjectCountsTable,
  DirectorySearchTokensTable,
  GroupMembersTable,
  GroupOwnersTable,
  GroupsTable,
  RoleAssignmentsTable,
  ServicePrincipalsTable,
  SignInRecordsTable,
  TenantDomainsTable,
  TenantPoliciesTable,
  TenantsTable,
  UserIdentitiesTable,
  UsersTable,
} from './schema-directory.js';
import type { AgreementAcceptancesTable, AgreementsTable, TermsGatesTable } from './schema-governance.js';

export type { AccessReviewDecisionsTable, AccessReviewDefinitionsTable, AccessReviewInstancesTable } from './schema-access-reviews.js';
export type {
  ApplicationSecretsTable,
  ApplicationsTable,
  AppRoleAssignmentsTable,
  DirectoryChangeCountersTable,
  DirectoryChangesTable,
  DirectoryObjectCountsTable,
  DirectorySearchTokensTable,
  GroupMembersTable,
  GroupOwnersTable,
  GroupsTable,
  RoleAssignmentsTable,
  ServicePrincipalsTable,
  SignInRecordsTable,
  TenantDomainsTable,
  TenantPoliciesTable,
  TenantsTable,
  UserIdentitiesTable,
  UsersTable,
} from './schema-directory.js';
export type { AgreementAcceptancesTable, AgreementsTable, TermsGatesTable } from './schema-governance.js';

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

export interface AuthenticationMethodsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  kind: 'softwareOath' | 'fido2';
  display_name: string;
  created_at: number;
  last_used_at: number | null;
  /** softwareOath: the secret, sealed under an instance key. */
  totp_secret: string | null;
  /** softwareOath: the last 30-second step accepted (a code is taken once). */
  totp_last_step: number | null;
  /** fido2: base64url credential id, public key (COSE), signature counter, JSON transports, AAGUID. */
  credential_id: string | null;
  public_key: string | null;
  sign_count: number | null;
  transports: string | null;
  aaguid: string | null;
  /** fido2: 1 when the credential is synced (a passkey in a password manager), 0 when device-bound. */
  backed_up: number | null;
}

export interface RecoveryCodesTable {
  tenant_id: string;
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface ConditionalAccessPoliciesTable {
  id: string;
  tenant_id: string;
  display_name: string;
  state: 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
  /** JSON: { conditions, grantControls, sessionControls } */
  document: string;
  created_at: number;
  modified_at: number | null;
}

export interface CrossTenantPartnersTable {
  tenant_id: string;
  partner_tenant_id: string;
  /** JSON { isMfaAccepted } or null (inherits the default). */
  inbound_trust: string | null;
  created_at: number;
}

export interface MfaGatesTable {
  id_hash: string;
  /** JSON: the second-factor step's state, see src/web/kit/mfa-gate.ts */
  payload: string;
  created_at: number;
  expires_at: number;
}

export interface DB {
  access_review_definitions: AccessReviewDefinitionsTable;
  access_review_instances: AccessReviewInstancesTable;
  access_review_decisions: AccessReviewDecisionsTable;
  authentication_methods: AuthenticationMethodsTable;
  recovery_codes: RecoveryCodesTable;
  conditional_access_policies: ConditionalAccessPoliciesTable;
  cross_tenant_partners: CrossTenantPartnersTable;
  sign_in_records: SignInRecordsTable;
  mfa_gates: MfaGatesTable;
  agreements: AgreementsTable;
  agreement_acceptances: AgreementAcceptancesTable;
  terms_gates: TermsGatesTable;
  tenants: TenantsTable;
  tenant_domains: TenantDomainsTable;
  tenant_policies: TenantPoliciesTable;
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  directory_search_tokens: DirectorySearchTokensTable;
  group_owners: GroupOwnersTable;
  directory_change_counters: DirectoryChangeCountersTable;
  directory_changes: DirectoryChangesTable;
  directory_object_counts: DirectoryObjectCountsTable;
  role_assignments: RoleAssignmentsTable;
  applications: ApplicationsTable;
  application_secrets: ApplicationSecretsTable;
  service_principals: ServicePrincipalsTable;
  app_role_assignments: AppRoleAssignmentsTable;
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
  myaccount_links: MyAccountLinksTable;
}

// --- My organizations sign-in links (migration 0019, owned by src/governance/) -----------------------

export interface MyAccountLinksTable {
  ticket_hash: string;
  /** null: an address that is no accepted guest (the row exists only so both kinds of request do the same work). */
  tenant_id: string | null;
  guest_id: string | null;
  address: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
