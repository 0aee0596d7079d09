/**
 * Attacks on the second factor, scripted over HTTP against a real Foyer and a real openid-client app on
 * both backends, with Contoso requiring MFA of everyone (a Conditional Access policy made through Graph):
 * a brute-forced authenticator code (locked), a code used twice, another person's passkey, the MFA step
 * skipped by replaying the interaction's URLs, a method added without proving an existing one, forms
 * posted without their CSRF token, a passcode taken for a second factor, and the tenant's provider session
 * (of an app without MFA, or older than signInFrequency) taken for a sign-in an app's policy asks MFA of.
 * Each attack checks what the person sees and that no code reached the app (its sign-ins are unchanged).
 *
 * The clock is Foyer's manual clock, moved only by the tests themselves (past a lock, past a
 * signInFrequency): a code is computed for the step the server is in, and the attempt window cannot roll
 * over in the middle of a test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, revokeSignInSessions } from '../../src/directory/users.js';
import { listMethods } from '../../src/mfa/methods.js';
import { addPasskey, passkeyRegistrationOptions } from '../../src/mfa/passkeys.js';
import { issueRecoveryCodes, recoveryCodesLeft } from '../../src/mfa/recovery-codes.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends } from '../support/backends.js';
import type { TestTenant } from '../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { forms, formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { type RelyingParty, reserveRelyingParty, startRelyingParty, startTenantApp } from '../support/relying-party.js';
import { appToken, graph } from '../support/tokens.js';
import { b64url, SoftwareCredential } from '../support/webauthn-authenticator.js';

const PASSWORD = 'Lantern-Harbor-Quiet-42';

interface Person {
  id: string;
  upn: string;
  /** The authenticator app's key, when the person has one. */
  secret: string;
}

describe.each(backends)('attacks on MFA on $name', (backend) => {
  let w: GuestWorld;
  let ctx: AppContext;
  let tenantId: string;
  const clock = new ManualClock(Date.now());
  let people = 0;

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
    ctx = w.foyer.ctx;
    tenantId = w.contoso.id;
    const security = await appToken(
      w.foyer,
      w.contoso,
      await w.foyer.createApp(tenantId, { displayName: 'Security admin', applicationPermissions: ['Policy.ReadWrite.ConditionalAccess'] }),
    );
    const policy = await graph(w.foyer, security, 'POST', '/identity/conditionalAccess/policies', {
      displayName: 'Everyone needs MFA',
      state: 'enabled',
      conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    expect(policy.status).toBe(201);
  });
  afterAll(() => w?.close());

  const atApp = (u: string) => u.startsWith(`${w.portal.url}/callback`);
  const signIns = () => w.portal.results.length;
  const lastSignIn = () => w.portal.results.at(-1)!.claims;
  const methodsOf = (p: { id: string }) => listMethods(ctx.db.kysely, tenantId, p.id);
  /** The code the person's authenticator app shows `steps` 30-second steps from now (on Foyer's clock). */
  const codeAt = (p: Person, steps: number) => totpCodeAt(p.secret, clock.now() + steps * 30_000);

  /**
   * A member of Contoso; with an authenticator app unless `app` is false. The app is registered with the
   * previous step's code, so this step's and the next one's are each good for one sign-in.
   */
  async function member(app = true): Promise<Person> {
    people += 1;
    const upn = `person${people}@contoso.example`;
    const user = await createMember(ctx, tenantId, { userPrincipalName: upn, displayName: `Person ${people}`, password: PASSWORD });
    const person = { id: user.id, upn, secret: newTotpSecret() };
    if (app) {
      const added = await addTotpMethod(ctx, { tenantId, userId: user.id, secret: person.secret, code: codeAt(person, -1), displayName: 'Phone' });
      expect(added.ok).toBe(true);
    }
    return person;
  }

  async function addKey(p: Person, key: SoftwareCredential): Promise<void> {
    const options = await passkeyRegistrationOptions(ctx, { tenantId, user: { id: p.id, name: p.upn, displayName: p.upn }, rpName: 'Contoso' });
    const added = await addPasskey(ctx, {
      tenantId,
      userId: p.id,
      response: key.register(options.challenge),
      expectedChallenge: options.challenge,
      displayName: 'Key',
    });
    expect(added.ok).toBe(true);
  }

  /** A passkey of Foyer's origin (the relying party ID is FOYER_PUBLIC_URL's host). */
  const newKey = () => new SoftwareCredential({ origin: w.foyer.url });

  /** The app's sign-in, up to the page after the password: the MFA gate's page. Also the interaction's id. */
  async function toGate(b: HttpBrowser, p: Person): Promise<{ page: PageResponse; uid: string }> {
    const start = await b.go(`${w.portal.url}/login`, {}, atApp);
    const uid = /\/login\/([^/]+)$/.exec(new URL(start.url).pathname)?.[1];
    if (!uid) throw new Error(`not a sign-in page: ${start.url}`);
    const pw = await b.submit(start, formWith(start, 'email'), { email: p.upn });
    const page = await b.submit(pw, formWith(pw, 'password'), { password: PASSWORD }, atApp);
    expect(atApp(page.url)).toBe(false);
    return { page, uid };
  }

  /** Submits the code form of an MFA page, following redirects to the app's callback (which redeems any code). */
  const submitCode = (b: HttpBrowser, page: PageResponse, code: string) => b.submit(page, formWith(page, 'code'), { code });

  /** The WebAuthn options a passkey page carries for its script. */
  function passkeyOptions(page: PageResponse): { challenge: string } {
    const json = /<script type="application\/json" id="passkey-options">([\s\S]*?)<\/script>/.exec(page.body)?.[1];
    if (!json) throw new Error(`no passkey options on ${page.url} (${page.status}):\n${visibleText(page).slice(0, 1000)}`);
    return JSON.parse(json) as { challenge: string };
  }

  /** Six-digit codes that are none of the person's codes for the steps around now. */
  function wrongCodes(p: Person, n: number): string[] {
    const valid = new Set([-2, -1, 0, 1, 2].map((k) => codeAt(p, k)));
    const out: string[] = [];
    for (let i = 0; out.length < n; i += 7919) {
      const code = String(i % 1_000_000).padStart(6, '0');
      if (!valid.has(code) && !out.includes(code)) out.push(code);
    }
    return out;
  }

  it('a brute-forced authenticator code is locked after the attempt limit: 429 with Retry-After, and then even the right code is refused, in any browser', async () => {
    const limit = ctx.config.signInAttemptLimit;
    const p = await member();
    const before = signIns();
    const b = new HttpBrowser();
    const { page: challenge, uid } = await toGate(b, p);
    expect(visibleText(challenge)).toContain('Verify your identity');

    let page = challenge;
    const wrong = wrongCodes(p, limit + 1);
    for (let i = 0; i < limit; i++) {
      page = await submitCode(b, page, wrong[i]!);
      expect(page.status, `wrong code ${i + 1}`).toBe(400);
      expect(visibleText(page)).toContain('That code didn’t work');
    }
    page = await submitCode(b, page, wrong[limit]!);
    expect(page.status).toBe(429);
    const retryAfter = Number(page.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(ctx.config.signInAttemptWindowSeconds);
    expect(visibleText(page)).toContain('Too many attempts');

    // The right code now: refused all the same, and the gate stays shut.
    const right = await submitCode(b, page, codeAt(p, 0));
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toBeTruthy();
    expect(atApp(right.url)).toBe(false);
    expect((await b.go(`${w.foyer.url}/${tenantId}/login/${uid}/mfa`, {}, atApp)).status).toBe(400);

    // The lock is the person's, not the browser's: a new browser gets no fresh budget.
    const other = new HttpBrowser();
    const { page: again } = await toGate(other, p);
    const refused = await submitCode(other, again, codeAt(p, 0));
    expect(refused.status).toBe(429);
    expect(atApp(refused.url)).toBe(false);
    expect(signIns()).toBe(before);

    // Locked, not spent: once the window has passed, the code of the moment signs in.
    clock.advance(retryAfter * 1000);
    const later = new HttpBrowser();
    const { page: fresh } = await toGate(later, p);
    const landed = await submitCode(later, fresh, codeAt(p, 0));
    expect(atApp(landed.url)).toBe(true);
    expect(signIns()).toBe(before + 1);
    expect(lastSignIn()).toMatchObject({ oid: p.id });
  });

  it('an authenticator code accepted once is refused in another sign-in, and of two simultaneous submissions of one code only one signs in', async () => {
    const p = await member();
    const before = signIns();
    const code = codeAt(p, 0);
    const first = new HttpBrowser();
    const landed = await submitCode(first, (await toGate(first, p)).page, code);
    expect(atApp(landed.url)).toBe(true);
    expect(signIns()).toBe(before + 1);
    expect(lastSignIn()).toMatchObject({ oid: p.id, amr: expect.arrayContaining(['pwd', 'otp', 'mfa']) });

    const second = new HttpBrowser();
    const replay = await submitCode(second, (await toGate(second, p)).page, code);
    expect(replay.status).toBe(400);
    expect(visibleText(replay)).toContain('That code didn’t work');
    expect(atApp(replay.url)).toBe(false);
    expect(signIns()).toBe(before + 1);

    // The next step's code, typed in two browsers at once: the compare-and-set lets one through.
    const racers = [new HttpBrowser(), new HttpBrowser()];
    const gates = await Promise.all(racers.map((b) => toGate(b, p)));
    const next = codeAt(p, 1);
    const outcomes = await Promise.all(racers.map((b, i) => submitCode(b, gates[i]!.page, next)));
    expect(outcomes.filter((o) => atApp(o.url))).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 400)).toHaveLength(1);
    expect(signIns()).toBe(before + 2);
  });

  it('a passkey assertion made by another person’s credential is refused at a person’s challenge', async () => {
    const alice = await member(false);
    const mallory = await member(false);
    const aliceKey = newKey();
    const malloryKey = newKey();
    await addKey(alice, aliceKey);
    await addKey(mallory, malloryKey);
    const before = signIns();

    const b = new HttpBrowser();
    const { page } = await toGate(b, alice);
    expect(page.url).toBe(`${w.foyer.url}/mfa/passkey`);
    const assertion = (key: SoftwareCredential, on: PageResponse) => JSON.stringify(key.assert(passkeyOptions(on).challenge));
    // Mallory's credential, signing the challenge of Alice's sign-in.
    const refused = await b.submit(page, formWith(page, 'response'), { response: assertion(malloryKey, page) });
    expect(refused.status).toBe(400);
    expect(visibleText(refused)).toContain('The passkey could not be used');
    expect(atApp(refused.url)).toBe(false);
    // Mallory's credential, signing the challenge of her own sign-in, posted to Alice's.
    const m = new HttpBrowser();
    const own = await toGate(m, mallory);
    const again = await b.submit(refused, formWith(refused, 'response'), { response: assertion(malloryKey, own.page) });
    expect(again.status).toBe(400);
    expect(atApp(again.url)).toBe(false);
    expect(signIns()).toBe(before);
    expect((await methodsOf(mallory))[0]!.lastUsedAt).toBeNull();

    // Alice's own credential on the page that now shows: she signs in (the refusals were not the page's fault).
    const landed = await b.submit(again, formWith(again, 'response'), { response: assertion(aliceKey, again) });
    expect(atApp(landed.url)).toBe(true);
    expect(signIns()).toBe(before + 1);
    expect(lastSignIn()).toMatchObject({ oid: alice.id, amr: expect.arrayContaining(['pwd', 'hwk', 'mfa']) });
  });

  it('the MFA step is not skipped by replaying the interaction’s URLs: the sign-in page again, its return address before the gate is done, or with a done gate of another sign-in', async () => {
    const victim = await member();
    const attacker = await member();
    const before = signIns();
    const b = new HttpBrowser();
    const { uid } = await toGate(b, victim);
    const interaction = `${w.foyer.url}/${tenantId}/login/${uid}`;
    const isReturn = (u: string) => /\/login\/[^/]+\/mfa$/.test(new URL(u).pathname);

    // The sign-in page again: this browser proved the password a moment ago, and goes through the gate again.
    const replayed = await b.go(interaction, {}, atApp);
    expect(atApp(replayed.url)).toBe(false);
    expect(replayed.url).toBe(`${w.foyer.url}/mfa`);
    expect(visibleText(replayed)).toContain('Verify your identity');

    // The MFA pages' return address, before any second factor.
    const early = await b.go(`${interaction}/mfa`, {}, atApp);
    expect(early.status).toBe(400);
    expect(visibleText(early)).toContain('This sign-in page has expired');

    // A done gate of another person's sign-in (the attacker's own, proved with the attacker's own app in
    // another browser, its return not followed), planted in the victim's browser.
    const x = new HttpBrowser();
    const theirs = await toGate(x, attacker);
    const proved = await x.submit(theirs.page, formWith(theirs.page, 'code'), { code: codeAt(attacker, 0) }, isReturn);
    expect(proved.status).toBe(303);
    expect(proved.url).toBe(`${w.foyer.url}/${tenantId}/login/${theirs.uid}/mfa`);
    const doneGate = (await x.jar.getCookies(w.foyer.url)).find((c) => c.key === 'foyer_mfa');
    expect(doneGate).toBeDefined();
    await b.jar.setCookie(doneGate!.toString(), w.foyer.url);
    const planted = await b.go(`${interaction}/mfa`, {}, atApp);
    expect(planted.status).toBe(400);
    expect(atApp(planted.url)).toBe(false);
    // At the MFA pages the planted gate leads only to its own interaction, which this browser is not in.
    const followed = await b.go(`${w.foyer.url}/mfa`, {}, atApp);
    expect(followed.status).toBe(400);
    expect(atApp(followed.url)).toBe(false);

    // A done gate of the same interaction, proved by the attacker, kept aside while the victim's password
    // is typed in that interaction, then put back.
    const y = new HttpBrowser();
    const start = await y.go(`${w.portal.url}/login`, {}, atApp);
    const pw = await y.submit(start, formWith(start, 'email'), { email: attacker.upn });
    const attackerGate = await y.submit(pw, formWith(pw, 'password'), { password: PASSWORD }, atApp);
    const attackerDone = await y.submit(attackerGate, formWith(attackerGate, 'code'), { code: codeAt(attacker, 1) }, isReturn);
    expect(attackerDone.url).toBe(`${start.url}/mfa`);
    const kept = (await y.jar.getCookies(w.foyer.url)).find((c) => c.key === 'foyer_mfa')!;
    const victimPw = await y.submit(start, formWith(start, 'email'), { email: victim.upn });
    const victimGate = await y.submit(victimPw, formWith(victimPw, 'password'), { password: PASSWORD }, atApp);
    expect(visibleText(victimGate)).toContain('Verify your identity');
    await y.jar.setCookie(kept.toString(), w.foyer.url);
    const back = await y.go(`${start.url}/mfa`, {}, atApp);
    expect(back.status).toBe(400);
    expect(atApp(back.url)).toBe(false);

    expect(signIns()).toBe(before);
    expect(w.portal.results.some((r) => r.claims.oid === victim.id)).toBe(false);

    // The attacker's own first sign-in, followed to its end, signs in the attacker and no one else.
    const own = await x.go(proved.url);
    expect(atApp(own.url)).toBe(true);
    expect(signIns()).toBe(before + 1);
    expect(lastSignIn()).toMatchObject({ oid: attacker.id });
  });

  it('an MFA step left open ends with the sign-in it came from: after a revocation, a stolen password registers no method and gets no code', async () => {
    const victim = await member(false);
    const before = signIns();
    const b = new HttpBrowser();
    const { page: gate, uid } = await toGate(b, victim);
    expect(visibleText(gate)).toContain('More information required');
    const setup = await b.go(`${w.foyer.url}/mfa/totp/register`);
    const secret = (/<code id="totp-key">([^<]+)<\/code>/.exec(setup.body)?.[1] ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // The owner notices and an administrator ends every sign-in of the account.
    clock.advance(1000);
    await revokeSignInSessions(ctx, tenantId, victim.id);
    clock.advance(1000);
    const registered = await b.submit(setup, formWith(setup, 'code'), { code: totpCodeAt(secret, clock.now()) }, atApp);
    expect(registered.status).toBe(400);
    expect(visibleText(registered)).toContain('This page has expired');
    expect(await methodsOf(victim)).toHaveLength(0);
    expect((await b.go(`${w.foyer.url}/${tenantId}/login/${uid}/mfa`, {}, atApp)).status).toBe(400);
    expect(signIns()).toBe(before);
  });

  it('a person with an authenticator app cannot add a method at the challenge: the registration pages send back to /mfa and store nothing', async () => {
    const p = await member();
    const before = signIns();
    const b = new HttpBrowser();
    const { page } = await toGate(b, p);
    expect(visibleText(page)).toContain('Verify your identity');
    const csrf = forms(page)[formWith(page, 'code')]!.fields._csrf!;
    const backToMfa = (res: PageResponse) => {
      expect(res.status, res.url).toBe(303);
      expect(res.headers.get('location')).toBe('/mfa');
    };

    backToMfa(await b.request(`${w.foyer.url}/mfa/totp/register`));
    backToMfa(await b.request(`${w.foyer.url}/mfa/passkey/register`));
    // The attacker's own authenticator app, confirmed with its own code.
    const theirs = newTotpSecret();
    backToMfa(await b.request(`${w.foyer.url}/mfa/totp/register`, { method: 'POST', form: { _csrf: csrf, code: totpCodeAt(theirs, clock.now()) } }));
    // The attacker's own passkey, answering the challenge the gate holds (from the passkey challenge page).
    const passkeyPage = await b.go(`${w.foyer.url}/mfa/passkey`);
    const key = newKey();
    const registration = JSON.stringify(key.register(passkeyOptions(passkeyPage).challenge));
    const pkCsrf = forms(passkeyPage)[formWith(passkeyPage, 'response')]!.fields._csrf!;
    backToMfa(await b.request(`${w.foyer.url}/mfa/passkey/register`, { method: 'POST', form: { _csrf: pkCsrf, response: registration, name: 'Mine' } }));
    backToMfa(
      await b.request(`${w.foyer.url}/mfa/passkey/register`, {
        method: 'POST',
        form: { _csrf: pkCsrf, response: JSON.stringify(key.register(b64url('forged'))) },
      }),
    );

    const methods = await methodsOf(p);
    expect(methods.map((m) => m.kind)).toEqual(['softwareOath']);
    expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, p.id)).toBe(0);
    // The attacker's app is no way past the challenge either.
    const challenge = await b.go(`${w.foyer.url}/mfa`);
    const refused = await submitCode(b, challenge, totpCodeAt(theirs, clock.now()));
    expect(refused.status).toBe(400);
    expect(atApp(refused.url)).toBe(false);
    expect(signIns()).toBe(before);
  });

  describe('CSRF: every MFA form posted without its token, or with another browser’s, is refused (403) and changes nothing', () => {
    /** A valid CSRF token of another browser (its own sign-in page). */
    async function foreignToken(): Promise<string> {
      const other = new HttpBrowser();
      const page = await other.go(`${w.portal.url}/login`, {}, atApp);
      return forms(page)[formWith(page, 'email')]!.fields._csrf!;
    }

    async function refusedWithoutToken(b: HttpBrowser, path: string, fields: Record<string, string>): Promise<void> {
      const foreign = await foreignToken();
      for (const form of [fields, { ...fields, _csrf: foreign }]) {
        const res = await b.request(`${w.foyer.url}${path}`, { method: 'POST', form });
        expect(res.status, `${path} ${form._csrf ? 'with a foreign token' : 'without a token'}`).toBe(403);
        expect(visibleText(res)).toContain('This form has expired or was not sent from this page');
      }
    }

    it('the challenge forms: authenticator code, recovery code, passkey, continue', async () => {
      const p = await member();
      const key = newKey();
      await addKey(p, key);
      const codes = await issueRecoveryCodes(ctx, tenantId, p.id);
      const before = signIns();
      const b = new HttpBrowser();
      const { page, uid } = await toGate(b, p);
      expect(visibleText(page)).toContain('Verify your identity');

      await refusedWithoutToken(b, '/mfa/totp', { code: codeAt(p, 0) });
      await refusedWithoutToken(b, '/mfa/recovery', { code: codes[0]! });
      const passkeyPage = await b.go(`${w.foyer.url}/mfa/passkey`);
      await refusedWithoutToken(b, '/mfa/passkey', { response: JSON.stringify(key.assert(passkeyOptions(passkeyPage).challenge)) });
      await refusedWithoutToken(b, '/mfa/continue', {});

      expect((await methodsOf(p)).map((m) => m.lastUsedAt)).toEqual([null, null]);
      expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, p.id)).toBe(10);
      expect((await b.go(`${w.foyer.url}/${tenantId}/login/${uid}/mfa`, {}, atApp)).status).toBe(400);
      expect(signIns()).toBe(before);

      // The same code, from the page's own form: not spent by the refused posts.
      const landed = await submitCode(b, await b.go(`${w.foyer.url}/mfa/totp`), codeAt(p, 0));
      expect(atApp(landed.url)).toBe(true);
      expect(signIns()).toBe(before + 1);
    });

    it('the registration forms: authenticator app, passkey, and the recovery codes’ continue', async () => {
      const p = await member(false);
      const before = signIns();
      const b = new HttpBrowser();
      const { page } = await toGate(b, p);
      expect(visibleText(page)).toContain('More information required');

      const setup = await b.go(`${w.foyer.url}/mfa/totp/register`);
      const secret = (/<code id="totp-key">([^<]*)<\/code>/.exec(setup.body)?.[1] ?? '').replace(/\s+/g, '');
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await refusedWithoutToken(b, '/mfa/totp/register', { code: totpCodeAt(secret, clock.now()) });
      const passkeyPage = await b.go(`${w.foyer.url}/mfa/passkey/register`);
      const key = newKey();
      const registration = JSON.stringify(key.register(passkeyOptions(passkeyPage).challenge));
      await refusedWithoutToken(b, '/mfa/passkey/register', { response: registration, name: 'Key' });
      expect(await methodsOf(p)).toEqual([]);

      // Registered from the page's own form, the recovery codes are shown; their Continue needs the token too.
      const codesPage = await b.submit(passkeyPage, formWith(passkeyPage, 'response'), { response: registration, name: 'Key' });
      expect(visibleText(codesPage)).toContain('Save your recovery codes');
      expect(await methodsOf(p)).toHaveLength(1);
      await refusedWithoutToken(b, '/mfa/continue', {});
      expect(signIns()).toBe(before);
      const landed = await b.press(codesPage, 'Continue');
      expect(atApp(landed.url)).toBe(true);
      expect(signIns()).toBe(before + 1);
    });
  });

  it('an e-mail one-time passcode is a first factor only: a passcode guest is sent to register a second factor after consent, and later to prove it, before the app gets a code', async () => {
    const address = 'oona@outlook.example';
    const inv = await w.invite(address, { sendInvitationMessage: false });
    const before = signIns();
    const viaPasscode = async (b: HttpBrowser, page: PageResponse) => {
      const sent = w.smtp.messages.length;
      const form = await b.press(page, 'Send code');
      return b.submit(form, formWith(form, 'code'), { code: await w.passcode(address, sent) }, atApp);
    };

    // Redemption: after consent, "More information required" instead of the app.
    const b = new HttpBrowser();
    const consent = await viaPasscode(b, await b.press(await b.go(inv.redeemUrl), 'Next'));
    const afterConsent = await b.press(consent, 'Accept', {}, atApp);
    expect(afterConsent.url).toBe(`${w.foyer.url}/mfa`);
    expect(visibleText(afterConsent)).toContain('More information required');
    expect(signIns()).toBe(before);

    // The guest's authenticator app, registered elsewhere: single sign-on with this browser's passcode
    // session (amr otp) leads to the challenge, not the app.
    const guest: Person = { id: inv.guestId, upn: address, secret: newTotpSecret() };
    expect((await addTotpMethod(ctx, { tenantId, userId: guest.id, secret: guest.secret, code: codeAt(guest, -1), displayName: 'Phone' })).ok).toBe(true);
    const sso = await b.go(`${w.portal.url}/login`, {}, atApp);
    expect(atApp(sso.url)).toBe(false);
    expect(visibleText(sso)).toContain('Verify your identity');

    // A fresh sign-in with a new passcode: the challenge again.
    const fresh = new HttpBrowser();
    const start = await fresh.go(`${w.portal.url}/login`, {}, atApp);
    const step = await fresh.submit(start, formWith(start, 'email'), { email: address });
    const challenge = await viaPasscode(fresh, step);
    expect(atApp(challenge.url)).toBe(false);
    expect(visibleText(challenge)).toContain('Verify your identity');
    expect(signIns()).toBe(before);

    // With the app's code the guest lands, and the ID token names both factors.
    const landed = await submitCode(fresh, challenge, codeAt(guest, 0));
    expect(atApp(landed.url)).toBe(true);
    expect(signIns()).toBe(before + 1);
    expect(lastSignIn()).toMatchObject({ oid: guest.id, amr: expect.arrayContaining(['otp', 'mfa']) });
  });

  // A browser holding the tenant's OpenID provider session gets codes for other apps of the tenant from
  // oidc-provider without any page: Conditional Access must still be asked (oidc/sign-in-checks.ts).
  describe('a tenant with an app-specific MFA policy (Payroll), signInFrequency one hour', () => {
    let payroll: RelyingParty;
    let wiki: RelyingParty;
    let tenant: TestTenant;
    let nina: Person;
    const atPayroll = (u: string) => u.startsWith(`${payroll.url}/callback`);

    beforeAll(async () => {
      tenant = await w.foyer.createTenant('Northwind', { domains: ['northwind.example'] });
      const payrollApp = await reserveRelyingParty();
      const registered = await w.foyer.createApp(tenant.id, { displayName: 'Payroll', redirectUris: [payrollApp.redirectUri] });
      payroll = await startRelyingParty(tenant.issuer, registered, payrollApp);
      wiki = await startTenantApp(w.foyer, tenant, 'Wiki');
      const security = await appToken(
        w.foyer,
        tenant,
        await w.foyer.createApp(tenant.id, { displayName: 'Security admin', applicationPermissions: ['Policy.ReadWrite.ConditionalAccess'] }),
      );
      const policy = await graph(w.foyer, security, 'POST', '/identity/conditionalAccess/policies', {
        displayName: 'Payroll needs MFA every hour',
        state: 'enabled',
        conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: [registered.appId] } },
        grantControls: { operator: 'OR', builtInControls: ['mfa'] },
        sessionControls: { signInFrequency: { value: 1, type: 'hours', isEnabled: true } },
      });
      expect(policy.status).toBe(201);
      const user = await createMember(ctx, tenant.id, { userPrincipalName: 'nina@northwind.example', displayName: 'Nina', password: PASSWORD });
      nina = { id: user.id, upn: 'nina@northwind.example', secret: newTotpSecret() };
      const added = await addTotpMethod(ctx, { tenantId: tenant.id, userId: nina.id, secret: nina.secret, code: codeAt(nina, -1), displayName: 'Phone' });
      expect(added.ok).toBe(true);
    });
    afterAll(async () => {
      await payroll?.close();
      await wiki?.close();
    });

    async function signInWithPassword(b: HttpBrowser, app: RelyingParty): Promise<PageResponse> {
      const start = await b.go(`${app.url}/login`);
      const pw = await b.submit(start, formWith(start, 'email'), { email: nina.upn });
      return b.submit(pw, formWith(pw, 'password'), { password: PASSWORD });
    }

    it('a sign-in to the wiki with the password alone does not open Payroll in that browser without the second factor', async () => {
      // Payroll on its own asks for the code.
      const alone = await signInWithPassword(new HttpBrowser(), payroll);
      expect(visibleText(alone)).toContain('Verify your identity');

      const b = new HttpBrowser();
      const signedIn = await signInWithPassword(b, wiki);
      expect(signedIn.url.startsWith(`${wiki.url}/callback`)).toBe(true);
      expect(wiki.results.at(-1)!.claims.amr).toEqual(['pwd']);
      const next = await b.go(`${payroll.url}/login`);
      expect(atPayroll(next.url)).toBe(false);
      expect(visibleText(next)).toContain('Verify your identity');
      expect(payroll.results).toHaveLength(0);
      // With her code she is in.
      expect(atPayroll((await submitCode(b, next, codeAt(nina, 0))).url)).toBe(true);
      expect(payroll.results.at(-1)!.claims).toMatchObject({ oid: nina.id, amr: expect.arrayContaining(['pwd', 'otp', 'mfa']) });
    });

    // Last in the file: it moves Foyer's clock two hours on.
    it('Payroll asks for the second factor again once its signInFrequency (one hour) has passed', async () => {
      const b = new HttpBrowser();
      const gate = await signInWithPassword(b, payroll);
      const landed = await submitCode(b, gate, codeAt(nina, 1));
      expect(atPayroll(landed.url)).toBe(true);
      const before = payroll.results.length;
      clock.advance(2 * 3600_000);
      const later = await b.go(`${payroll.url}/login`);
      expect(atPayroll(later.url)).toBe(false);
      expect(visibleText(later)).toContain('Verify your identity');
      expect(payroll.results).toHaveLength(before);
      // Proved again, the browser's sign-ins to Payroll go through for the next hour.
      expect(atPayroll((await submitCode(b, later, codeAt(nina, 0))).url)).toBe(true);
      expect(atPayroll((await b.go(`${payroll.url}/login`)).url)).toBe(true);
      expect(payroll.results).toHaveLength(before + 2);
    });
  });
});
