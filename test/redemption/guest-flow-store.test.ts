/**
 * The cookie-backed stores (web/kit/cookie-store.ts) as a browser meets them through the guest flow and
 * the browser session: the cookie holds a random id, the database only its SHA-256; a new flow replaces
 * the browser's old one; a flow ends after its hour; the cookies are HttpOnly, SameSite=Lax, Path=/.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { type GuestWorld, startGuestWorld } from '../support/guests.js';
import { formWith, HttpBrowser, visibleText } from '../support/http-browser.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

describe.each(backends)('the guest flow and browser session stores on $name', (backend) => {
  let w: GuestWorld;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    w = await startGuestWorld(backend, { clock });
  });
  afterAll(() => w?.close());

  const cookie = async (b: HttpBrowser, name: string) => (await b.jar.getCookies(w.foyer.url)).find((c) => c.key === name);
  const flowRows = () => w.foyer.ctx.db.kysely.selectFrom('guest_flows').select('id_hash').execute();

  it('keeps only the hash of the cookie, replaces the browser’s old flow, and sets a session cookie the same way', async () => {
    const inv = await w.invite('flo@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const landing = await b.go(inv.redeemUrl);
    const before = (await flowRows()).length;
    const step = await b.press(landing, 'Next');
    expect(step.status).toBe(200);
    const first = (await cookie(b, 'foyer_guest'))!;
    expect(first).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
    const hashes = (await flowRows()).map((r) => r.id_hash);
    expect(hashes).toContain(sha256(first.value));
    expect(hashes).not.toContain(first.value);
    expect(hashes.length).toBe(before + 1);

    // Starting again from the link: a new id, and the old flow is gone.
    await b.press(await b.go(inv.redeemUrl), 'Next');
    const second = (await cookie(b, 'foyer_guest'))!;
    expect(second.value).not.toBe(first.value);
    const after = (await flowRows()).map((r) => r.id_hash);
    expect(after).not.toContain(sha256(first.value));
    expect(after.length).toBe(before + 1);

    const mailsBefore = w.smtp.messages.length;
    const sent = await b.press(await b.go(`${w.foyer.url}/guest`), 'Send code');
    await b.submit(sent, formWith(sent, 'code'), { code: await w.passcode('flo@outlook.example', mailsBefore) });
    const session = (await cookie(b, 'foyer_session'))!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
    const sessions = await w.foyer.ctx.db.kysely.selectFrom('browser_sessions').select('id_hash').execute();
    expect(sessions.map((r) => r.id_hash)).toContain(sha256(session.value));
  });

  it('a flow left for more than an hour has expired', async () => {
    const inv = await w.invite('late@outlook.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    await b.press(await b.go(inv.redeemUrl), 'Next');
    clock.advance(60 * 60_000 + 1000);
    const page = await b.go(`${w.foyer.url}/guest`);
    expect(page.status).toBe(400);
    expect(visibleText(page)).toContain('This page has expired');
  });
});
