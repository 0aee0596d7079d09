/**
 * Tokens die with the session. Each way a person's sign-ins end — Graph's revokeSignInSessions, a new
 * password, a disable, a reset redemption — stops the access tokens already issued at Foyer's own APIs
 * (Graph `/me`, userinfo), ends refresh tokens, and sends the browser back to the sign-in page; and
 * `signInSessionsValidFromDateTime` says since when. Typing the address on the sign-in page then asks for
 * a proof again: for a guest too, whose home sign-in may still stand. A fake clock pins the one-second
 * edge: a token issued in the revocation's second but before it is refused, one issued after it works;
 * and a revocation that commits while a refresh is under way leaves no token the APIs accept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { forms, formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { type RelyingParty, reserveRelyingParty, startRelyingParty } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('tokens end with the session on $name', (backend) => {
  const clock = new ManualClock(Date.now());
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let fabrikam: TestTenant;
  let web: { appId: string; clientSecret?: string };
  let rp: RelyingParty;
  /** An administrator's script: creates and changes users, invites and resets guests. */
  let admin: string;
  /** An app granted only Graph's least privilege for revoking sessions. */
  let revoker: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    contoso = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    fabrikam = await foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    admin = await appToken(
      foyer,
      contoso,
      await foyer.createApp(contoso.id, {
        displayName: 'Admin script',
        applicationPermissions: ['User.ReadWrite.All', 'User-PasswordProfile.ReadWrite.All', 'User.Invite.All'],
      }),
    );
    revoker = await appToken(
      foyer,
      contoso,
      await foyer.createApp(contoso.id, { displayName: 'Helpdesk', applicationPermissions: ['User.RevokeSessions.All'] }),
    );
    const at = await reserveRelyingParty();
    web = await foyer.createApp(contoso.id, { displayName: 'Portal', redirectUris: [at.redirectUri] });
    rp = await startRelyingParty(contoso.issuer, web, at, 'openid profile email offline_access');
  });
  afterAll(async () => {
    await rp?.close();
    await foyer?.stop();
  });

  const atApp = (u: string) => u.startsWith(`${rp.url}/callback`);
  /** Where a guest flow hands back to the tenant's sign-in page. */
  const atHandBack = (u: string) => /\/login\/[^/]+\/guest$/.test(new URL(u).pathname);

  /** A member signs in to the portal through the sign-in pages; returns the browser and the portal's tokens. */
  async function signIn(email: string, password: string, browser = new HttpBrowser()) {
    const before = rp.results.length;
    const page = await browser.go(`${rp.url}/login`);
    const pw = await browser.submit(page, formWith(page, 'email'), { email });
    const done = await browser.submit(pw, formWith(pw, 'password'), { password });
    expect(done.status, visibleText(done)).toBe(200);
    expect(rp.results.length).toBe(before + 1);
    return { browser, tokens: rp.results.at(-1)!.tokens };
  }

  const userinfo = (token: string) => fetch(`${foyer.url}/${contoso.id}/openid/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  async function refresh(refreshToken: string) {
    const res = await fetch(`${foyer.url}/${contoso.id}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${web.appId}:${web.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    return { status: res.status, body: (await res.json()) as { error?: string; access_token?: string } };
  }

  /** A page that asks for a proof: a password (here or at the home tenant) or a code sent by e-mail. */
  const asksForProof = (page: PageResponse) => forms(page).some((f) => 'password' in f.fields) || visibleText(page).includes('Send code');

  /**
   * Everything a user notices once their sign-ins ended: each API refuses, refresh fails, the browser must
   * sign in again, and typing the address is not enough: a password or a code is asked for.
   */
  async function expectSignInsEnded(browser: HttpBrowser, tokens: { access_token: string; refresh_token?: string }, address: string) {
    const me = await graph(foyer, tokens.access_token, 'GET', '/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('InvalidAuthenticationToken');
    const info = await userinfo(tokens.access_token);
    expect(info.status).toBe(401);
    expect(((await info.json()) as { error: string }).error).toBe('invalid_token');
    expect(info.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await refresh(tokens.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const again = await browser.go(`${rp.url}/login`, {}, atApp);
    expect(atApp(again.url)).toBe(false);
    expect(visibleText(again)).toContain('Sign in to Contoso');
    const before = rp.results.length;
    // A guest is not even handed back to the sign-in page on the old proof: the guest pages ask for a new one.
    const step = await browser.submit(again, formWith(again, 'email'), { email: address }, (u) => atApp(u) || atHandBack(u));
    expect(atApp(step.url), 'signed in by typing the address alone').toBe(false);
    expect(atHandBack(step.url), 'the old proof was taken').toBe(false);
    expect(rp.results.length).toBe(before);
    expect(asksForProof(step), visibleText(step)).toBe(true);
    return step;
  }

  /** The premise of each test: before anything ends, the token and the browser session work. */
  async function expectSignedIn(browser: HttpBrowser, token: string) {
    expect((await graph(foyer, token, 'GET', '/me')).status).toBe(200);
    expect((await userinfo(token)).status).toBe(200);
    expect(atApp((await browser.go(`${rp.url}/login`, {}, atApp)).url)).toBe(true);
  }

  it('revokeSignInSessions answers true and ends the access token at /me and userinfo, the refresh token and the browser session', async () => {
    const mia = await createMember(foyer.ctx, contoso.id, { userPrincipalName: 'mia@contoso.example', displayName: 'Mia', password: 'Amber-Kettle-Drift-4' });
    const { browser, tokens } = await signIn('mia@contoso.example', 'Amber-Kettle-Drift-4');
    await expectSignedIn(browser, tokens.access_token);

    const before = await graph(foyer, admin, 'GET', `/users/${mia.id}?$select=signInSessionsValidFromDateTime`);
    expect(before.body.signInSessionsValidFromDateTime).toBe(new Date(mia.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    clock.advance(5_000);
    const res = await graph(foyer, revoker, 'POST', `/users/${mia.id}/revokeSignInSessions`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ '@odata.context': `${foyer.url}/graph/v1.0/$metadata#Edm.Boolean`, value: true });
    const after = await graph(foyer, admin, 'GET', `/users/${mia.id}?$select=signInSessionsValidFromDateTime`);
    expect(after.body.signInSessionsValidFromDateTime).toBe(new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));

    await expectSignInsEnded(browser, tokens, 'mia@contoso.example');
    // Signing in again works, and the new token is honoured.
    const fresh = await signIn('mia@contoso.example', 'Amber-Kettle-Drift-4');
    expect((await graph(foyer, fresh.tokens.access_token, 'GET', '/me')).status).toBe(200);
  });

  it('revokeSignInSessions needs a permission that allows it, and says which user does not exist', async () => {
    const reader = await appToken(foyer, contoso, await foyer.createApp(contoso.id, { displayName: 'Reader', applicationPermissions: ['User.Read.All'] }));
    const refused = await graph(foyer, reader, 'POST', `/users/${contoso.admin.id}/revokeSignInSessions`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('Authorization_RequestDenied');
    const missing = await graph(foyer, revoker, 'POST', '/users/nobody@contoso.example/revokeSignInSessions');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('Request_ResourceNotFound');
    // An app cannot sign a Global Administrator out: a sensitive action on an administrator.
    const protectedAdmin = await graph(foyer, revoker, 'POST', `/users/${contoso.admin.id}/revokeSignInSessions`);
    expect(protectedAdmin.status).toBe(403);
  });

  it('a password change through Graph (passwordProfile) ends the sign-ins made before it', async () => {
    const noah = await createMember(foyer.ctx, contoso.id, {
      userPrincipalName: 'noah@contoso.example',
      displayName: 'Noah',
      password: 'Quiet-Harbour-Lamp-7',
    });
    const { browser, tokens } = await signIn('noah@contoso.example', 'Quiet-Harbour-Lamp-7');
    await expectSignedIn(browser, tokens.access_token);
    clock.advance(5_000);
    expect((await graph(foyer, admin, 'PATCH', `/users/${noah.id}`, { passwordProfile: { password: 'Silver-Meadow-Gate-5' } })).status).toBe(204);
    await expectSignInsEnded(browser, tokens, 'noah@contoso.example');
  });

  it('disabling ends the sign-ins made before it, and enabling the account again does not bring them back', async () => {
    const olga = await createMember(foyer.ctx, contoso.id, {
      userPrincipalName: 'olga@contoso.example',
      displayName: 'Olga',
      password: 'Cobalt-River-Stone-3',
    });
    const { browser, tokens } = await signIn('olga@contoso.example', 'Cobalt-River-Stone-3');
    await expectSignedIn(browser, tokens.access_token);
    clock.advance(5_000);
    expect((await graph(foyer, admin, 'PATCH', `/users/${olga.id}`, { accountEnabled: false })).status).toBe(204);
    clock.advance(5_000);
    expect((await graph(foyer, admin, 'PATCH', `/users/${olga.id}`, { accountEnabled: true })).status).toBe(204);
    await expectSignInsEnded(browser, tokens, 'olga@contoso.example');
  });

  /** A Fabrikam member, invited to Contoso, redeems with their Fabrikam password and lands signed in to the portal. */
  async function fabrikamGuest(upn: string, password: string) {
    const home = await createMember(foyer.ctx, fabrikam.id, { userPrincipalName: upn, displayName: upn.split('@')[0]!, password });
    const invitation = { invitedUserEmailAddress: upn, inviteRedirectUrl: `${rp.url}/login`, sendInvitationMessage: false };
    const invited = await graph(foyer, admin, 'POST', '/invitations', invitation);
    expect(invited.status).toBe(201);
    const browser = new HttpBrowser();
    const pw = await browser.press(await browser.go(invited.body.inviteRedeemUrl), 'Next');
    const consent = await browser.submit(pw, formWith(pw, 'password'), { password });
    const before = rp.results.length;
    // Accepting lands in the portal, which signs the guest in.
    await browser.press(consent, 'Accept');
    expect(rp.results.length).toBe(before + 1);
    const { tokens } = rp.results.at(-1)!;
    expect(tokens.claims()?.sub).toBe(invited.body.invitedUser.id);
    await expectSignedIn(browser, tokens.access_token);
    return { home, guestId: invited.body.invitedUser.id as string, invitation, browser, tokens };
  }

  it('resetting a guest’s redemption ends the guest’s sign-ins', async () => {
    const { guestId, invitation, tokens } = await fabrikamGuest('bob@fabrikam.example', 'Velvet-Orchard-Kite-8');
    clock.advance(5_000);
    const reset = await graph(foyer, admin, 'POST', '/invitations', { ...invitation, resetRedemption: true, invitedUser: { id: guestId } });
    expect(reset.status).toBe(201);
    const me = await graph(foyer, tokens.access_token, 'GET', '/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('InvalidAuthenticationToken');
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    expect(await refresh(tokens.refresh_token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('revoking a member’s sessions at home ends their sign-ins as a guest in another tenant too', async () => {
    const { home, guestId, browser, tokens } = await fabrikamGuest('cleo@fabrikam.example', 'Juniper-Anchor-Slate-3');
    const helpdesk = await foyer.createApp(fabrikam.id, { displayName: 'Fabrikam helpdesk', applicationPermissions: ['User.RevokeSessions.All'] });
    clock.advance(5_000);
    expect((await graph(foyer, await appToken(foyer, fabrikam, helpdesk), 'POST', `/users/${home.id}/revokeSignInSessions`)).status).toBe(200);
    await expectSignInsEnded(browser, tokens, 'cleo@fabrikam.example');
    const guest = await graph(foyer, admin, 'GET', `/users/${guestId}?$select=signInSessionsValidFromDateTime`);
    expect(guest.body.signInSessionsValidFromDateTime).toBe(new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  /** Ends, then proves again at home (the Fabrikam password page) and expects a working token. */
  async function expectGuestSignInsEnded(upn: string, password: string, guestId: string, browser: HttpBrowser, tokens: { access_token: string }) {
    const step = await expectSignInsEnded(browser, tokens, upn);
    const before = rp.results.length;
    await browser.submit(step, formWith(step, 'password'), { password });
    expect(rp.results.length).toBe(before + 1);
    const { tokens: fresh } = rp.results.at(-1)!;
    const me = await graph(foyer, fresh.access_token, 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(guestId);
  }

  it('revoking the guest object’s sessions ends the guest’s sign-ins, though the home sign-in stands', async () => {
    const { guestId, browser, tokens } = await fabrikamGuest('dana@fabrikam.example', 'Harbor-Willow-Crane-2');
    clock.advance(5_000);
    expect((await graph(foyer, revoker, 'POST', `/users/${guestId}/revokeSignInSessions`)).status).toBe(200);
    clock.advance(5_000);
    await expectGuestSignInsEnded('dana@fabrikam.example', 'Harbor-Willow-Crane-2', guestId, browser, tokens);
  });

  it('disabling a guest and enabling it again ends the guest’s sign-ins made before', async () => {
    const { guestId, browser, tokens } = await fabrikamGuest('emil@fabrikam.example', 'Copper-Thistle-Bay-9');
    clock.advance(5_000);
    expect((await graph(foyer, admin, 'PATCH', `/users/${guestId}`, { accountEnabled: false })).status).toBe(204);
    clock.advance(1_000);
    expect((await graph(foyer, admin, 'PATCH', `/users/${guestId}`, { accountEnabled: true })).status).toBe(204);
    clock.advance(5_000);
    await expectGuestSignInsEnded('emil@fabrikam.example', 'Copper-Thistle-Bay-9', guestId, browser, tokens);
  });

  it('a revocation that commits while a refresh is under way leaves no token the APIs accept', async () => {
    const rex = await createMember(foyer.ctx, contoso.id, { userPrincipalName: 'rex@contoso.example', displayName: 'Rex', password: 'Granite-Poppy-Wharf-1' });
    const { tokens } = await signIn('rex@contoso.example', 'Granite-Poppy-Wharf-1');
    clock.advance(5_000);
    // The provider has read the refresh token and its grant and consumed the token when the revocation
    // commits; only then does it sign the new access token.
    const { provider } = (await foyer.app.registry.resolve(contoso.id))!;
    const proto = provider.RefreshToken.prototype as unknown as { consume(): Promise<void> };
    const consume = proto.consume;
    proto.consume = async function (this: unknown) {
      proto.consume = consume;
      await consume.call(this);
      expect((await graph(foyer, revoker, 'POST', `/users/${rex.id}/revokeSignInSessions`)).status).toBe(200);
    };
    let raced: Awaited<ReturnType<typeof refresh>>;
    try {
      raced = await refresh(tokens.refresh_token!);
    } finally {
      proto.consume = consume;
    }
    expect(raced.body.access_token && (await graph(foyer, raced.body.access_token, 'GET', '/me')).status).not.toBe(200);
    expect(raced).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('within the second of a revocation, a token issued before it is refused and one issued after it works', async () => {
    const pia = await createMember(foyer.ctx, contoso.id, { userPrincipalName: 'pia@contoso.example', displayName: 'Pia', password: 'Maple-Lantern-Frost-6' });
    // Both tokens carry the same `iat` (whole seconds); only their order around the revocation differs.
    const second = Math.ceil(clock.now() / 1000) * 1000 + 10_000;
    clock.set(second + 200);
    const early = await signIn('pia@contoso.example', 'Maple-Lantern-Frost-6');
    expect((await graph(foyer, early.tokens.access_token, 'GET', '/me')).status).toBe(200);
    clock.set(second + 400);
    expect((await graph(foyer, revoker, 'POST', `/users/${pia.id}/revokeSignInSessions`)).status).toBe(200);
    clock.set(second + 700);
    const late = await signIn('pia@contoso.example', 'Maple-Lantern-Frost-6');

    expect((await graph(foyer, early.tokens.access_token, 'GET', '/me')).status).toBe(401);
    expect((await userinfo(early.tokens.access_token)).status).toBe(401);
    expect((await graph(foyer, late.tokens.access_token, 'GET', '/me')).status).toBe(200);
    expect((await userinfo(late.tokens.access_token)).status).toBe(200);
    // And the token refreshed after the revocation works too.
    const refreshed = await refresh(late.tokens.refresh_token!);
    expect(refreshed.status).toBe(200);
    expect((await graph(foyer, refreshed.body.access_token!, 'GET', '/me')).status).toBe(200);
  });
});
