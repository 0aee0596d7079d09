import type { Kysely } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Redemption and guest sign-in: the instance's personal accounts (its consumer directory), the external
 * OpenID providers a tenant trusts for some domains, the guest flows in progress (server-side state
 * behind a cookie), and one-time passcodes (stored as hashes, with their attempt count).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema
    .createTable('personal_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_lower', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('identity_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    // Sealed (AES-256-GCM under an instance key): Foyer must present it to the provider.
    .addColumn('client_secret', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    /** JSON array of lower-case domains this provider is the home of. */
    .addColumn('domains', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('identity_providers_tenant').on('identity_providers').column('tenant_id').execute();

  await db.schema
    .createTable('guest_flows')
    // SHA-256 of the random id in the flow cookie.
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('guest_flows_expiry').on('guest_flows').column('expires_at').execute();

  await db.schema
    .createTable('passcodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('flow_id_hash', 'text', (c) => c.notNull())
    .addColumn('address_lower', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('passcodes_flow').on('passcodes').columns(['flow_id_hash', 'created_at']).execute();
}
