/**
 * The storage contract: every storage behaviour of the directory, run against SQLite and PostgreSQL.
 * A behaviour that differs between the two backends fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication, listClientSecrets, secretMatches } from '../../src/directory/applications.js';
import { addGroupMember, createGroup, listGroupMembers, removeGroupMember } from '../../src/directory/groups.js';
import { verifyPassword } from '../../src/directory/passwords.js';
import { assignRole, listRoleMembers, unassignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { createTenant, findTenant } from '../../src/directory/tenants.js';
import { listUsers, usersCollection } from '../../src/directory/user-list.js';
import { createMember, deleteUser, findUser, updateUser } from '../../src/directory/users.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { FoyerError } from '../../src/platform/errors/foyer-error.js';
import { parseCollectionQuery } from '../../src/platform/odata/query.js';
import { backends, freshContext } from '../support/backends.js';

async function refusal(promise: Promise<unknown>): Promise<FoyerError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FoyerError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe.each(backends)('directory storage on $name', (backend) => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  let tenantId: string;
  let adminId: string;

  beforeAll(async () => {
    ({ ctx, cleanup } = await freshContext(backend, clock));
    const created = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example', 'Contoso.Test'],
      adminEmail: 'admin@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    tenantId = created.tenant.id;
    adminId = created.admin.id;
  });
  afterAll(() => cleanup?.());

  const count = async (table: 'users' | 'tenants' | 'groups' | 'tenant_domains') =>
    Number(
      (
        await ctx.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('tenants', () => {
    it('is found by its id and by each of its domains, in any letter case', async () => {
      for (const key of [tenantId, tenantId.toUpperCase(), 'contoso.localhost', 'CONTOSO.example', 'contoso.test']) {
        expect((await findTenant(ctx.db.kysely, key))?.id).toBe(tenantId);
      }
      expect(await findTenant(ctx.db.kysely, 'fabrikam.example')).toBeUndefined();
      expect(await findTenant(ctx.db.kysely, "x' or '1'='1")).toBeUndefined();
    });

    it('starts with its first Global Administrator and a signing key', async () => {
      const admins = await listRoleMembers(ctx.db.kysely, tenantId, directoryRoles.globalAdministrator.id);
      expect(admins.map((u) => u.userPrincipalName)).toEqual(['admin@contoso.example']);
      const keys = await ctx.db.kysely.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).execute();
      expect(keys).toHaveLength(1);
    });

    it('gets the next free initial domain when the slug is taken', async () => {
      const second = await createTenant(ctx, { name: 'Contoso', adminEmail: 'root@elsewhere.example', adminPassword: 'Correct-Horse-9' });
      expect(second.tenant.initialDomain).toBe('contoso-2.localhost');
      expect(second.admin.userPrincipalName).toBe('root@contoso-2.localhost');
      expect(second.admin.mail).toBe('root@elsewhere.example');
    });

    it('refuses a domain another tenant already has, and creates nothing', async () => {
      const before = await Promise.all([count('tenants'), count('users'), count('tenant_domains')]);
      const err = await refusal(
        createTenant(ctx, { name: 'Copycat', domains: ['contoso.example'], adminEmail: 'a@copycat.example', adminPassword: 'Correct-Horse-9' }),
      );
      expect(err.code).toBe('tenant.domain_taken');
      expect(err.message).toBe("The domain 'contoso.example' already belongs to a tenant on this instance.");
      expect(await Promise.all([count('tenants'), count('users'), count('tenant_domains')])).toEqual(before);
    });

    it('refuses invalid domains and addresses with a message naming them', async () => {
      expect(
        (await refusal(createTenant(ctx, { name: 'X', domains: ['not a domain'], adminEmail: 'a@x.example', adminPassword: 'Correct-Horse-9' }))).message,
      ).toBe("'not a domain' is not a valid domain name.");
      expect((await refusal(createTenant(ctx, { name: 'X', adminEmail: 'nobody', adminPassword: 'Correct-Horse-9' }))).message).toBe(
        "'nobody' is not a valid e-mail address.",
      );
      expect((await refusal(createTenant(ctx, { name: 'X', adminEmail: 'a@x.example', adminPassword: 'short' }))).code).toBe('directory.password_too_short');
    });
  });

  describe('members', () => {
    it('stores an argon2id hash, never the password', async () => {
      const user = await createMember(ctx, tenantId, {
        userPrincipalName: 'hash.check@contoso.example',
        displayName: 'Hash Check',
        password: 'Secret-Passphrase-1',
      });
      const { password_hash: hash } = await ctx.db.kysely.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(hash).not.toContain('Secret-Passphrase-1');
      expect(await verifyPassword(hash!, 'Secret-Passphrase-1')).toBe(true);
      expect(await verifyPassword(hash!, 'secret-passphrase-1')).toBe(false);
    });

    it('refuses a UPN outside the verified domains, and a duplicate UPN in any letter case', async () => {
      const before = await count('users');
      const outside = await refusal(
        createMember(ctx, tenantId, { userPrincipalName: 'eve@evil.example', displayName: 'Eve', password: 'Secret-Passphrase-1' }),
      );
      expect(outside.code).toBe('directory.domain_not_verified');
      const duplicate = await refusal(
        createMember(ctx, tenantId, { userPrincipalName: 'ADMIN@contoso.example', displayName: 'Admin 2', password: 'Secret-Passphrase-1' }),
      );
      expect(duplicate.code).toBe('directory.conflict');
      expect(duplicate.message).toBe('Another object with the same value for property userPrincipalName already exists.');
      expect(await count('users')).toBe(before);
    });

    it('keeps one enabled Global Administrator: refuses to disable, delete or un-assign the last', async () => {
      expect((await refusal(updateUser(ctx, tenantId, adminId, { accountEnabled: false }))).code).toBe('directory.last_global_administrator');
      expect((await refusal(deleteUser(ctx, tenantId, adminId))).code).toBe('directory.last_global_administrator');
      expect((await refusal(unassignRole(ctx, tenantId, directoryRoles.globalAdministrator.id, adminId))).code).toBe('directory.last_global_administrator');
      expect((await findUser(ctx.db.kysely, tenantId, adminId))?.accountEnabled).toBe(true);

      const deputy = await createMember(ctx, tenantId, { userPrincipalName: 'deputy@contoso.example', displayName: 'Deputy', password: 'Secret-Passphrase-1' });
      await assignRole(ctx, tenantId, directoryRoles.globalAdministrator.id, deputy.id);
      await updateUser(ctx, tenantId, adminId, { accountEnabled: false });
      await updateUser(ctx, tenantId, adminId, { accountEnabled: true });
      await unassignRole(ctx, tenantId, directoryRoles.globalAdministrator.id, deputy.id);
    });

    it('renames a member: the UPN identity follows, and the old UPN no longer finds them', async () => {
      const user = await createMember(ctx, tenantId, {
        userPrincipalName: 'old.name@contoso.example',
        displayName: 'Renamed',
        password: 'Secret-Passphrase-1',
      });
      await updateUser(ctx, tenantId, user.id, { userPrincipalName: 'new.name@contoso.test' });
      expect(await findUser(ctx.db.kysely, tenantId, 'old.name@contoso.example')).toBeUndefined();
      expect((await findUser(ctx.db.kysely, tenantId, 'NEW.name@contoso.test'))?.id).toBe(user.id);
      const ids = await ctx.db.kysely.selectFrom('user_identities').select('issuer_assigned_id').where('user_id', '=', user.id).execute();
      expect(ids).toEqual([{ issuer_assigned_id: 'new.name@contoso.test' }]);
    });

    it('deletes a user with their group memberships', async () => {
      const user = await createMember(ctx, tenantId, { userPrincipalName: 'leaver@contoso.example', displayName: 'Leaver', password: 'Secret-Passphrase-1' });
      const group = await createGroup(ctx, tenantId, { displayName: 'Leavers', mailNickname: 'leavers' });
      await addGroupMember(ctx, tenantId, group.id, user.id);
      await deleteUser(ctx, tenantId, user.id);
      expect(await listGroupMembers(ctx.db.kysely, tenantId, group.id)).toEqual([]);
      expect(await findUser(ctx.db.kysely, tenantId, user.id)).toBeUndefined();
    });
  });

  describe('listing users with $filter, $orderby and paging', () => {
    let listTenant: string;
    const people = [
      ['Åsa Öberg', 'asa@fabrikam.example', true, ['asa.private@mail.example']],
      ['Ada Lovelace', 'ada@fabrikam.example', true, []],
      ['adam 100%_sure', 'adam@fabrikam.example', false, []],
      ['Bob', 'bob@fabrikam.example', true, ['Bob.Alias@Mail.example']],
      ['Zoë', 'zoe@fabrikam.example', true, []],
    ] as const;

    beforeAll(async () => {
      const t = await createTenant(ctx, {
        name: 'Fabrikam',
        domains: ['fabrikam.example'],
        adminEmail: 'admin@fabrikam.example',
        adminPassword: 'Correct-Horse-9',
      });
      listTenant = t.tenant.id;
      for (const [displayName, upn, enabled, otherMails] of people) {
        clock.advance(1000);
        const [givenName, surname] = displayName.split(' ');
        await createMember(ctx, listTenant, {
          userPrincipalName: upn,
          displayName,
          givenName: givenName ?? null,
          surname: surname ?? null,
          password: 'Secret-Passphrase-1',
          accountEnabled: enabled,
          otherMails: [...otherMails],
        });
      }
      // One without mail, to check null semantics.
      await updateUser(ctx, listTenant, 'zoe@fabrikam.example', { mail: null });
    });

    const names = async (query: Record<string, string>) => {
      const page = await listUsers(ctx.db.kysely, ctx.db.dialect, listTenant, parseCollectionQuery(query, usersCollection));
      return page.users.map((u) => u.displayName);
    };

    it.each([
      [{ $filter: "displayName eq 'BOB'" }, ['Bob']],
      [{ $filter: "startswith(displayName,'ad')" }, ['Ada Lovelace', 'adam 100%_sure', 'admin']],
      [{ $filter: "startswith(displayName,'åS')" }, ['Åsa Öberg']],
      [{ $filter: "givenName eq 'ÅSA'" }, ['Åsa Öberg']],
      [{ $filter: "startswith(surname,'öb')" }, ['Åsa Öberg']],
      [{ $filter: "id eq 'not-a-guid'" }, []],
      [{ $filter: "startswith(displayName,'adam 100%')" }, ['adam 100%_sure']],
      [{ $filter: "startswith(displayName,'a%')" }, []],
      [{ $filter: "startswith(displayName,'_')" }, []],
      [{ $filter: 'accountEnabled eq false' }, ['adam 100%_sure']],
      [{ $filter: 'mail eq null' }, ['Zoë']],
      [{ $filter: "mail ne 'bob@fabrikam.example' and userType eq 'Member' and not startswith(displayName,'a')" }, ['Åsa Öberg', 'Zoë']],
      [{ $filter: "mail ne 'bob@fabrikam.example'" }, ['Åsa Öberg', 'Ada Lovelace', 'adam 100%_sure', 'admin', 'Zoë']],
      [{ $filter: "userPrincipalName in ('ada@fabrikam.example','BOB@fabrikam.example')" }, ['Ada Lovelace', 'Bob']],
      [{ $filter: "endswith(userPrincipalName,'@FABRIKAM.example') and startswith(displayName,'b')" }, ['Bob']],
      [{ $filter: "otherMails/any(m:m eq 'bob.alias@mail.example')" }, ['Bob']],
      [{ $filter: "identities/any(i:i/issuer eq 'fabrikam.localhost' and i/issuerAssignedId eq 'zoe@fabrikam.example')" }, ['Zoë']],
      [{ $filter: `createdDateTime gt ${new Date(Date.UTC(2026, 10, 25, 12, 0, 3)).toISOString()}` }, ['Bob', 'Zoë']],
    ])('%j', async (query, expected) => {
      expect((await names(query)).sort()).toEqual([...expected].sort());
    });

    it('orders by display name and pages through every row exactly once, both directions', async () => {
      for (const direction of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let query: Record<string, string> = { $orderby: `displayName ${direction}`, $top: '2' };
        for (let i = 0; i < 10; i++) {
          const parsed = parseCollectionQuery(query, usersCollection);
          const page = await listUsers(ctx.db.kysely, ctx.db.dialect, listTenant, parsed);
          seen.push(...page.users.map((u) => u.displayName));
          if (!page.next) break;
          const { encodeSkipToken } = await import('../../src/platform/odata/query.js');
          query = { ...query, $skiptoken: encodeSkipToken(parsed.orderBy.property, page.next.value, page.next.id) };
        }
        const expected = ['Åsa Öberg', 'Ada Lovelace', 'adam 100%_sure', 'admin', 'Bob', 'Zoë'].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
        expect(seen).toHaveLength(6);
        expect(new Set(seen).size).toBe(6);
        expect([...seen].sort()).toEqual([...expected].sort());
        if (direction === 'asc') expect(seen.slice(0, 3)).toEqual(['Ada Lovelace', 'adam 100%_sure', 'admin']);
        else expect(seen.slice(-3)).toEqual(['admin', 'adam 100%_sure', 'Ada Lovelace']);
      }
    });

    it('finds a user by id whatever the letter case of the GUID', async () => {
      const { users } = await listUsers(
        ctx.db.kysely,
        ctx.db.dialect,
        listTenant,
        parseCollectionQuery({ $filter: "userPrincipalName eq 'bob@fabrikam.example'" }, usersCollection),
      );
      expect(await names({ $filter: `id eq '${users[0]!.id.toUpperCase()}'` })).toEqual(['Bob']);
    });

    it('counts the whole filtered set with $count', async () => {
      const page = await listUsers(
        ctx.db.kysely,
        ctx.db.dialect,
        listTenant,
        parseCollectionQuery({ $count: 'true', $top: '1', $filter: "userType eq 'Member'" }, usersCollection),
      );
      expect(page.users).toHaveLength(1);
      expect(page.count).toBe(6);
    });

    it('never shows another tenant’s users', async () => {
      expect(await names({ $filter: "userPrincipalName eq 'admin@contoso.example'" })).toEqual([]);
    });
  });

  describe('groups and roles', () => {
    it('adds, refuses a duplicate, and removes a member', async () => {
      const group = await createGroup(ctx, tenantId, { displayName: 'Partners', mailNickname: 'partners' });
      const user = await createMember(ctx, tenantId, {
        userPrincipalName: 'member.one@contoso.example',
        displayName: 'Member One',
        password: 'Secret-Passphrase-1',
      });
      await addGroupMember(ctx, tenantId, group.id, user.id);
      expect((await refusal(addGroupMember(ctx, tenantId, group.id, user.id))).code).toBe('directory.member_already_in_group');
      expect((await listGroupMembers(ctx.db.kysely, tenantId, group.id)).map((u) => u.id)).toEqual([user.id]);
      await removeGroupMember(ctx, tenantId, group.id, user.id);
      expect((await refusal(removeGroupMember(ctx, tenantId, group.id, user.id))).code).toBe('directory.not_found');
    });

    it('refuses a member from another tenant', async () => {
      const group = await createGroup(ctx, tenantId, { displayName: 'Closed', mailNickname: 'closed' });
      const other = await createTenant(ctx, { name: 'Northwind', adminEmail: 'admin@northwind.example', adminPassword: 'Correct-Horse-9' });
      expect((await refusal(addGroupMember(ctx, tenantId, group.id, other.admin.id))).code).toBe('directory.not_found');
    });
  });

  describe('applications', () => {
    it('keeps only a hash of the client secret and matches it in constant time', async () => {
      const created = await createApplication(ctx, tenantId, { displayName: 'Daemon', applicationPermissions: ['User.Read.All'] });
      const secrets = await listClientSecrets(ctx.db.kysely, created.application.id, clock.now());
      expect(secrets).toHaveLength(1);
      expect(secrets[0]!.hash).not.toBe(created.clientSecret);
      expect(secretMatches(created.clientSecret!, secrets, clock.now())).toBe(true);
      expect(secretMatches(`${created.clientSecret}x`, secrets, clock.now())).toBe(false);
      const row = await ctx.db.kysely.selectFrom('application_secrets').selectAll().executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(created.clientSecret);
    });

    it.each([
      [
        { displayName: 'Bad', redirectUris: ['http://app.example/cb'] },
        "Redirect URI 'http://app.example/cb' must use https (http is allowed only on localhost).",
      ],
      [{ displayName: 'Bad', redirectUris: ['https://app.example/cb#x'] }, "Redirect URI 'https://app.example/cb#x' must not contain a fragment."],
      [{ displayName: 'Bad', applicationPermissions: ['User.Everything'] }, "'User.Everything' is not a Graph permission Foyer knows."],
      [{ displayName: 'Bad', publicClient: true }, 'A public client signs people in, so it needs at least one redirect URI.'],
    ])('refuses %j', async (input, message) => {
      expect((await refusal(createApplication(ctx, tenantId, input))).message).toBe(message);
    });
  });
});
