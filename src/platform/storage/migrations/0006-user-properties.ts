import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The common Graph user properties a directory keeps beyond names: the mail alias (`mailNickname`),
 * phones, office and organisation (`department`, `employeeId`, `employeeType`), the postal address and
 * `usageLocation`. All free text, absent (null) until set; `businessPhones` is a JSON array like
 * `other_mails`. Existing users get an empty phone list and a mail alias from their UPN's local part,
 * as Entra derives one for accounts created without it.
 *
 * One index: `employeeId eq '…'` is how HR provisioning finds a person, and it must not scan the tenant.
 * The other properties are filterable but rarely filtered on; they read the tenant's rows.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  for (const column of [
    'mail_nickname',
    'office_location',
    'mobile_phone',
    'department',
    'employee_id',
    'employee_type',
    'usage_location',
    'city',
    'country',
    'state',
    'street_address',
    'postal_code',
  ]) {
    await db.schema.alterTable('users').addColumn(column, 'text').execute();
  }
  await db.schema
    .alterTable('users')
    .addColumn('business_phones', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  // One statement, not a round trip per user: a UPN holds one '@' (Foyer's address parser refuses more).
  const local =
    dialect === 'postgres' ? sql`split_part(user_principal_name, '@', 1)` : sql`substr(user_principal_name, 1, instr(user_principal_name, '@') - 1)`;
  await sql`update users set mail_nickname = ${local}`.execute(db);
  await db.schema.createIndex('users_tenant_employee_id').on('users').columns(['tenant_id', 'employee_id']).execute();
}
