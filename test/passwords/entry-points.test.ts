/**
 * Every place a password is set applies the one password policy and says which rule failed: the CLI
 * (`tenant create` from FOYER_ADMIN_PASSWORD, `user create`), Graph's passwordProfile (create and
 * update), and the personal-account sign-up page (in English and Swedish). Nothing is created or
 * changed by a refused password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('the password policy at every entry point on $name', (backend) => {
  describe('the CLI', () => {
    const url = backend.freshUrl();
    const env = { FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080' };
    afterAll(() => backend.drop(url));

    const adminUsers = async () => {
      const db = openDatabase(url);
      try {
        return (await db.kysely.selectFrom('users').select('user_principal_name').execute()).map((u) => u.user_principal_name);
      } finally {
        await db.close();
      }
    };

    it('FOYER_ADMIN_PASSWORD=password creates no tenant and no Global Administrator, and says the password is too common', async () => {
      const out = io({ ...env, FOYER_ADMIN_PASSWORD: 'password' });
      const argv = ['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example'];
      expect(await runCli(argv, out)).toBe(1);
      expect(out.stdout).toEqual([]);
      expect(out.stderr.join('\n')).toContain('error: The password is one of the most commonly used passwords');
      const json = io({ ...env, FOYER_ADMIN_PASSWORD: 'password' });
      expect(await runCli([...argv, '--json'], json)).toBe(1);
      expect(JSON.parse(json.stderr.at(-1)!)).toMatchObject({ error: { code: 'directory.password_too_common' } });
      expect(await adminUsers()).toEqual([]);
    });

    it('`tenant create` and `user create` refuse a password holding the name, naming the rule, and create nothing', async () => {
      const admin = io({ ...env, FOYER_ADMIN_PASSWORD: 'Rosalind-Franklin-51' });
      const tenantArgv = ['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'rosalind@contoso.example'];
      expect(await runCli([...tenantArgv, '--admin-name', 'Rosalind Franklin'], admin)).toBe(1);
      expect(admin.stderr.join('\n')).toContain("error: The password must not contain the user's name or e-mail address.");
      expect(await adminUsers()).toEqual([]);

      const ok = io({ ...env, FOYER_ADMIN_PASSWORD: 'Quiet-Lantern-Orbit-7' });
      expect(await runCli(tenantArgv, ok)).toBe(0);
      const user = io({ ...env });
      const userArgv = ['user', 'create', '--tenant', 'contoso.example', '--upn', 'carol.danvers@contoso.example', '--display-name', 'Carol Danvers'];
      expect(await runCli([...userArgv, '--password', 'Danvers-Flies-2026', '--json'], user)).toBe(1);
      // (The CLI may warn first that --password is visible to other local users.)
      expect(JSON.parse(user.stderr.at(-1)!)).toEqual({
        error: { code: 'directory.password_contains_name', message: "The password must not contain the user's name or e-mail address." },
      });
      const short = io({ ...env });
      expect(await runCli([...userArgv, '--password', 'Sh0rt!'], short)).toBe(1);
      expect(short.stderr.join('\n')).toContain('error: The password must be at least 8 characters long.');
      expect(await adminUsers()).toEqual(['rosalind@contoso.example']);
    });
  });

  describe("Graph's passwordProfile", () => {
    let foyer: TestFoyer;
    let tenant: TestTenant;
    let token: string;
    beforeAll(async () => {
      foyer = await startTestFoyer({ backend });
      tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
      const app = await foyer.createApp(tenant.id, {
        displayName: 'provisioning',
        applicationPermissions: ['User.ReadWrite.All', 'User-PasswordProfile.ReadWrite.All'],
      });
      token = await appToken(foyer, tenant, app);
    });
    afterAll(() => foyer?.stop());

    const newUser = (password: string) => ({
      accountEnabled: true,
      displayName: 'Quinn Mallory',
      mailNickname: 'quinn',
      userPrincipalName: 'quinn.mallory@contoso.example',
      passwordProfile: { password },
    });

    it.each([
      ['a common password', 'Football1', 'directory.password_too_common', 'The password is one of the most commonly used passwords'],
      ['a password holding the surname', 'Mallory-Rocks-2026', 'directory.password_contains_name', "must not contain the user's name"],
      ['a short password', 'Sh0rt!', 'directory.password_too_short', 'at least 8 characters'],
      ['a password of 257 characters', `${'Qz'.repeat(128)}x`, 'directory.password_too_long', 'at most 256 characters'],
    ])('POST /users with %s: 400 naming the rule, and no user', async (_what, password, code, message) => {
      const res = await graph(foyer, token, 'POST', '/users', newUser(password));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'Request_BadRequest', innerError: { code } });
      expect(res.body.error.message).toContain(message);
      expect((await graph(foyer, token, 'GET', '/users/quinn.mallory@contoso.example')).status).toBe(404);
    });

    it('PATCH /users/{id} with a weak password: 400 naming the rule, and the user unchanged', async () => {
      const created = await graph(foyer, token, 'POST', '/users', newUser('Quiet-Lantern-Orbit-7'));
      expect(created.status).toBe(201);
      const patched = await graph(foyer, token, 'PATCH', `/users/${created.body.id}`, { jobTitle: 'Pilot', passwordProfile: { password: 'qwerty123' } });
      expect(patched.status).toBe(400);
      expect(patched.body.error.innerError.code).toBe('directory.password_too_common');
      // A new name in the same request counts: the password may not hold it either.
      const renamed = await graph(foyer, token, 'PATCH', `/users/${created.body.id}`, {
        surname: 'Hawthorne',
        passwordProfile: { password: 'Hawthorne-Lantern-9' },
      });
      expect(renamed.body.error.innerError.code).toBe('directory.password_contains_name');
      const read = await graph(foyer, token, 'GET', `/users/${created.body.id}?$select=jobTitle,surname`);
      expect(read.body).toMatchObject({ jobTitle: null, surname: null });
    });
  });

  describe('the personal-account sign-up page', () => {
    let w: GuestWorld;
    beforeAll(async () => {
      w = await startGuestWorld(backend);
      const changed = await graph(w.foyer, w.admin, 'PATCH', '/policies/crossTenantAccessPolicy/default', {
        invitationRedemptionIdentityProviderConfiguration: { fallbackIdentityProvider: 'microsoftAccount' },
      });
      expect(changed.status).toBe(204);
    });
    afterAll(() => w?.close());

    async function signUpForm(b: HttpBrowser, address: string): Promise<PageResponse> {
      const inv = await w.invite(address, { sendInvitationMessage: false });
      const step = await b.press(await b.go(inv.redeemUrl), b.language === 'sv-SE' ? 'Nästa' : 'Next');
      const before = w.smtp.messages.length;
      const sent = await b.press(step, b.language === 'sv-SE' ? 'Skicka kod' : 'Send code');
      return b.submit(sent, formWith(sent, 'code'), { code: await w.passcode(address, before) });
    }

    it('says which rule the password broke, in English and in Swedish, and creates no account', async () => {
      const en = new HttpBrowser();
      const form = await signUpForm(en, 'rosalind@mail.example');
      const common = await en.submit(form, formWith(form, 'name'), { name: 'Rosalind Franklin', password: 'sunshine1' });
      expect(common.status).toBe(400);
      expect(visibleText(common)).toContain('This password is one of the most commonly used ones');
      const named = await en.submit(form, formWith(form, 'name'), { name: 'Rosalind Franklin', password: 'Franklin-Labs-51' });
      expect(visibleText(named)).toContain('The password must not contain your name or your e-mail address.');
      const address = await en.submit(form, formWith(form, 'name'), { name: 'R F', password: 'x-ROSALIND-x' });
      expect(visibleText(address)).toContain('The password must not contain your name or your e-mail address.');

      const sv = new HttpBrowser();
      sv.language = 'sv-SE';
      const svForm = await signUpForm(sv, 'linnea@mail.example');
      const svCommon = await sv.submit(svForm, formWith(svForm, 'name'), { name: 'Linnea Berg', password: 'iloveyou1' });
      expect(svCommon.status).toBe(400);
      expect(visibleText(svCommon)).toContain('Lösenordet är ett av de vanligaste lösenorden');
      const svShort = await sv.submit(svForm, formWith(svForm, 'name'), { name: 'Linnea Berg', password: 'kort' });
      expect(visibleText(svShort)).toContain('Lösenordet måste vara minst 8 tecken långt.');

      const db = openDatabase(w.foyer.databaseUrl);
      try {
        expect(await db.kysely.selectFrom('personal_accounts').select('email').execute()).toEqual([]);
      } finally {
        await db.close();
      }
    });
  });
});
