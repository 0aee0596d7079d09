/**
 * The sign-in log through real clients: people sign in on the tenant's pages (scripted over HTTP, the
 * relying party an openid-client app), apps get tokens with client credentials, and an administrator's
 * script reads `GET /auditLogs/signIns` and users' `signInActivity` with fetch. Also the batched writer
 * (nothing written before its flush, everything on shutdown), the retention purge with a manual clock,
 * and `foyer guests inactive`.
 */

import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { assignRole } from '../../src/directory/role-assignments.js';
import { directoryRoles } from '../../src/directory/roles.js';
import { listSignInRecords } from '../../src/directory/sign-in-list.js';
import { flushSignInLog, logSignIn, queuedSignIns, setSignInLogCap } from '../../src/directory/sign-in-log.js';
import { requireTenant } from '../../src/directory/tenants.js';
import { createMember, findUser, updateUser } from '../../src/directory/users.js';
import { installFeatures } from '../../src/features.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { createContext } from '../../src/platform/context.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { purgeExpired } from '../../src/server.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { EMPTY_CONFIG } from '../support/config-file.js';
import type { TestTenant } from '../support/foyer.js';
import { startTestFoyer } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, visibleText } from '../support/http-browser.js';
import { TEST_MASTER_KEY } from '../support/master-key.js';
import { startTenantApp } from '../support/relying-party.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const DAY = 86_400_000;
/** Graph writes a user's times to the second. */
const secondOf = (t: string | number) => Math.floor((typeof t === 'string' ? Date.parse(t) : t) / 1000);

describe.each(backends)('the sign-in log on $name', (backend) => {
  let w: GuestWorld;
  let fabrikam: TestTenant;
  let alice: string;
  let reader: string;
  const clock = new ManualClock(Date.now());
  const atApp = (u: string) => u.startsWith(`${w.portal.url}/callback`);

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    alice = (await createMember(w.foyer.ctx, w.contoso.id, { userPrincipalName: 'alice@contoso.example', displayName: 'Alice', password: 'Orchard-Signal-55' }))
      .id;
    // A script that may read users but not the sign-in log.
    reader = await appToken(w.foyer, w.contoso, await w.foyer.createApp(w.contoso.id, { displayName: 'Reader', applicationPermissions: ['User.Read.All'] }));
  });
  afterAll(() => w?.close());

  /** Alice (or whoever) at the portal's sign-in: the address, then a password; returns the last page. */
  async function signIn(email: string, password: string) {
    const b = new HttpBrowser();
    const start = await b.go(`${w.portal.url}/login`);
    const pw = await b.submit(start, formWith(start, 'email'), { email });
    return b.submit(pw, formWith(pw, 'password'), { password }, atApp);
  }
  const log = async (query: string, token = w.admin) => graph(w.foyer, token, 'GET', `/auditLogs/signIns${query}`);

  it("logs a member's wrong password, an unknown name and a success, newest first, filterable", async () => {
    const t0 = clock.now();
    const wrong = await signIn('alice@contoso.example', 'not-her-password');
    expect(visibleText(wrong)).toContain('incorrect');
    clock.advance(60_000);
    // A name nobody has gets the very same page: the log knows, the person at the page does not.
    const nobody = await signIn('nobody@contoso.example', 'whatever-1');
    expect(visibleText(nobody)).toBe(visibleText(wrong).replace(/\S+@contoso\.example/g, 'nobody@contoso.example'));
    clock.advance(10 * 60_000);
    const t1 = clock.now();
    expect(atApp((await signIn('alice@contoso.example', 'Orchard-Signal-55')).url)).toBe(true);
    await flushSignInLog(w.foyer.ctx);

    const mine = await log(`?$filter=userId eq '${alice}'`);
    expect(mine.status).toBe(200);
    expect(mine.body.value.map((e: { status: { errorCode: number } }) => e.status.errorCode)).toEqual([0, 50126]);
    const [success, failure] = mine.body.value;
    expect(success).toMatchObject({
      userId: alice,
      userDisplayName: 'Alice',
      userPrincipalName: 'alice@contoso.example',
      userType: 'member',
      appDisplayName: 'Contoso portal',
      clientAppUsed: 'Browser',
      isInteractive: true,
      homeTenantId: w.contoso.id,
      resourceTenantId: w.contoso.id,
      crossTenantAccessType: 'none',
      status: { errorCode: 0, failureReason: null },
      createdDateTime: new Date(t1).toISOString(),
    });
    expect(success.ipAddress).toMatch(/127\.0\.0\.1|::1/);
    expect(success.appId).toMatch(/^[0-9a-f-]{36}$/);
    expect(failure.status.failureReason).toBe('Error validating credentials due to invalid username or password.');

    // The unknown name: no user, the name as typed.
    const unknown = await log(`?$filter=status/errorCode eq 50034`);
    expect(unknown.body.value).toHaveLength(1);
    expect(unknown.body.value[0]).toMatchObject({ userId: '', userPrincipalName: 'nobody@contoso.example', userType: null });

    // By time: the success alone is after t0 + 5 minutes; all three are at or after t0.
    const after = await log(`?$filter=createdDateTime ge ${new Date(t0 + 5 * 60_000).toISOString()} and appId eq '${success.appId}'`);
    expect(after.body.value.map((e: { id: string }) => e.id)).toEqual([success.id]);
    const since = await log(`?$filter=createdDateTime ge ${new Date(t0).toISOString()} and createdDateTime lt ${new Date(t1 + 1).toISOString()}`);
    expect(since.body.value.length).toBeGreaterThanOrEqual(3);
    const byName = await log(`?$filter=userPrincipalName eq 'ALICE@contoso.example' and status/errorCode ne 0`);
    expect(byName.body.value.map((e: { id: string }) => e.id)).toEqual([failure.id]);

    // One entry by id; paging with $top and @odata.nextLink.
    const one = await log(`/${failure.id}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(failure.id);
    expect((await log('/01900000-0000-7000-8000-000000000000')).status).toBe(404);
    const first = await log(`?$filter=userId eq '${alice}'&$top=1`);
    expect(first.body.value.map((e: { id: string }) => e.id)).toEqual([success.id]);
    const next = await fetch(first.body['@odata.nextLink'], { headers: { authorization: `Bearer ${w.admin}` } });
    expect(((await next.json()) as { value: Array<{ id: string }> }).value.map((e) => e.id)).toEqual([failure.id]);

    // A malformed filter is the client's error; a script without AuditLog.Read.All is refused.
    expect((await log(`?$filter=status/errorCode eq 'x'`)).status).toBe(400);
    const location = await log('?$select=id,location');
    expect(location.status).toBe(400);
    expect(location.body.error.message).toBe("Property 'location' of type 'microsoft.graph.signIn' is not supported by Foyer.");
    expect((await log('', reader)).status).toBe(403);
  });

  it("keeps the user's signInActivity: selectable, filterable and orderable for readers of the log only", async () => {
    const before = clock.now();
    clock.advance(60_000);
    await signIn('alice@contoso.example', 'wrong-again-1');
    await flushSignInLog(w.foyer.ctx);
    const activity = await graph(w.foyer, w.admin, 'GET', `/users/${alice}?$select=displayName,signInActivity`);
    expect(activity.status).toBe(200);
    // The last attempt failed: lastSignInDateTime moved, the last success did not.
    expect(secondOf(activity.body.signInActivity.lastSignInDateTime)).toBe(secondOf(clock.now()));
    expect(Date.parse(activity.body.signInActivity.lastSuccessfulSignInDateTime)).toBeLessThan(before + 1);
    // Not in the default set, as in Graph.
    expect((await graph(w.foyer, w.admin, 'GET', `/users/${alice}`)).body).not.toHaveProperty('signInActivity');

    const recent = await graph(w.foyer, w.admin, 'GET', `/users?$filter=signInActivity/lastSignInDateTime ge ${new Date(before).toISOString()}&$select=id`);
    expect(recent.status).toBe(200);
    expect(recent.body.value.map((u: { id: string }) => u.id)).toEqual([alice]);
    const never = await graph(w.foyer, w.admin, 'GET', `/users?$filter=signInActivity/lastSuccessfulSignInDateTime eq null&$select=id,userPrincipalName`);
    expect(never.body.value.map((u: { id: string }) => u.id)).not.toContain(alice);
    expect(never.body.value.length).toBeGreaterThan(0);
    const ordered = await graph(w.foyer, w.admin, 'GET', '/users?$orderby=signInActivity/lastSignInDateTime desc&$select=id,signInActivity&$top=1');
    expect(ordered.status).toBe(200);
    expect(ordered.body.value[0].id).toBe(alice);
    // The next page continues after Alice, with the users never signed in.
    const rest = await fetch(ordered.body['@odata.nextLink'], { headers: { authorization: `Bearer ${w.admin}` } });
    const restBody = (await rest.json()) as { value: Array<{ id: string; signInActivity: { lastSignInDateTime: string | null } }> };
    expect(restBody.value.map((u) => u.id)).not.toContain(alice);

    // Without AuditLog.Read.All: the users, but not their sign-in activity.
    expect((await graph(w.foyer, reader, 'GET', `/users/${alice}?$select=signInActivity`)).status).toBe(403);
    expect((await graph(w.foyer, reader, 'GET', `/users?$filter=signInActivity/lastSignInDateTime le ${new Date().toISOString()}`)).status).toBe(403);
    expect((await graph(w.foyer, reader, 'GET', `/users/${alice}?$select=displayName`)).status).toBe(200);
  });

  it("logs a guest's sign-in as b2bCollaboration with the home tenant, and an app's own token as non-interactive", async () => {
    const bob = await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'bob@fabrikam.example', displayName: 'Bob', password: 'Meadow-Lantern-73' });
    const inv = await w.invite('bob@fabrikam.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const pw = await b.press(await b.go(inv.redeemUrl), 'Next');
    const consent = await b.submit(pw, formWith(pw, 'password'), { password: 'Meadow-Lantern-73' });
    await b.press(consent, 'Accept', {}, (u) => u.startsWith(w.portal.url));
    // Signing in again later, at the app, through the tenant's page: single sign-on with his home account.
    clock.advance(60_000);
    expect(atApp((await b.go(`${w.portal.url}/login`, {}, atApp)).url)).toBe(true);

    const script = await w.foyer.createApp(w.contoso.id, { displayName: 'Nightly job', applicationPermissions: ['User.Read.All'] });
    await appToken(w.foyer, w.contoso, script);
    const refused = await fetch(`${w.foyer.url}/${w.contoso.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: script.appId, client_secret: 'wrong', scope: `${w.foyer.url}/graph/.default` }),
    });
    expect(refused.status).toBe(401);
    await flushSignInLog(w.foyer.ctx);

    const guest = await log(`?$filter=userType eq 'guest'`);
    expect(guest.body.value.length).toBeGreaterThanOrEqual(2);
    expect(guest.body.value[0]).toMatchObject({
      userId: inv.guestId,
      userPrincipalName: expect.stringContaining('#EXT#'),
      crossTenantAccessType: 'b2bCollaboration',
      homeTenantId: fabrikam.id,
      resourceTenantId: w.contoso.id,
      status: { errorCode: 0 },
    });
    // The inactive-guests queries of docs/api.md: signed in before a date, and never signed in.
    const soon = new Date(clock.now() + 1000).toISOString();
    const signedInBefore = await graph(
      w.foyer,
      w.admin,
      'GET',
      `/users?$filter=userType eq 'Guest' and signInActivity/lastSuccessfulSignInDateTime le ${soon}&$select=id,signInActivity`,
    );
    expect(signedInBefore.body.value.map((u: { id: string }) => u.id)).toEqual([inv.guestId]);
    const neverSince = await graph(
      w.foyer,
      w.admin,
      'GET',
      `/users?$filter=userType eq 'Guest' and signInActivity/lastSuccessfulSignInDateTime eq null and createdDateTime le ${soon}&$select=id`,
    );
    expect(neverSince.status).toBe(200);
    expect(neverSince.body.value.map((u: { id: string }) => u.id)).not.toContain(inv.guestId);
    // Fabrikam's own log has Bob's home sign-in, for Contoso.
    const fabrikamAuditor = await appToken(
      w.foyer,
      fabrikam,
      await w.foyer.createApp(fabrikam.id, { displayName: 'Auditor', applicationPermissions: ['AuditLog.Read.All'] }),
    );
    const home = await graph(w.foyer, fabrikamAuditor, 'GET', `/auditLogs/signIns?$filter=userId eq '${bob.id}'`);
    expect(home.body.value[0]).toMatchObject({
      userPrincipalName: 'bob@fabrikam.example',
      userType: 'member',
      homeTenantId: fabrikam.id,
      resourceTenantId: w.contoso.id,
      crossTenantAccessType: 'b2bCollaboration',
      status: { errorCode: 0 },
    });
    const guestActivity = await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=signInActivity`);
    expect(secondOf(guestActivity.body.signInActivity.lastSuccessfulSignInDateTime)).toBe(secondOf(clock.now()));

    const apps = await log(`?$filter=isInteractive eq false and appId eq '${script.appId}'`);
    expect(apps.body.value.map((e: { status: { errorCode: number } }) => e.status.errorCode)).toEqual([7000215, 0]);
    expect(apps.body.value[1]).toMatchObject({
      userId: '',
      appDisplayName: 'Nightly job',
      clientAppUsed: 'Mobile Apps and Desktop clients',
      isInteractive: false,
    });
  });

  it('logs the interruption when Conditional Access asks for a second factor (50074), with the policy', async () => {
    const carol = await createMember(w.foyer.ctx, w.contoso.id, {
      userPrincipalName: 'carol@contoso.example',
      displayName: 'Carol',
      password: 'Orchard-Signal-55',
    });
    const policies = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(w.contoso.id, { displayName: 'CA admin', applicationPermissions: ['Policy.ReadWrite.ConditionalAccess', 'Policy.Read.All'] }),
    );
    const created = await graph(w.foyer, policies, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Carol needs MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: [carol.id] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'] },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(created.status).toBe(201);
    // Carol has an authenticator app: the challenge comes, and she types a wrong code.
    const secret = newTotpSecret();
    const added = await addTotpMethod(w.foyer.ctx, {
      tenantId: w.contoso.id,
      userId: carol.id,
      secret,
      code: totpCodeAt(secret, clock.now()),
      displayName: 'Phone',
    });
    expect(added.ok).toBe(true);
    const b = new HttpBrowser();
    const start = await b.go(`${w.portal.url}/login`);
    const pw = await b.submit(start, formWith(start, 'email'), { email: 'carol@contoso.example' });
    const challenge = await b.submit(pw, formWith(pw, 'password'), { password: 'Orchard-Signal-55' }, atApp);
    expect(atApp(challenge.url)).toBe(false);
    const wrong = await b.submit(challenge, formWith(challenge, 'code'), { code: '000000' }, atApp);
    expect(atApp(wrong.url)).toBe(false);
    await flushSignInLog(w.foyer.ctx);
    const [failed, interrupted] = (await log(`?$filter=userId eq '${carol.id}'`)).body.value;
    expect(interrupted).toMatchObject({
      status: { errorCode: 50074, failureReason: 'Strong Authentication is required.' },
      userPrincipalName: 'carol@contoso.example',
    });
    expect(interrupted.appliedConditionalAccessPolicies.map((p: { id: string }) => p.id)).toContain(created.body.id);
    expect(failed).toMatchObject({ status: { errorCode: 500121 }, appDisplayName: 'Contoso portal' });

    // The right code: the sign-in succeeds under the MFA policy, so its conditionalAccessStatus is success;
    // Alice, whom no policy names, signs in with conditionalAccessStatus notApplied.
    clock.advance(60_000);
    const done = await b.submit(wrong, formWith(wrong, 'code'), { code: totpCodeAt(secret, clock.now()) }, atApp);
    expect(atApp(done.url)).toBe(true);
    clock.advance(1_000);
    expect(atApp((await signIn('alice@contoso.example', 'Orchard-Signal-55')).url)).toBe(true);
    await flushSignInLog(w.foyer.ctx);
    const [succeeded] = (await log(`?$filter=userId eq '${carol.id}' and status/errorCode eq 0`)).body.value;
    expect(succeeded.appliedConditionalAccessPolicies.find((p: { id: string }) => p.id === created.body.id)?.result).toBe('success');
    expect(succeeded.conditionalAccessStatus).toBe('success');
    const [plain] = (await log(`?$filter=userId eq '${alice}' and status/errorCode eq 0&$select=id,conditionalAccessStatus`)).body.value;
    expect(plain).toEqual({ id: expect.any(String), conditionalAccessStatus: 'notApplied' });
    const one = await log(`/${succeeded.id}?$select=conditionalAccessStatus`);
    expect(one.body).toMatchObject({ conditionalAccessStatus: 'success' });
    expect(one.body).not.toHaveProperty('status');
  });

  it('logs nothing for a client id no app of the tenant has (anyone could send one)', async () => {
    await flushSignInLog(w.foyer.ctx);
    const before = (await listSignInRecords(w.foyer.ctx.db.kysely, w.contoso.id)).length;
    const unknown = await fetch(`${w.foyer.url}/${w.contoso.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'made-up-by-anyone',
        client_secret: 'x',
        scope: `${w.foyer.url}/graph/.default`,
      }),
    });
    expect(unknown.status).toBe(401);
    await flushSignInLog(w.foyer.ctx);
    expect((await listSignInRecords(w.foyer.ctx.db.kysely, w.contoso.id)).length).toBe(before);
    expect((await log(`?$filter=appId eq 'made-up-by-anyone'`)).body.value).toEqual([]);
  });

  it('refuses what it cannot answer with 400: an Int32 out of range, $count; userId eq an empty string lists the entries without a user', async () => {
    const tooBig = await log('?$filter=status/errorCode eq 2147483648');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.message).toContain('out of range');
    expect((await log('?$filter=status/errorCode eq -2147483649')).status).toBe(400);
    expect((await log('?$filter=status/errorCode eq 99999999999999999999')).status).toBe(400);
    expect((await log('?$filter=status/errorCode eq 2147483647')).status).toBe(200);
    expect((await log('?$filter=status/errorCode ne -2147483648')).status).toBe(200);
    const counted = await log('?$count=true');
    expect(counted.status).toBe(400);
    expect(counted.body.error.message).toBe("Query option '$count' is not supported on auditLogs/signIns.");

    const none = await log(`?$filter=userId eq ''`);
    expect(none.status).toBe(200);
    expect(none.body.value.length).toBeGreaterThan(0);
    expect(none.body.value.every((e: { userId: string }) => e.userId === '')).toBe(true);
    const some = await log(`?$filter=userId ne ''`);
    expect(some.body.value.length).toBeGreaterThan(0);
    expect(some.body.value.every((e: { userId: string }) => e.userId !== '')).toBe(true);
  });

  it('lets Reports Reader, Security Reader and Global Reader read the log, and not a User Administrator', async () => {
    const redirect = 'http://localhost:3997/callback';
    const console = await w.foyer.createApp(w.contoso.id, {
      displayName: 'Report console',
      redirectUris: [redirect],
      delegatedPermissions: ['AuditLog.Read.All'],
    });
    const cases = [
      ['reports', directoryRoles.reportsReader.id, 200],
      ['security', directoryRoles.securityReader.id, 200],
      ['global', directoryRoles.globalReader.id, 200],
      ['useradmin', directoryRoles.userAdministrator.id, 403],
    ] as const;
    for (const [name, role, status] of cases) {
      const email = `${name}@contoso.example`;
      const user = await createMember(w.foyer.ctx, w.contoso.id, { userPrincipalName: email, displayName: name, password: 'Reader-Passphrase-8' });
      await assignRole(w.foyer.ctx, w.contoso.id, role, user.id);
      const token = (await delegatedTokens(w.foyer, w.contoso, console, redirect, { email, password: 'Reader-Passphrase-8' }, 'openid AuditLog.Read.All'))
        .access_token;
      expect((await log('?$top=1', token)).status, name).toBe(status);
    }
  });

  it("logs a guest refused at an app requiring assignment (50105), and moves the guest's last sign-in but not the last success", async () => {
    await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'erin@fabrikam.example', displayName: 'Erin', password: 'Harbor-Quill-64' });
    const inv = await w.invite('erin@fabrikam.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const pw = await b.press(await b.go(inv.redeemUrl), 'Next');
    const consent = await b.submit(pw, formWith(pw, 'password'), { password: 'Harbor-Quill-64' });
    await b.press(consent, 'Accept', {}, (u) => u.startsWith(w.portal.url));
    await flushSignInLog(w.foyer.ctx);
    const succeededAt = clock.now();
    const first = await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=signInActivity`);
    expect(secondOf(first.body.signInActivity.lastSuccessfulSignInDateTime)).toBe(secondOf(succeededAt));
    expect(secondOf(first.body.signInActivity.lastSignInDateTime)).toBe(secondOf(succeededAt));

    // An app only assigned people may use; Erin is not assigned.
    const restricted = await startTenantApp(w.foyer, w.contoso, 'Restricted portal');
    try {
      const apps = await appToken(
        w.foyer,
        w.contoso,
        await w.foyer.createApp(w.contoso.id, { displayName: 'App admin', applicationPermissions: ['Application.ReadWrite.All'] }),
      );
      const sp = (await graph(w.foyer, apps, 'GET', `/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'Restricted portal'")}`)).body.value[0];
      expect((await graph(w.foyer, apps, 'PATCH', `/servicePrincipals/${sp.id}`, { appRoleAssignmentRequired: true })).status).toBe(204);
      clock.advance(60_000);
      const refused = await b.go(`${restricted.url}/login`, {}, (u) => u.startsWith(restricted.url));
      expect(visibleText(refused)).toContain('AADSTS50105');
      await flushSignInLog(w.foyer.ctx);

      const [entry] = (await log(`?$filter=userId eq '${inv.guestId}' and status/errorCode eq 50105`)).body.value;
      expect(entry).toMatchObject({
        userId: inv.guestId,
        userType: 'guest',
        crossTenantAccessType: 'b2bCollaboration',
        appId: sp.appId,
        appDisplayName: 'Restricted portal',
        status: { errorCode: 50105, failureReason: 'The signed in user is not assigned to a role for the application.' },
      });
      const after = await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=signInActivity`);
      expect(secondOf(after.body.signInActivity.lastSignInDateTime)).toBe(secondOf(clock.now()));
      expect(secondOf(after.body.signInActivity.lastSuccessfulSignInDateTime)).toBe(secondOf(succeededAt));
    } finally {
      await restricted.close();
    }
  });

  it('keeps at most its cap of entries waiting, dropping the rest with one warning', async () => {
    const ctx = w.foyer.ctx;
    await flushSignInLog(ctx);
    setSignInLogCap(ctx, 3);
    try {
      const warnings: unknown[] = [];
      const warn = ctx.log.warn.bind(ctx.log);
      ctx.log.warn = ((obj: unknown, ...rest: unknown[]) => {
        warnings.push(obj);
        return (warn as (...a: unknown[]) => void)(obj, ...rest);
      }) as typeof ctx.log.warn;
      try {
        const before = (await listSignInRecords(ctx.db.kysely, w.contoso.id, alice)).length;
        for (let i = 0; i < 5; i++) logSignIn(ctx, { tenantId: w.contoso.id, userId: alice, appId: null, errorCode: 50126 });
        expect(queuedSignIns(ctx)).toBe(3);
        await flushSignInLog(ctx);
        expect((await listSignInRecords(ctx.db.kysely, w.contoso.id, alice)).length).toBe(before + 3);
        expect(warnings).toContainEqual({ dropped: 2, cap: 3 });
      } finally {
        ctx.log.warn = warn;
      }
    } finally {
      setSignInLogCap(ctx, 10_000);
    }
  });

  it('writes in batches: nothing before the flush, everything once flushed, and what is left on shutdown', async () => {
    const ctx = w.foyer.ctx;
    await flushSignInLog(ctx);
    const at = clock.now();
    logSignIn(ctx, { tenantId: w.contoso.id, userId: alice, appId: null, errorCode: 50074 });
    expect(queuedSignIns(ctx)).toBe(1);
    expect((await listSignInRecords(ctx.db.kysely, w.contoso.id, alice)).some((e) => e.errorCode === 50074)).toBe(false);
    await flushSignInLog(ctx);
    expect(queuedSignIns(ctx)).toBe(0);
    const [written] = await listSignInRecords(ctx.db.kysely, w.contoso.id, alice);
    expect(written).toMatchObject({ errorCode: 50074, failureReason: 'Strong Authentication is required.', createdAt: at, userDisplayName: 'Alice' });

    // A second process on the same database that would flush only after an hour: its stop writes the queue.
    const other = await startTestFoyer({ backend, databaseUrl: w.foyer.databaseUrl, config: { signInLogFlushMs: 3_600_000 } });
    logSignIn(other.ctx, { tenantId: w.contoso.id, userId: alice, appId: null, errorCode: 50053, at: at + 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await listSignInRecords(ctx.db.kysely, w.contoso.id, alice))[0]!.errorCode).not.toBe(50053);
    await other.stop();
    expect((await listSignInRecords(ctx.db.kysely, w.contoso.id, alice))[0]!.errorCode).toBe(50053);

    // A request still running when the stop begins: its entry is written too, before the database closes.
    const third = await startTestFoyer({ backend, databaseUrl: w.foyer.databaseUrl, config: { signInLogFlushMs: 3_600_000 } });
    const script = await w.foyer.createApp(w.contoso.id, { displayName: 'Late job', applicationPermissions: ['User.Read.All'] });
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: script.appId,
      client_secret: 'wrong',
      scope: `${third.url}/graph/.default`,
    }).toString();
    const req = request(`${third.url}/${w.contoso.id}/oauth2/v2.0/token`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
    });
    const answered = new Promise<number | undefined>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
    });
    req.write(form.slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    const stopping = third.stop();
    await new Promise((r) => setTimeout(r, 100));
    req.end(form.slice(10));
    expect(await answered).toBe(401);
    await stopping;
    const late = await listSignInRecords(ctx.db.kysely, w.contoso.id);
    expect(late.filter((e) => e.appId === script.appId).map((e) => e.errorCode)).toEqual([7000215]);
  });

  it('purges entries older than the retention (30 days)', async () => {
    const count = async () => (await listSignInRecords(w.foyer.ctx.db.kysely, w.contoso.id)).length;
    logSignIn(w.foyer.ctx, { tenantId: w.contoso.id, userId: alice, appId: null, errorCode: 0 });
    await flushSignInLog(w.foyer.ctx);
    expect(await count()).toBeGreaterThan(0);
    clock.advance(29 * DAY);
    await purgeExpired(w.foyer.ctx);
    expect(await count()).toBeGreaterThan(0);
    clock.advance(2 * DAY);
    await purgeExpired(w.foyer.ctx);
    expect(await count()).toBe(0);
    // signInActivity outlives the log.
    expect((await findUser(w.foyer.ctx.db.kysely, w.contoso.id, alice))?.lastSignInDateTime).not.toBeNull();
  });
});

describe.each(backends)('foyer guests inactive on $name', (backend) => {
  it('lists guests without a successful sign-in in N days (never signed in: by creation), with their last sign-in', async () => {
    const url = backend.freshUrl();
    const env = { FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080' };
    const now = Date.now();
    const clock = new ManualClock(now - 120 * DAY);
    // The operator's database, made as the README says; then this test's context on it, 120 days ago.
    expect(
      await runCli(
        ['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example'],
        io({ ...env, FOYER_ADMIN_PASSWORD: 'Correct-Horse-9' }),
      ),
    ).toBe(0);
    const config = loadConfig({
      FOYER_CONFIG: EMPTY_CONFIG,
      FOYER_PUBLIC_URL: 'http://localhost:8080',
      FOYER_LOG_LEVEL: 'silent',
      FOYER_MASTER_KEY: TEST_MASTER_KEY,
    });
    const db = openDatabase(url);
    const ctx = createContext({ config, db, clock, log: pino({ level: 'silent' }) });
    installFeatures(ctx);
    try {
      const tenant = await requireTenant(db.kysely, 'contoso.example');
      const guest = async (local: string) => {
        const u = await createMember(ctx, tenant.id, {
          userPrincipalName: `${local}@contoso.example`,
          displayName: local,
          password: 'Long-Enough-Passphrase-1',
        });
        await updateUser(ctx, tenant.id, u.id, { userType: 'Guest' });
        return u.id;
      };
      const [stale, never, active] = [await guest('stale'), await guest('never'), await guest('active')];
      // 120 days ago: stale signed in; 20 days ago: active did, and stale failed a password (not a success).
      logSignIn(ctx, { tenantId: tenant.id, userId: stale, appId: null, errorCode: 0 });
      await flushSignInLog(ctx);
      clock.set(now - 20 * DAY);
      logSignIn(ctx, { tenantId: tenant.id, userId: active, appId: null, errorCode: 0 });
      logSignIn(ctx, { tenantId: tenant.id, userId: stale, appId: null, errorCode: 50126 });
      await flushSignInLog(ctx);

      const out = io(env);
      expect(await runCli(['guests', 'inactive', '--tenant', 'contoso.example', '--days', '90', '--json'], out)).toBe(0);
      const listed = JSON.parse(out.stdout.join('')) as Array<{
        id: string;
        signInActivity: { lastSignInDateTime: string | null; lastSuccessfulSignInDateTime: string | null };
      }>;
      expect(listed.map((g) => g.id)).toEqual([stale, never]);
      expect(listed[0]!.signInActivity).toEqual({
        lastSignInDateTime: new Date(now - 20 * DAY).toISOString(),
        lastSuccessfulSignInDateTime: new Date(now - 120 * DAY).toISOString(),
      });
      expect(listed[1]!.signInActivity.lastSuccessfulSignInDateTime).toBeNull();

      const human = io(env);
      expect(await runCli(['guests', 'inactive', '--tenant', 'contoso.example', '--days', '10'], human)).toBe(0);
      expect(human.stdout.join('\n')).toContain('3 guests without a successful sign-in in 10 days');
      expect(human.stdout.join('\n')).toContain('never (created');
      const bad = io(env);
      expect(await runCli(['guests', 'inactive', '--tenant', 'contoso.example', '--days', 'soon'], bad)).toBe(2);
    } finally {
      await db.close();
      await backend.drop(url);
    }
  });
});
