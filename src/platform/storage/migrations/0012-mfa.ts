import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * MFA in the resource tenant:
 * - `authentication_methods`: a user's registered second factors, an authenticator app (Graph's
 *   `softwareOathMethod`: its secret sealed under an instance key, and the last 30-second step accepted so a
 *   code is taken once) or a passkey/security key (Graph's `fido2AuthenticationMethod`: the WebAuthn
 *   credential's id, public key, signature counter, transports, AAGUID and whether it is synced).
 * - `recovery_codes`: ten single-use codes per user, stored as SHA-256 hashes.
 * - `conditional_access_policies`: Graph's `conditionalAccessPolicy`, its conditions and controls as JSON.
 * - `cross_tenant_partners`: Graph's `crossTenantAccessPolicyConfigurationPartner` (inbound MFA trust).
 * - `sign_in_records`: each interactive sign-in's outcome and the Conditional Access policies that applied.
 * - `mfa_gates`: the web kit's cookie-backed store of a second-factor step in progress.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('authentication_methods')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    /** 'softwareOath' | 'fido2' */
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_last_step', 'bigint')
    .addColumn('credential_id', 'text')
    .addColumn('public_key', 'text')
    .addColumn('sign_count', 'bigint')
    .addColumn('transports', 'text')
    .addColumn('aaguid', 'text')
    .addColumn('backed_up', 'integer')
    .execute();
  await db.schema.createIndex('authentication_methods_user').on('authentication_methods').columns(['tenant_id', 'user_id', 'created_at']).execute();
  await db.schema.createIndex('authentication_methods_credential').on('authentication_methods').columns(['tenant_id', 'credential_id']).unique().execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('conditional_access_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    /** JSON: the policy's `conditions`, `grantControls` and `sessionControls`. */
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint')
    .execute();
  await db.schema.createIndex('conditional_access_policies_tenant').on('conditional_access_policies').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('cross_tenant_partners')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('partner_tenant_id', 'text', (c) => c.notNull())
    /** JSON: `inboundTrust` ({ isMfaAccepted }), or null when the partner inherits the default. */
    .addColumn('inbound_trust', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('cross_tenant_partners_pk', ['tenant_id', 'partner_tenant_id'])
    .execute();

  await db.schema
    .createTable('sign_in_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    /** 0 on success, else Entra's AADSTS number (50074: strong authentication required …). */
    .addColumn('error_code', 'integer', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    /** JSON: the methods used (amr). */
    .addColumn('amr', 'text', (c) => c.notNull())
    /** JSON: Graph's appliedConditionalAccessPolicies. */
    .addColumn('applied_policies', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_records_tenant').on('sign_in_records').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('mfa_gates')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_gates_expiry').on('mfa_gates').column('expires_at').execute();
}
