import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The directory: tenants and their domains and policies, users (members now; guests later through the
 * same table and `user_identities`), groups, role assignments, applications, signing keys, and the
 * stores the OpenID provider and the browser session need.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // Lower-cased copies that Foyer searches by prefix and sorts by compare byte by byte on both
  // backends: SQLite's default BINARY collation, and "C" on PostgreSQL. Under a language collation
  // PostgreSQL could not use one index both for `LIKE 'an%'` and for `ORDER BY`, and would sort in a
  // different order than SQLite.
  const searchable = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('initial_domain', 'text', (c) => c.notNull().unique())
    .addColumn('branding', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('privacy_statement_url', 'text')
    .addColumn('privacy_contact_email', 'text')
    .addColumn('preferred_language', 'text')
    .addColumn('keys_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tenant_domains')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('is_verified', 'integer', (c) => c.notNull())
    .addColumn('is_initial', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tenant_domains_tenant').on('tenant_domains').column('tenant_id').execute();

  await db.schema
    .createTable('tenant_policies')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_policies_pk', ['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_principal_name', 'text', (c) => c.notNull())
    // Initial and verified domains are unique across the instance, so UPNs are too.
    .addColumn('upn_lower', searchable, (c) => c.notNull().unique())
    .addColumn('mail', 'text')
    .addColumn('mail_lower', searchable)
    .addColumn('other_mails', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    // Lower-cased in JavaScript, not SQL: SQLite's lower() only folds ASCII, PostgreSQL's folds Unicode,
    // and a filter must match the same rows on both backends.
    .addColumn('display_name_lower', searchable, (c) => c.notNull())
    .addColumn('given_name', 'text')
    .addColumn('given_name_lower', searchable)
    .addColumn('surname', 'text')
    .addColumn('surname_lower', searchable)
    .addColumn('job_title', 'text')
    .addColumn('company_name', 'text')
    .addColumn('preferred_language', 'text')
    .addColumn('account_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('user_type', 'text', (c) => c.notNull())
    .addColumn('creation_type', 'text')
    .addColumn('external_user_state', 'text')
    .addColumn('external_user_state_change_at', 'bigint')
    .addColumn('password_hash', 'text')
    // Sign-ins proven before this instant no longer count (password reset, account disabled).
    .addColumn('tokens_revoked_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  // Keyset pages of one tenant's directory, in id order (UUIDv7: creation order) and by display name.
  await db.schema.createIndex('users_tenant_id').on('users').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('users_tenant_display').on('users').columns(['tenant_id', 'display_name_lower', 'id']).execute();
  await db.schema.createIndex('users_tenant_type').on('users').columns(['tenant_id', 'user_type', 'id']).execute();
  await db.schema.createIndex('users_tenant_mail').on('users').columns(['tenant_id', 'mail_lower']).execute();

  await db.schema
    .createTable('user_identities')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('sign_in_type', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('issuer_assigned_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Graph: "the pair issuer + issuerAssignedId must be unique" (within a tenant).
    .addPrimaryKeyConstraint('user_identities_pk', ['tenant_id', 'issuer', 'issuer_assigned_id'])
    .execute();
  await db.schema.createIndex('user_identities_user').on('user_identities').column('user_id').execute();

  await db.schema
    .createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('display_name_lower', searchable, (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('mail_nickname', 'text', (c) => c.notNull())
    .addColumn('mail_enabled', 'integer', (c) => c.notNull())
    .addColumn('security_enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_tenant_id').on('groups').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('groups_tenant_display').on('groups').columns(['tenant_id', 'display_name_lower', 'id']).execute();

  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('member_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'member_id'])
    .execute();
  await db.schema.createIndex('group_members_member').on('group_members').column('member_id').execute();

  await db.schema
    .createTable('role_assignments')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('role_template_id', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_assignments_pk', ['tenant_id', 'role_template_id', 'principal_id'])
    .execute();
  await db.schema.createIndex('role_assignments_principal').on('role_assignments').column('principal_id').execute();

  await db.schema
    .createTable('applications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('public_client', 'integer', (c) => c.notNull())
    .addColumn('application_permissions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('delegated_permissions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('applications_tenant').on('applications').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('application_secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('hint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('application_secrets_app').on('application_secrets').column('application_id').execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('signing_keys_tenant').on('signing_keys').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('oidc_payloads')
    // Each tenant's provider sees only its own rows: a session or code of one tenant must never be
    // found by another tenant's provider.
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    // SHA-256 of the artefact's id: for codes, refresh tokens and sessions the id is the bearer secret
    // itself, so a copy of the database must not hold it.
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_payloads_pk', ['tenant_id', 'model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_payloads_grant').on('oidc_payloads').columns(['tenant_id', 'grant_id']).execute();
  await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['tenant_id', 'uid']).execute();
  await db.schema.createIndex('oidc_payloads_account').on('oidc_payloads').columns(['tenant_id', 'account_id']).execute();
  await db.schema.createIndex('oidc_payloads_expires').on('oidc_payloads').column('expires_at').execute();

  await db.schema
    .createTable('browser_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('browser_sessions_expires').on('browser_sessions').column('expires_at').execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limits_pk', ['key', 'window_start'])
    .execute();
  await db.schema.createIndex('rate_limits_expires').on('rate_limits').column('expires_at').execute();

  await db.schema
    .createTable('instance_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createIndex('users_tenant_upn').on('users').columns(['tenant_id', 'upn_lower']).execute();
}
