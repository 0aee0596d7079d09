/**
 * The review page asks for the reviewer's second factor when one is due. A sponsor with an authenticator
 * app, whom a Conditional Access policy asks for MFA, whose password someone typed and who stopped at the
 * second-factor challenge: the browser holds an account entry (the sign-in pages store it after the
 * password), yet the review page shows no guest and records no decision; it sends the browser to the
 * challenge instead. Once the code is entered there, the page comes back and the decision is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { createUser, TEST_PASSWORD } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { forms, formWith, HttpBrowser, visibleText } from '../support/http-browser.js';
import { appToken, authorizationRequest, graph } from '../support/tokens.js';

const DEFINITIONS = '/identityGovernance/accessReviews/definitions';
const REDIRECT = 'https://reviews.contoso.example/callback';

type Json = Record<string, any>;

describe.each(backends)('The access review page and the second factor on $name', (backend) => {
  const clock = new ManualClock(Date.now());
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let admin: { appId: string; clientSecret?: string };
  let reviewerApp: { appId: string; clientSecret?: string };

  const call = async (method: string, path: string, body?: unknown) => graph(foyer, await appToken(foyer, contoso, admin), method, path, body);

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    contoso = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    admin = await foyer.createApp(contoso.id, {
      displayName: 'Review script',
      applicationPermissions: ['AccessReview.ReadWrite.All', 'User.ReadWrite.All', 'User.Invite.All', 'Policy.ReadWrite.ConditionalAccess'],
    });
    reviewerApp = await foyer.createApp(contoso.id, { displayName: 'Intranet', redirectUris: [REDIRECT] });
  });
  afterAll(() => foyer?.stop());

  it('shows no guest and records no decision after the password alone; after the second factor it does', async () => {
    const sponsor = await createUser(foyer, await appToken(foyer, contoso, admin), 'mfa-sponsor');
    const invited = await call('POST', '/invitations', {
      invitedUserEmailAddress: 'vera@fabrikam.example',
      invitedUserDisplayName: 'Vera Fabrikam',
      inviteRedirectUrl: 'https://contoso.example/',
      sendInvitationMessage: false,
      invitedUserSponsors: [{ id: sponsor }],
    });
    expect(invited.status).toBe(201);
    const secret = newTotpSecret();
    const added = await addTotpMethod(foyer.ctx, {
      tenantId: contoso.id,
      userId: sponsor,
      secret,
      code: totpCodeAt(secret, clock.now()),
      displayName: 'Phone',
    });
    expect(added.ok).toBe(true);
    const policy = await call('POST', '/identity/conditionalAccess/policies', {
      displayName: 'Sponsors need MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: [sponsor] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const created = await call('POST', DEFINITIONS, {
      displayName: 'Guests of sponsors with MFA',
      scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ query: './sponsors', queryType: 'MicrosoftGraph' }],
      settings: { instanceDurationInDays: 3, autoApplyDecisionsEnabled: true },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const instance = (await call('GET', `${DEFINITIONS}/${created.body.id}/instances`)).body.value[0] as Json;
    const decisionsPath = `${DEFINITIONS}/${created.body.id}/instances/${instance.id}/decisions`;
    const item = ((await call('GET', decisionsPath)).body.value as Json[]).find((d) => d.principal.id === invited.body.invitedUser.id)!;
    const decisionOf = async () => ((await call('GET', `${decisionsPath}/${item.id}`)).body as Json).decision;
    const reviewUrl = `${foyer.url}/${contoso.id}/access-reviews/${instance.id}`;

    // The password, then the challenge, which is left unanswered.
    const oidc = await import('openid-client');
    const config = await oidc.discovery(new URL(contoso.issuer), reviewerApp.appId, reviewerApp.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const { url } = await authorizationRequest(config, REDIRECT);
    const b = new HttpBrowser();
    const atApp = (u: string) => u.startsWith(REDIRECT);
    const start = await b.go(url, {}, atApp);
    const pw = await b.submit(start, formWith(start, 'email'), { email: 'mfa-sponsor@contoso.example' });
    const challenge = await b.submit(pw, formWith(pw, 'password'), { password: TEST_PASSWORD }, atApp);
    expect(atApp(challenge.url)).toBe(false);
    formWith(challenge, 'code');

    // The review page: no guest, on to the challenge.
    const direct = await b.request(reviewUrl);
    expect(direct.status).toBe(303);
    expect(direct.headers.get('location')).toBe('/mfa');
    const shown = await b.go(reviewUrl);
    expect(visibleText(shown)).not.toContain('Vera Fabrikam');
    const codeForm = forms(shown)[formWith(shown, 'code')]!;

    // A decision posted with a valid CSRF token is not recorded.
    const posted = await b.request(`${reviewUrl}/decisions/${item.id}`, { form: { _csrf: codeForm.fields._csrf!, decision: 'Deny', justification: 'No' } });
    expect(posted.status).toBe(303);
    expect(new URL(posted.headers.get('location')!, reviewUrl).pathname).toBe(new URL(reviewUrl).pathname);
    expect(await decisionOf()).toBe('NotReviewed');

    // The second factor: back on the review page, which now records the decision.
    clock.advance(31_000);
    const review = await b.submit(shown, formWith(shown, 'code'), { code: totpCodeAt(secret, clock.now()) });
    expect(review.status).toBe(200);
    expect(visibleText(review)).toContain('Vera Fabrikam');
    const itemForm = forms(review).findIndex((f) => f.action.includes(item.id));
    expect(itemForm).toBeGreaterThanOrEqual(0);
    const decided = await b.submit(review, itemForm, { decision: 'Deny', justification: 'Left the project' });
    expect(decided.status).toBe(200);
    expect(await decisionOf()).toBe('Deny');
  });

  it('asks someone whom MFA is asked of, with no method yet, to verify their identity first, and records nothing', async () => {
    const newcomer = await createUser(foyer, await appToken(foyer, contoso, admin), 'mfa-newcomer');
    const invited = await call('POST', '/invitations', {
      invitedUserEmailAddress: 'walt@fabrikam.example',
      invitedUserDisplayName: 'Walt Fabrikam',
      inviteRedirectUrl: 'https://contoso.example/',
      sendInvitationMessage: false,
      invitedUserSponsors: [{ id: newcomer }],
    });
    expect(invited.status).toBe(201);
    const policy = await call('POST', '/identity/conditionalAccess/policies', {
      displayName: 'Newcomers need MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: [newcomer] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status).toBe(201);
    const created = await call('POST', DEFINITIONS, {
      displayName: 'Guests of newcomers',
      scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ query: './sponsors', queryType: 'MicrosoftGraph' }],
      settings: { instanceDurationInDays: 3, autoApplyDecisionsEnabled: true },
    });
    expect(created.status).toBe(201);
    const instance = (await call('GET', `${DEFINITIONS}/${created.body.id}/instances`)).body.value[0] as Json;
    const decisionsPath = `${DEFINITIONS}/${created.body.id}/instances/${instance.id}/decisions`;
    const item = ((await call('GET', decisionsPath)).body.value as Json[]).find((d) => d.principal.id === invited.body.invitedUser.id)!;
    const reviewUrl = `${foyer.url}/${contoso.id}/access-reviews/${instance.id}`;

    const oidc = await import('openid-client');
    const config = await oidc.discovery(new URL(contoso.issuer), reviewerApp.appId, reviewerApp.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const { url } = await authorizationRequest(config, REDIRECT);
    const b = new HttpBrowser();
    const atApp = (u: string) => u.startsWith(REDIRECT);
    const start = await b.go(url, {}, atApp);
    const pw = await b.submit(start, formWith(start, 'email'), { email: 'mfa-newcomer@contoso.example' });
    const register = await b.submit(pw, formWith(pw, 'password'), { password: TEST_PASSWORD }, atApp);
    expect(visibleText(register)).toContain('More information required');

    const shown = await b.go(reviewUrl);
    expect(shown.status).toBe(200);
    expect(visibleText(shown)).toContain('Verify your identity first');
    expect(visibleText(shown)).not.toContain('Walt Fabrikam');
    // A valid CSRF token from the authenticator app's setup page, which the sign-in reached.
    const setup = await b.go(`${foyer.url}/mfa/totp/register`);
    const csrf = forms(setup)[formWith(setup, '_csrf')]!.fields._csrf!;
    const posted = await b.request(`${reviewUrl}/decisions/${item.id}`, { form: { _csrf: csrf, decision: 'Deny', justification: '' } });
    expect(posted.status).toBe(200);
    expect(visibleText(posted)).toContain('Verify your identity first');
    expect(((await call('GET', `${decisionsPath}/${item.id}`)).body as Json).decision).toBe('NotReviewed');
  });
});
