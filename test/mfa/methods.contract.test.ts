/**
 * A person's second factors on both backends: listed oldest first, found and removed only by their owner,
 * all removed (with the recovery codes) by an administrator's reset; and recovery codes, ten single-use
 * codes that a new set retires.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteAllMethods, deleteMethod, findMethod, listMethods } from '../../src/mfa/methods.js';
import { issueRecoveryCodes, recoveryCodesLeft, useRecoveryCode } from '../../src/mfa/recovery-codes.js';
import { addTotpMethod, newTotpSecret, totpCodeAt, verifyTotp } from '../../src/mfa/totp.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends } from '../support/backends.js';
import { mfaWorld } from '../support/mfa-world.js';

describe.each(backends)('second-factor methods on $name', (backend) => {
  const world = mfaWorld(backend);
  const { clock } = world;
  const person = world.person;
  let ctx: AppContext;
  let tenantId: string;
  beforeAll(() => {
    ({ ctx, tenantId } = world);
  });

  async function addApp(userId: string, displayName: string): Promise<{ id: string; secret: string }> {
    const secret = newTotpSecret();
    const added = await addTotpMethod(ctx, { tenantId, userId, secret, code: totpCodeAt(secret, clock.now()), displayName });
    if (!added.ok) throw new Error(added.reason);
    clock.advance(1000);
    return { id: added.method.id, secret };
  }

  describe('methods', () => {
    it('lists a person’s methods oldest first, without their secrets', async () => {
      const userId = await person();
      const phone = await addApp(userId, 'Phone');
      const tablet = await addApp(userId, 'Tablet');
      await addApp(await person(), 'Someone else’s phone');
      const methods = await listMethods(ctx.db.kysely, tenantId, userId);
      expect(methods.map((m) => [m.id, m.displayName])).toEqual([
        [phone.id, 'Phone'],
        [tablet.id, 'Tablet'],
      ]);
      expect(methods[0]).toEqual({
        id: phone.id,
        kind: 'softwareOath',
        displayName: 'Phone',
        createdAt: expect.any(Number),
        lastUsedAt: null,
        aaguid: null,
        backedUp: null,
      });
      expect(methods[0]!.createdAt).toBeLessThan(methods[1]!.createdAt);
    });

    it('finds and deletes a method only for its owner', async () => {
      const owner = await person();
      const stranger = await person();
      const app = await addApp(owner, 'Phone');
      expect(await findMethod(ctx.db.kysely, tenantId, owner, app.id)).toMatchObject({ id: app.id, displayName: 'Phone' });
      expect(await findMethod(ctx.db.kysely, tenantId, stranger, app.id)).toBeUndefined();
      expect(await deleteMethod(ctx.db.kysely, tenantId, stranger, app.id)).toBe(false);
      expect(await listMethods(ctx.db.kysely, tenantId, owner)).toHaveLength(1);

      expect(await deleteMethod(ctx.db.kysely, tenantId, owner, app.id)).toBe(true);
      expect(await deleteMethod(ctx.db.kysely, tenantId, owner, app.id)).toBe(false);
      expect(await findMethod(ctx.db.kysely, tenantId, owner, app.id)).toBeUndefined();
      clock.advance(60_000);
      expect(await verifyTotp(ctx, { tenantId, userId: owner, code: totpCodeAt(app.secret, clock.now()) })).toEqual({ ok: false, reason: 'no-method' });
    });

    it('an administrator’s reset removes every method and recovery code of the person, and nobody else’s', async () => {
      const userId = await person();
      const other = await person();
      await addApp(userId, 'Phone');
      await addApp(userId, 'Tablet');
      await addApp(other, 'Phone');
      const codes = await issueRecoveryCodes(ctx, tenantId, userId);
      await issueRecoveryCodes(ctx, tenantId, other);

      const removed = await ctx.db.transaction((trx) => deleteAllMethods(trx, tenantId, userId));
      expect(removed).toBe(2);
      expect(await listMethods(ctx.db.kysely, tenantId, userId)).toEqual([]);
      expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, userId)).toBe(0);
      expect(await useRecoveryCode(ctx, { tenantId, userId, code: codes[0]! })).toEqual({ ok: false, reason: 'no-method' });
      expect(await listMethods(ctx.db.kysely, tenantId, other)).toHaveLength(1);
      expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, other)).toBe(10);
      expect(await deleteAllMethods(ctx.db.kysely, tenantId, userId)).toBe(0);
    });
  });

  describe('recovery codes', () => {
    it('issues ten distinct codes shaped xxxxx-xxxxx from an alphabet without look-alikes, stored hashed', async () => {
      const userId = await person();
      const codes = await issueRecoveryCodes(ctx, tenantId, userId);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/);
      expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, userId)).toBe(10);
      const stored = await ctx.db.kysely.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', userId).execute();
      const hashes = stored.map((r) => r.code_hash).join(' ');
      for (const code of codes) {
        expect(hashes).not.toContain(code);
        expect(hashes).not.toContain(code.replace('-', ''));
      }
    });

    it('takes each code once, and counts down', async () => {
      const userId = await person();
      const codes = await issueRecoveryCodes(ctx, tenantId, userId);
      for (const [i, code] of codes.entries()) {
        expect(await useRecoveryCode(ctx, { tenantId, userId, code })).toEqual({ ok: true, left: 9 - i });
        if (i < codes.length - 1) expect(await useRecoveryCode(ctx, { tenantId, userId, code })).toEqual({ ok: false, reason: 'wrong-code' });
      }
      expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, userId)).toBe(0);
      expect(await useRecoveryCode(ctx, { tenantId, userId, code: codes[0]! })).toEqual({ ok: false, reason: 'no-method' });
    });

    it('accepts a code in any letter case, with or without the dash, with spaces', async () => {
      const userId = await person();
      const [a, b, c] = await issueRecoveryCodes(ctx, tenantId, userId);
      expect((await useRecoveryCode(ctx, { tenantId, userId, code: a!.toUpperCase() })).ok).toBe(true);
      expect((await useRecoveryCode(ctx, { tenantId, userId, code: b!.replace('-', '') })).ok).toBe(true);
      expect((await useRecoveryCode(ctx, { tenantId, userId, code: ` ${c!.slice(0, 5)} ${c!.slice(6)} ` })).ok).toBe(true);
    });

    it('a new set retires the old one', async () => {
      const userId = await person();
      const old = await issueRecoveryCodes(ctx, tenantId, userId);
      await useRecoveryCode(ctx, { tenantId, userId, code: old[0]! });
      const fresh = await issueRecoveryCodes(ctx, tenantId, userId);
      expect(await recoveryCodesLeft(ctx.db.kysely, tenantId, userId)).toBe(10);
      expect(await useRecoveryCode(ctx, { tenantId, userId, code: old[1]! })).toEqual({ ok: false, reason: 'wrong-code' });
      expect(await useRecoveryCode(ctx, { tenantId, userId, code: fresh[0]! })).toEqual({ ok: true, left: 9 });
    });

    it('a code works only for the person it was issued to', async () => {
      const owner = await person();
      const other = await person();
      const [code] = await issueRecoveryCodes(ctx, tenantId, owner);
      await issueRecoveryCodes(ctx, tenantId, other);
      expect(await useRecoveryCode(ctx, { tenantId, userId: other, code: code! })).toEqual({ ok: false, reason: 'wrong-code' });
      expect((await useRecoveryCode(ctx, { tenantId, userId: owner, code: code! })).ok).toBe(true);
    });

    it('two simultaneous uses of one code succeed once', async () => {
      const userId = await person();
      const [code] = await issueRecoveryCodes(ctx, tenantId, userId);
      const results = await Promise.all([1, 2, 3].map(() => useRecoveryCode(ctx, { tenantId, userId, code: code! })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it('shares the attempt limit with authenticator codes: guesses lock both', async () => {
      const limit = ctx.config.signInAttemptLimit;
      const userId = await person();
      const app = await addApp(userId, 'Phone');
      const [code] = await issueRecoveryCodes(ctx, tenantId, userId);
      clock.advance(60_000);
      for (let i = 0; i < limit; i++) {
        expect(await useRecoveryCode(ctx, { tenantId, userId, code: 'aaaaa-aaaaa' })).toEqual({ ok: false, reason: 'wrong-code' });
      }
      expect(await useRecoveryCode(ctx, { tenantId, userId, code: code! })).toMatchObject({ ok: false, reason: 'locked', retryAfterMs: expect.any(Number) });
      expect(await verifyTotp(ctx, { tenantId, userId, code: totpCodeAt(app.secret, clock.now()) })).toMatchObject({ ok: false, reason: 'locked' });
    });
  });
});
