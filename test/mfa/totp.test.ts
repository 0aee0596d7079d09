/**
 * Authenticator apps (TOTP) on both backends: the codes an app shows are accepted within one step of
 * clock skew, each step once, guesses are limited per person (parallel ones too), and the key is sealed
 * at rest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { listMethods } from '../../src/mfa/methods.js';
import { addTotpMethod, newTotpSecret, totpCodeAt, totpQrSvg, totpUri, verifyTotp } from '../../src/mfa/totp.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends } from '../support/backends.js';
import { mfaWorld } from '../support/mfa-world.js';

const STEP = 30_000;

describe('authenticator app codes (pure)', () => {
  it('makes a 160-bit base32 key and the otpauth URI authenticator apps read', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(totpUri(secret, { issuer: 'Contoso', account: 'ada@contoso.example' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Contoso:ada@contoso.example');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Contoso');
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
  });

  it('computes the RFC 6238 test vector (SHA-1, 59 s → 287082 in 6 digits)', () => {
    // RFC 6238 Appendix B: the ASCII key "12345678901234567890", base32-encoded.
    expect(totpCodeAt('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000)).toBe('287082');
    expect(totpCodeAt('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1_111_111_109_000)).toBe('081804');
  });

  it('draws the QR code as an SVG with nothing executable in it', async () => {
    const svg = await totpQrSvg(totpUri(newTotpSecret(), { issuer: 'Contoso', account: 'ada@contoso.example' }));
    expect(svg.trimStart()).toMatch(/^<svg /);
    expect(svg).not.toMatch(/<script|on\w+=|href=|<foreignObject/i);
  });
});

describe.each(backends)('authenticator apps on $name', (backend) => {
  const world = mfaWorld(backend);
  const { clock } = world;
  const person = world.person;
  let ctx: AppContext;
  let tenantId: string;
  beforeAll(() => {
    ({ ctx, tenantId } = world);
  });

  /** A person with one authenticator app, registered now; the clock then moves to a later step. */
  async function personWithApp(): Promise<{ userId: string; secret: string; methodId: string }> {
    const userId = await person();
    const secret = newTotpSecret();
    const added = await addTotpMethod(ctx, { tenantId, userId, secret, code: totpCodeAt(secret, clock.now()), displayName: '' });
    if (!added.ok) throw new Error(`registration failed: ${added.reason}`);
    clock.advance(3 * STEP);
    return { userId, secret, methodId: added.method.id };
  }

  /** Codes that match none of the steps around now. */
  function wrongCodes(secret: string, n: number): string[] {
    const near = new Set([-1, 0, 1].map((d) => totpCodeAt(secret, clock.now() + d * STEP)));
    const codes: string[] = [];
    for (let i = 0; codes.length < n; i++) {
      const code = String((123_457 + i * 7919) % 1_000_000).padStart(6, '0');
      if (!near.has(code)) codes.push(code);
    }
    return codes;
  }

  it('registers an app only with a right first code, named "Authenticator app" by default', async () => {
    const userId = await person();
    const secret = newTotpSecret();
    const wrong = await addTotpMethod(ctx, { tenantId, userId, secret, code: wrongCodes(secret, 1)[0]!, displayName: 'Phone' });
    expect(wrong).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await listMethods(ctx.db.kysely, tenantId, userId)).toEqual([]);

    const added = await addTotpMethod(ctx, { tenantId, userId, secret, code: totpCodeAt(secret, clock.now()), displayName: '  ' });
    expect(added.ok && added.method).toMatchObject({ kind: 'softwareOath', displayName: 'Authenticator app', aaguid: null, backedUp: null });
    expect(await listMethods(ctx.db.kysely, tenantId, userId)).toHaveLength(1);
  });

  it('does not accept the registration code again at sign-in', async () => {
    const userId = await person();
    const secret = newTotpSecret();
    const code = totpCodeAt(secret, clock.now());
    await addTotpMethod(ctx, { tenantId, userId, secret, code, displayName: 'Phone' });
    expect(await verifyTotp(ctx, { tenantId, userId, code })).toEqual({ ok: false, reason: 'wrong-code' });
  });

  it('refuses a key that is not base32 with a clear error', async () => {
    const userId = await person();
    await expect(addTotpMethod(ctx, { tenantId, userId, secret: 'not a key!', code: '123456', displayName: '' })).rejects.toMatchObject({
      code: 'request.invalid_body',
    });
  });

  it('accepts the current code once; the same code replayed is refused', async () => {
    const { userId, secret, methodId } = await personWithApp();
    const code = totpCodeAt(secret, clock.now());
    expect(await verifyTotp(ctx, { tenantId, userId, code })).toEqual({ ok: true, methodId });
    expect(await verifyTotp(ctx, { tenantId, userId, code })).toEqual({ ok: false, reason: 'wrong-code' });
    const [method] = await listMethods(ctx.db.kysely, tenantId, userId);
    expect(method!.lastUsedAt).toBe(clock.now());
  });

  it('accepts two simultaneous submissions of one code once', async () => {
    const { userId, secret } = await personWithApp();
    const code = totpCodeAt(secret, clock.now());
    const results = await Promise.all([1, 2, 3].map(() => verifyTotp(ctx, { tenantId, userId, code })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('accepts a code from the previous or the next step (clock skew), typed with a space', async () => {
    const early = await personWithApp();
    const previous = totpCodeAt(early.secret, clock.now() - STEP);
    expect((await verifyTotp(ctx, { tenantId, userId: early.userId, code: `${previous.slice(0, 3)} ${previous.slice(3)}` })).ok).toBe(true);
    const late = await personWithApp();
    expect((await verifyTotp(ctx, { tenantId, userId: late.userId, code: totpCodeAt(late.secret, clock.now() + STEP) })).ok).toBe(true);
  });

  it('refuses a code two steps away, and an earlier step once a later one was used', async () => {
    const { userId, secret } = await personWithApp();
    expect(await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now() - 2 * STEP) })).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now() + 2 * STEP) })).toEqual({ ok: false, reason: 'wrong-code' });
    expect((await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now()) })).ok).toBe(true);
    expect(await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now() - STEP) })).toEqual({ ok: false, reason: 'wrong-code' });
    clock.advance(STEP);
    expect((await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now()) })).ok).toBe(true);
  });

  it('accepts a code from any of the person’s apps', async () => {
    const { userId } = await personWithApp();
    const second = newTotpSecret();
    const added = await addTotpMethod(ctx, { tenantId, userId, secret: second, code: totpCodeAt(second, clock.now()), displayName: 'Tablet' });
    clock.advance(STEP);
    expect(await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(second, clock.now()) })).toEqual({ ok: true, methodId: added.ok && added.method.id });
  });

  it('says when the person has no app', async () => {
    const userId = await person();
    expect(await verifyTotp(ctx, { tenantId, userId, code: '123456' })).toEqual({ ok: false, reason: 'no-method' });
  });

  it('locks after the attempt limit: then even the right code is refused, until the window ends', async () => {
    const limit = ctx.config.signInAttemptLimit;
    const { userId, secret } = await personWithApp();
    for (const code of [...wrongCodes(secret, limit - 1), 'nonsense']) {
      expect(await verifyTotp(ctx, { tenantId, userId, code })).toEqual({ ok: false, reason: 'wrong-code' });
    }
    const locked = await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now()) });
    expect(locked).toMatchObject({ ok: false, reason: 'locked' });
    expect(!locked.ok && locked.retryAfterMs).toBeGreaterThan(0);
    expect(!locked.ok && locked.retryAfterMs).toBeLessThanOrEqual(ctx.config.signInAttemptWindowSeconds * 1000);

    clock.advance(!locked.ok ? locked.retryAfterMs! : 0);
    expect((await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now()) })).ok).toBe(true);
  });

  it('forgets the failures after a success', async () => {
    const limit = ctx.config.signInAttemptLimit;
    const { userId, secret } = await personWithApp();
    for (const code of wrongCodes(secret, limit - 1)) await verifyTotp(ctx, { tenantId, userId, code });
    expect((await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(secret, clock.now()) })).ok).toBe(true);
    for (const code of wrongCodes(secret, limit - 1)) {
      expect(await verifyTotp(ctx, { tenantId, userId, code })).toEqual({ ok: false, reason: 'wrong-code' });
    }
  });

  it('counts parallel guesses against one budget', async () => {
    const limit = ctx.config.signInAttemptLimit;
    const { userId, secret } = await personWithApp();
    const results = await Promise.all(wrongCodes(secret, limit + 3).map((code) => verifyTotp(ctx, { tenantId, userId, code })));
    const evaluated = results.filter((r) => !r.ok && r.reason === 'wrong-code').length;
    expect(evaluated).toBeLessThanOrEqual(limit);
    expect(results.filter((r) => !r.ok && r.reason === 'locked').length).toBeGreaterThanOrEqual(3);
  });

  it('keeps the key sealed at rest', async () => {
    const { userId, secret } = await personWithApp();
    const row = await ctx.db.kysely
      .selectFrom('authentication_methods')
      .select(['totp_secret', 'totp_last_step'])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret).toBeTruthy();
    expect(row.totp_secret!.toUpperCase()).not.toContain(secret);
    expect(row.totp_secret).not.toContain(Buffer.from(secret).toString('base64url'));
    expect(Number(row.totp_last_step)).toBe(Math.floor((clock.now() - 3 * STEP) / STEP));
  });
});
