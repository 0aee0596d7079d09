/**
 * Passkeys and security keys on both backends, against a software authenticator
 * (test/support/webauthn-authenticator.ts: an ES256 key from node:crypto, authenticator data and a 'none'
 * attestation built by hand as WebAuthn §6.1 and §6.5 lay them out): registration with user verification, sign-in, the other user's credential, the
 * signature counter that betrays a clone, and the shared attempt limit.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { listMethods } from '../../src/mfa/methods.js';
import { addPasskey, passkeyAuthenticationOptions, passkeyRegistrationOptions, verifyPasskey } from '../../src/mfa/passkeys.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends } from '../support/backends.js';
import { mfaWorld } from '../support/mfa-world.js';
import { b64url, RP_ID, SoftwareCredential } from '../support/webauthn-authenticator.js';

describe.each(backends)('passkeys on $name', (backend) => {
  const world = mfaWorld(backend);
  const { clock } = world;
  const person = world.member;
  let ctx: AppContext;
  let tenantId: string;
  beforeAll(() => {
    ({ ctx, tenantId } = world);
  });

  async function register(user: { id: string; name: string; displayName: string }, credential: SoftwareCredential, displayName = 'YubiKey') {
    const options = await passkeyRegistrationOptions(ctx, { tenantId, user, rpName: 'Contoso' });
    return addPasskey(ctx, { tenantId, userId: user.id, response: credential.register(options.challenge), expectedChallenge: options.challenge, displayName });
  }

  async function signIn(userId: string, credential: SoftwareCredential, counter?: number) {
    const options = await passkeyAuthenticationOptions(ctx, { tenantId, userId });
    return verifyPasskey(ctx, { tenantId, userId, response: credential.assert(options.challenge, counter), expectedChallenge: options.challenge });
  }

  it('asks for a resident key with user verification on Foyer’s host, without attestation', async () => {
    const user = await person();
    const options = await passkeyRegistrationOptions(ctx, { tenantId, user, rpName: 'Contoso' });
    expect(options.rp).toEqual({ id: RP_ID, name: 'Contoso' });
    expect(options.user).toMatchObject({ name: user.name, displayName: user.displayName, id: b64url(user.id) });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'preferred', userVerification: 'required' });
    expect(options.attestation).toBe('none');
    expect(options.excludeCredentials).toEqual([]);
    expect(options.challenge).toMatch(/^[\w-]{32,}$/);
  });

  it('registers a security key, then excludes it from the next registration and allows it at sign-in', async () => {
    const user = await person();
    const key = new SoftwareCredential();
    const added = await register(user, key, '  ');
    expect(added).toMatchObject({
      ok: true,
      method: { kind: 'fido2', displayName: 'Passkey', backedUp: false, aaguid: '01234567-89ab-cdef-0123-456789abcdef' },
    });
    expect(await listMethods(ctx.db.kysely, tenantId, user.id)).toHaveLength(1);

    const again = await passkeyRegistrationOptions(ctx, { tenantId, user, rpName: 'Contoso' });
    expect(again.excludeCredentials).toEqual([{ id: b64url(key.id), type: 'public-key', transports: ['usb'] }]);
    const request = await passkeyAuthenticationOptions(ctx, { tenantId, userId: user.id });
    expect(request.rpId).toBe(RP_ID);
    expect(request.userVerification).toBe('required');
    expect(request.allowCredentials).toEqual([{ id: b64url(key.id), type: 'public-key', transports: ['usb'] }]);
  });

  it('refuses a registration without user verification, for another origin, or for another challenge', async () => {
    const user = await person();
    expect(await register(user, new SoftwareCredential({ userVerified: false }))).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await register(user, new SoftwareCredential({ origin: 'https://evil.example' }))).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await register(user, new SoftwareCredential({ rpId: 'evil.example' }))).toEqual({ ok: false, reason: 'wrong-code' });
    const options = await passkeyRegistrationOptions(ctx, { tenantId, user, rpName: 'Contoso' });
    const response = new SoftwareCredential().register('c29tZXRoaW5nIGVsc2U');
    expect(await addPasskey(ctx, { tenantId, userId: user.id, response, expectedChallenge: options.challenge, displayName: 'Key' })).toEqual({
      ok: false,
      reason: 'wrong-code',
    });
    expect(await listMethods(ctx.db.kysely, tenantId, user.id)).toEqual([]);
  });

  it('refuses a credential already registered, by this person or another', async () => {
    const user = await person();
    const other = await person();
    const key = new SoftwareCredential();
    expect((await register(user, key)).ok).toBe(true);
    expect(await register(user, key)).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await register(other, key)).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await listMethods(ctx.db.kysely, tenantId, other.id)).toEqual([]);
  });

  it('signs in with a device-bound key as hwk and a synced passkey as swk, and records the use', async () => {
    const user = await person();
    const key = new SoftwareCredential();
    const synced = new SoftwareCredential({ synced: true });
    const keyMethod = await register(user, key);
    const syncedMethod = await register(user, synced, 'iCloud Keychain');
    expect(syncedMethod.ok && syncedMethod.method.backedUp).toBe(true);
    clock.advance(60_000);
    expect(await signIn(user.id, key)).toEqual({ ok: true, methodId: keyMethod.ok && keyMethod.method.id, amr: 'hwk' });
    expect(await signIn(user.id, synced, 0)).toEqual({ ok: true, methodId: syncedMethod.ok && syncedMethod.method.id, amr: 'swk' });
    expect(await signIn(user.id, synced, 0)).toMatchObject({ ok: true, amr: 'swk' });
    const methods = await listMethods(ctx.db.kysely, tenantId, user.id);
    expect(methods.map((m) => m.lastUsedAt)).toEqual([clock.now(), clock.now()]);
  });

  it('refuses another person’s passkey, an unknown one, and a person without any', async () => {
    const owner = await person();
    const other = await person();
    const key = new SoftwareCredential();
    await register(owner, key);
    await register(other, new SoftwareCredential());
    const options = await passkeyAuthenticationOptions(ctx, { tenantId, userId: other.id });
    expect(await verifyPasskey(ctx, { tenantId, userId: other.id, response: key.assert(options.challenge), expectedChallenge: options.challenge })).toEqual({
      ok: false,
      reason: 'wrong-code',
    });
    expect(await signIn(other.id, new SoftwareCredential())).toEqual({ ok: false, reason: 'wrong-code' });
    const nobody = await person();
    expect(await signIn(nobody.id, key)).toEqual({ ok: false, reason: 'no-method' });
  });

  it('refuses an assertion signed for another challenge or origin', async () => {
    const user = await person();
    const key = new SoftwareCredential();
    await register(user, key);
    const options = await passkeyAuthenticationOptions(ctx, { tenantId, userId: user.id });
    const forOther = key.assert('b3RoZXItY2hhbGxlbmdl');
    expect(await verifyPasskey(ctx, { tenantId, userId: user.id, response: forOther, expectedChallenge: options.challenge })).toEqual({
      ok: false,
      reason: 'wrong-code',
    });
    const tampered = key.assert(options.challenge);
    tampered.response.signature = b64url(randomBytes(70));
    expect(await verifyPasskey(ctx, { tenantId, userId: user.id, response: tampered, expectedChallenge: options.challenge })).toEqual({
      ok: false,
      reason: 'wrong-code',
    });
  });

  it('refuses a signature counter that did not grow (a cloned authenticator) and keeps the stored counter', async () => {
    const user = await person();
    const key = new SoftwareCredential();
    const added = await register(user, key);
    const methodId = added.ok ? added.method.id : '';
    const storedCounter = async () =>
      Number((await ctx.db.kysely.selectFrom('authentication_methods').select('sign_count').where('id', '=', methodId).executeTakeFirstOrThrow()).sign_count);
    expect((await signIn(user.id, key, 5)).ok).toBe(true);
    expect(await storedCounter()).toBe(5);
    expect(await signIn(user.id, key, 5)).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await signIn(user.id, key, 3)).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await signIn(user.id, key, 0)).toEqual({ ok: false, reason: 'wrong-code' });
    expect(await storedCounter()).toBe(5);
    expect((await signIn(user.id, key, 6)).ok).toBe(true);
    expect(await storedCounter()).toBe(6);
  });

  it('counts failed passkey attempts against the person’s second-factor limit', async () => {
    const limit = ctx.config.signInAttemptLimit;
    const user = await person();
    const key = new SoftwareCredential();
    await register(user, key);
    for (let i = 0; i < limit; i++) expect(await signIn(user.id, new SoftwareCredential())).toEqual({ ok: false, reason: 'wrong-code' });
    const locked = await signIn(user.id, key);
    expect(locked).toMatchObject({ ok: false, reason: 'locked', retryAfterMs: expect.any(Number) });
  });
});
