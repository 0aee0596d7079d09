/**
 * An assignment removed in the middle of a sign-in: the app requires assignment, a Conditional Access
 * policy asks the person for MFA, and while they are on the MFA challenge page an administrator deletes
 * their assignment through Graph. The right authenticator code then ends on the AADSTS50105 page, and the
 * app's redirect_uri never receives a code (the assignment is checked again when the code would be handed
 * out, not only before the second factor). The same for a guest whose assignment goes while they read
 * Contoso's terms of use: Accept ends on the AADSTS50105 page. Assigned again, a fresh sign-in gets
 * through. Scripted over HTTP against a real Foyer, with openid-client as the app, on both databases; in
 * the MFA case Foyer's clock is a manual one, so the authenticator app's codes are computed for the
 * server's own time step.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushSignInLog } from '../../src/directory/sign-in-log.js';
import { createMember } from '../../src/directory/users.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { type RelyingParty, reserveRelyingParty, startRelyingParty } from '../support/relying-party.js';
import { appToken, authorizationRequest, graph } from '../support/tokens.js';

const REDIRECT = 'http://localhost:3998/callback';
const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';
const PASSWORD = 'Quarry-Lantern-Mild-73';
const isCallback = (u: string) => u.startsWith(REDIRECT);

describe.each(backends)('an app assignment removed while the person is on the MFA page, on $name', (backend) => {
  const clock = new ManualClock(Date.now());
  let foyer: TestFoyer;
  let tenant: TestTenant;
  /** An administrator's script: apps, assignments, Conditional Access and the sign-in log. */
  let admin: string;
  let portal: { appId: string; clientSecret?: string };
  let portalSp: string;
  let client: oidc.Configuration;
  let dana: { id: string; upn: string; secret: string };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const script = await foyer.createApp(tenant.id, {
      displayName: 'Admin script',
      applicationPermissions: ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'Policy.ReadWrite.ConditionalAccess', 'AuditLog.Read.All'],
    });
    admin = await appToken(foyer, tenant, script);
    portal = await foyer.createApp(tenant.id, { displayName: 'Payroll portal', redirectUris: [REDIRECT], delegatedPermissions: ['User.Read'] });
    portalSp = (await graph(foyer, admin, 'GET', `/servicePrincipals(appId='${portal.appId}')`)).body.id;
    expect((await graph(foyer, admin, 'PATCH', `/servicePrincipals/${portalSp}`, { appRoleAssignmentRequired: true })).status).toBe(204);
    const policy = await graph(foyer, admin, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Everyone needs MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status).toBe(201);
    client = await oidc.discovery(new URL(tenant.issuer), portal.appId, portal.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });

    // Dana has an authenticator app, registered with the previous step's code: this step's and the next
    // one's are each good for one sign-in.
    const upn = 'dana@contoso.example';
    const user = await createMember(foyer.ctx, tenant.id, { userPrincipalName: upn, displayName: 'Dana', password: PASSWORD });
    dana = { id: user.id, upn, secret: newTotpSecret() };
    const added = await addTotpMethod(foyer.ctx, {
      tenantId: tenant.id,
      userId: dana.id,
      secret: dana.secret,
      code: totpCodeAt(dana.secret, clock.now() - 30_000),
      displayName: 'Phone',
    });
    expect(added.ok).toBe(true);
  });
  afterAll(() => foyer?.stop());

  const assign = (principalId: string) =>
    graph(foyer, admin, 'POST', `/servicePrincipals/${portalSp}/appRoleAssignedTo`, { principalId, resourceId: portalSp, appRoleId: DEFAULT_ACCESS });
  /** The code Dana's authenticator app shows `steps` 30-second steps from now (on Foyer's clock). */
  const codeAt = (steps: number) => totpCodeAt(dana.secret, clock.now() + steps * 30_000);

  /** The portal's sign-in up to the page after the password (the MFA challenge), and what the app needs to redeem a code. */
  async function toChallenge(browser: HttpBrowser) {
    const { url, verifier, state } = await authorizationRequest(client, REDIRECT, { scope: 'openid profile' });
    const start = await browser.go(url, {}, isCallback);
    const uid = /\/login\/([^/?]+)/.exec(new URL(start.url).pathname)?.[1];
    const pw = await browser.submit(start, formWith(start, 'email'), { email: dana.upn });
    const page = await browser.submit(pw, formWith(pw, 'password'), { password: PASSWORD }, isCallback);
    expect(isCallback(page.url)).toBe(false);
    expect(visibleText(page)).toContain('Verify your identity');
    const exchange = (at: PageResponse) => oidc.authorizationCodeGrant(client, new URL(at.url), { pkceCodeVerifier: verifier, expectedState: state });
    return { page, uid, exchange };
  }

  it('refuses the right code with AADSTS50105 and hands the app no code; assigned again, a fresh sign-in gets through', async () => {
    const assigned = await assign(dana.id);
    expect(assigned.status).toBe(201);

    // Assigned when she starts: the password takes her to the MFA challenge.
    const browser = new HttpBrowser();
    const { page: challenge, uid } = await toChallenge(browser);
    expect(uid).toBeTruthy();

    // Meanwhile the administrator removes her assignment.
    expect((await graph(foyer, admin, 'DELETE', `/servicePrincipals/${portalSp}/appRoleAssignedTo/${assigned.body.id}`)).status).toBe(204);

    // The right code proves the second factor, but the app may no longer be handed a code.
    const refused = await browser.submit(challenge, formWith(challenge, 'code'), { code: codeAt(0) }, isCallback);
    expect(isCallback(refused.url)).toBe(false);
    expect(refused.status).toBe(403);
    expect(visibleText(refused)).toContain(
      `AADSTS50105: Your administrator has configured the application Payroll portal ('${portal.appId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '${dana.upn}' is blocked`,
    );
    // Back to the app: it hears access_denied, with no code.
    const back = await browser.press(refused, 'Back to the app', {}, isCallback);
    expect(isCallback(back.url)).toBe(true);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    expect(new URL(back.url).searchParams.get('code')).toBeNull();
    // Coming back to the interaction's MFA return address does not finish it either.
    const replay = await browser.go(`${foyer.url}/${tenant.id}/login/${uid}/mfa`, {}, isCallback);
    expect(new URL(replay.url).searchParams.get('code')).toBeNull();

    // The refusal is in the sign-in log with Entra's code.
    await flushSignInLog(foyer.ctx);
    const log = await graph(foyer, admin, 'GET', `/auditLogs/signIns?$filter=${encodeURIComponent(`userId eq '${dana.id}'`)}`);
    expect(log.status).toBe(200);
    expect(log.body.value.map((e: { status: { errorCode: number } }) => e.status.errorCode)).toContain(50105);

    // Assigned again, a fresh sign-in (the next step's code) reaches the app with a code it can redeem.
    expect((await assign(dana.id)).status).toBe(201);
    const again = new HttpBrowser();
    const second = await toChallenge(again);
    const landed = await again.submit(second.page, formWith(second.page, 'code'), { code: codeAt(1) }, isCallback);
    expect(isCallback(landed.url)).toBe(true);
    expect(new URL(landed.url).searchParams.get('code')).toBeTruthy();
    const issued = await second.exchange(landed);
    expect(issued.claims()).toMatchObject({ sub: dana.id, amr: expect.arrayContaining(['pwd', 'mfa']) });
  });
});

describe.each(backends)('an app assignment removed while a guest is on the terms of use page, on $name', (backend) => {
  const address = 'tove@outlook.example';
  let w: GuestWorld;
  let admin: string;
  let payroll: RelyingParty;
  let payrollSp: string;
  let guestId: string;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    const script = await w.foyer.createApp(w.contoso.id, {
      displayName: 'Governance script',
      applicationPermissions: ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'Agreement.ReadWrite.All'],
    });
    admin = await appToken(w.foyer, w.contoso, script);
    const at = await reserveRelyingParty();
    const app = await w.foyer.createApp(w.contoso.id, { displayName: 'Payroll portal', redirectUris: [at.redirectUri] });
    payroll = await startRelyingParty(w.contoso.issuer, app, at);
    payrollSp = (await graph(w.foyer, admin, 'GET', `/servicePrincipals(appId='${app.appId}')`)).body.id;
    expect((await graph(w.foyer, admin, 'PATCH', `/servicePrincipals/${payrollSp}`, { appRoleAssignmentRequired: true })).status).toBe(204);

    // Tove is invited, assigned, and redeems with a passcode before Contoso has terms of use.
    const inv = await w.invite(address, { inviteRedirectUrl: `${payroll.url}/login` });
    guestId = inv.guestId;
    expect((await assign()).status).toBe(201);
    const b = new HttpBrowser();
    const consent = await passcode(b, await b.press(await b.go(inv.redeemUrl), 'Next'));
    const landed = await b.press(consent, 'Accept', {}, atPayroll);
    expect(atPayroll(landed.url)).toBe(true);
    const terms = await graph(w.foyer, admin, 'POST', '/identityGovernance/termsOfUse/agreements', {
      displayName: 'Contoso terms of use',
      files: [
        {
          fileName: 'terms.txt',
          displayName: 'Contoso terms',
          language: 'en-US',
          isDefault: true,
          fileData: { data: Buffer.from('Be kind.').toString('base64') },
        },
      ],
    });
    expect(terms.status, JSON.stringify(terms.body)).toBe(201);
  });
  afterAll(async () => {
    await payroll?.close();
    await w?.close();
  });

  const atPayroll = (u: string) => u.startsWith(payroll.redirectUri);
  const assign = () =>
    graph(w.foyer, admin, 'POST', `/servicePrincipals/${payrollSp}/appRoleAssignedTo`, {
      principalId: guestId,
      resourceId: payrollSp,
      appRoleId: DEFAULT_ACCESS,
    });

  /** Sends the code to Tove's address and enters it, on a page that offers "Send code". */
  async function passcode(b: HttpBrowser, step: PageResponse): Promise<PageResponse> {
    const before = w.smtp.messages.length;
    const sent = await b.press(step, 'Send code');
    return b.submit(sent, formWith(sent, 'code'), { code: await w.passcode(address, before) }, atPayroll);
  }

  /** Payroll's sign-in in a new browser, up to the page after the passcode. */
  async function signIn(b: HttpBrowser): Promise<PageResponse> {
    const start = await b.go(`${payroll.url}/login`, {}, atPayroll);
    const step = await b.submit(start, formWith(start, 'email'), { email: address }, atPayroll);
    return passcode(b, step);
  }

  it('refuses Accept with AADSTS50105 and hands the app no code; assigned again, a fresh sign-in gets through', async () => {
    const before = payroll.results.length;
    const b = new HttpBrowser();
    const terms = await signIn(b);
    expect(atPayroll(terms.url)).toBe(false);
    expect(visibleText(terms)).toContain('Contoso terms of use');

    const assignments = await graph(w.foyer, admin, 'GET', `/servicePrincipals/${payrollSp}/appRoleAssignedTo`);
    const mine = assignments.body.value.find((a: { principalId: string }) => a.principalId === guestId);
    expect((await graph(w.foyer, admin, 'DELETE', `/servicePrincipals/${payrollSp}/appRoleAssignedTo/${mine.id}`)).status).toBe(204);

    // (A submit button sends its own name and value; the scripted browser is told what a click would send.)
    const refused = await b.press(terms, 'Accept', { answer: 'accept' }, atPayroll);
    expect(atPayroll(refused.url)).toBe(false);
    expect(refused.status).toBe(403);
    expect(visibleText(refused)).toContain(`AADSTS50105: Your administrator has configured the application Payroll portal`);
    // Named as Entra names a guest: by the user principal name in Contoso (…#EXT#@…).
    const upn = (await graph(w.foyer, w.admin, 'GET', `/users/${guestId}?$select=userPrincipalName`)).body.userPrincipalName;
    expect(upn).toContain('#EXT#@');
    expect(visibleText(refused)).toContain(`The signed in user '${upn}' is blocked`);
    const back = await b.press(refused, 'Back to the app', {}, atPayroll);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    expect(new URL(back.url).searchParams.get('code')).toBeNull();
    expect(payroll.results.length).toBe(before);

    // Assigned again: a fresh sign-in reaches Payroll (the terms were accepted), whose ID token is Tove's.
    expect((await assign()).status).toBe(201);
    const again = new HttpBrowser();
    const landed = await signIn(again);
    expect(atPayroll(landed.url), visibleText(landed).slice(0, 500)).toBe(true);
    await again.go(landed.url);
    expect(payroll.results.length).toBe(before + 1);
    expect(payroll.results.at(-1)!.claims).toMatchObject({ oid: guestId });
  });
});
