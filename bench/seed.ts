/**
 * Seeds a benchmark database: one tenant, a client-credentials app (reads users, invites), and N members with realistic names.
 * Users are inserted in batches of 1,000 per statement; they share one precomputed password hash
 * (hashing 100,000 passwords would measure argon2, not the directory).
 */
import { type Insertable, sql } from 'kysely';
import { createApplication } from '../src/directory/applications.js';
import { hashPassword } from '../src/directory/passwords.js';
import { searchTokenRows } from '../src/directory/search-tokens.js';
import { createTenant } from '../src/directory/tenants.js';
import type { AppContext } from '../src/platform/context.js';
import { newId } from '../src/platform/ids.js';
import type { DirectorySearchTokensTable, UserIdentitiesTable, UsersTable } from '../src/platform/storage/schema.js';

const first = [
  'Ada',
  'Alan',
  'Anna',
  'Andrea',
  'Bengt',
  'Beatrice',
  'Carl',
  'Cecilia',
  'David',
  'Dana',
  'Erik',
  'Eva',
  'Frida',
  'Fatima',
  'Gustav',
  'Hanna',
  'Ivan',
  'Ingrid',
  'Johan',
  'Julia',
  'Karin',
  'Lars',
  'Maria',
  'Nils',
  'Olivia',
  'Per',
  'Rosa',
  'Sven',
  'Tove',
  'Ulf',
  'Vera',
  'Wei',
  'Yusuf',
  'Zoë',
];
const last = [
  'Andersson',
  'Berg',
  'Chen',
  'Dahl',
  'Ek',
  'Fors',
  'García',
  'Holm',
  'Ito',
  'Johansson',
  'Karlsson',
  'Lind',
  'Moreno',
  'Nyström',
  'Olsen',
  'Persson',
  'Quist',
  'Rossi',
  'Sandberg',
  'Tanaka',
  'Ulrich',
  'Virtanen',
  'Wallin',
  'Xu',
  'Young',
  'Zetterberg',
];

export interface Seeded {
  tenantId: string;
  appId: string;
  clientSecret: string;
}

export async function seed(ctx: AppContext, users: number, progress: (done: number) => void = () => {}): Promise<Seeded> {
  const { tenant } = await createTenant(ctx, {
    name: 'Bench Corp',
    domains: ['bench.example'],
    adminEmail: 'admin@bench.example',
    adminPassword: 'Bench-Passphrase-1',
  });
  const app = await createApplication(ctx, tenant.id, { displayName: 'Bench', applicationPermissions: ['User.Read.All', 'User.Invite.All'] });
  const hash = await hashPassword('Bench-Passphrase-1');
  const now = ctx.clock.now();
  const batch = 1000;
  for (let start = 0; start < users; start += batch) {
    const rows: Insertable<UsersTable>[] = [];
    const identities: Insertable<UserIdentitiesTable>[] = [];
    const words: DirectorySearchTokensTable[] = [];
    for (let i = start; i < Math.min(users, start + batch); i++) {
      const id = newId();
      const displayName = `${first[i % first.length]} ${last[Math.floor(i / first.length) % last.length]} ${i}`;
      const upn = `user${i}@bench.example`;
      rows.push({
        id,
        tenant_id: tenant.id,
        user_principal_name: upn,
        upn_lower: upn,
        mail: upn,
        mail_lower: upn,
        other_mails: '[]',
        business_phones: '[]',
        mail_nickname: `user${i}`,
        display_name: displayName,
        display_name_lower: displayName.toLowerCase(),
        given_name: null,
        surname: null,
        job_title: null,
        company_name: null,
        preferred_language: null,
        account_enabled: i % 10 === 0 ? 0 : 1,
        user_type: 'Member',
        creation_type: null,
        external_user_state: null,
        external_user_state_change_at: null,
        password_hash: hash,
        created_at: now + i,
        deleted_at: null,
      });
      words.push(...searchTokenRows(tenant.id, 'user', id, { displayName }));
      identities.push({
        user_id: id,
        tenant_id: tenant.id,
        sign_in_type: 'userPrincipalName',
        issuer: tenant.initialDomain,
        issuer_assigned_id: upn,
        created_at: now + i,
      });
    }
    await ctx.db.transaction(async (trx) => {
      await trx.insertInto('users').values(rows).execute();
      await trx.insertInto('user_identities').values(identities).execute();
      // The words `$search` reads, as the directory writes them for a user it creates.
      for (let w = 0; w < words.length; w += 2000)
        await trx
          .insertInto('directory_search_tokens')
          .values(words.slice(w, w + 2000))
          .execute();
    });
    progress(Math.min(users, start + batch));
  }
  // Fresh statistics, as a long-running database would have them; on PostgreSQL also the visibility map
  // autovacuum keeps, without which a count reads every row's heap page instead of the index alone.
  await sql`${sql.raw(ctx.db.dialect === 'postgres' ? 'vacuum analyze' : 'analyze')}`.execute(ctx.db.kysely);
  return { tenantId: tenant.id, appId: app.application.appId, clientSecret: app.clientSecret! };
}
