/**
 * Passkeys and security keys (WebAuthn Level 2) through @simplewebauthn/server: this file chooses the
 * options and keeps the credentials; the library checks every signature, origin and flag.
 * - The relying party is Foyer's public host (FOYER_PUBLIC_URL): one RP ID for every tenant, since the
 *   tenants share that origin; the tenant's name is only what the authenticator shows.
 * - User verification is required (a PIN or biometric), so a passkey alone is two factors (RFC 8176
 *   `hwk`/`swk` with `user`), and attestation is not asked for ('none'): Foyer trusts no list of models.
 * - Signature counters (WebAuthn §6.1.1): when either the stored or the presented counter is non-zero
 *   and the presented one did not grow, the authenticator may have been cloned; the assertion is refused
 *   and the stored counter kept. Synced passkeys report 0 every time, which passes.
 * The caller keeps the challenge it got from the options and passes it back once: a challenge is
 * single-use, which is what stops an assertion of a counter-less passkey from being replayed.
 */
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import { type AuthenticationMethod, cleanDisplayName, countSecondFactorAttempt, secondFactorSucceeded, toMethod, type Verdict } from './methods.js';

export type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON };

export const DEFAULT_PASSKEY_NAME = 'Passkey';

function relyingParty(ctx: AppContext): { rpID: string; origin: string } {
  const url = new URL(ctx.config.publicUrl);
  return { rpID: url.hostname, origin: url.origin };
}

interface StoredCredential {
  id: string;
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: AuthenticatorTransportFuture[] | undefined;
}

async function credentialsOf(db: Executor, tenantId: string, userId: string): Promise<StoredCredential[]> {
  const rows = await db
    .selectFrom('authentication_methods')
    .select(['id', 'credential_id', 'public_key', 'sign_count', 'transports'])
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .where('kind', '=', 'fido2')
    .orderBy('created_at')
    .execute();
  return rows
    .filter((r) => r.credential_id !== null && r.public_key !== null)
    .map((r) => ({
      id: r.id,
      credentialId: r.credential_id!,
      publicKey: r.public_key!,
      signCount: Number(r.sign_count ?? 0),
      transports: r.transports ? (JSON.parse(r.transports) as AuthenticatorTransportFuture[]) : undefined,
    }));
}

/** Options for `navigator.credentials.create()`: the user's existing credentials excluded, so one authenticator is not registered twice. */
export async function passkeyRegistrationOptions(
  ctx: AppContext,
  r: { tenantId: string; user: { id: string; name: string; displayName: string }; rpName: string },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await credentialsOf(ctx.db.kysely, r.tenantId, r.user.id);
  return generateRegistrationOptions({
    rpName: r.rpName,
    rpID: relyingParty(ctx).rpID,
    // The user handle is the object id: stable, and no personal data stored on the authenticator.
    userID: new TextEncoder().encode(r.user.id),
    userName: r.user.name,
    userDisplayName: r.user.displayName,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });
}

/** Verifies the authenticator's answer to the registration options and stores the credential. */
export async function addPasskey(
  ctx: AppContext,
  r: { tenantId: string; userId: string; response: RegistrationResponseJSON; expectedChallenge: string; displayName: string },
): Promise<Verdict<{ method: AuthenticationMethod }>> {
  const { rpID, origin } = relyingParty(ctx);
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: r.response,
      expectedChallenge: r.expectedChallenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: true,
    });
  } catch (err) {
    ctx.log.info({ tenant: r.tenantId, user: r.userId, err: (err as Error).message }, 'passkey registration refused');
    return { ok: false, reason: 'wrong-code' };
  }
  if (!verified.verified) return { ok: false, reason: 'wrong-code' };
  const info = verified.registrationInfo;
  const now = ctx.clock.now();
  const row = {
    id: newId(),
    tenant_id: r.tenantId,
    user_id: r.userId,
    kind: 'fido2' as const,
    display_name: cleanDisplayName(r.displayName, DEFAULT_PASSKEY_NAME),
    created_at: now,
    last_used_at: null,
    totp_secret: null,
    totp_last_step: null,
    credential_id: info.credential.id,
    public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
    sign_count: info.credential.counter,
    transports: info.credential.transports ? JSON.stringify(info.credential.transports) : null,
    aaguid: info.aaguid,
    // A credential that may be synced leaves the device: it proves something you have less strongly (`swk`).
    backed_up: info.credentialDeviceType === 'multiDevice' || info.credentialBackedUp ? 1 : 0,
  };
  // One credential is one person's (the unique index says so per tenant): a credential already
  // registered, by this user or another, is refused rather than moved, simultaneous attempts included.
  const inserted = await ctx.db.transaction(async (trx) =>
    trx
      .insertInto('authentication_methods')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'credential_id']).doNothing())
      .executeTakeFirst(),
  );
  const stored = Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  if (!stored) {
    ctx.log.warn({ tenant: r.tenantId, user: r.userId }, 'passkey registration refused: credential already registered');
    return { ok: false, reason: 'wrong-code' };
  }
  return { ok: true, method: toMethod(row) };
}

/** Options for `navigator.credentials.get()`: only this user's credentials are allowed. */
export async function passkeyAuthenticationOptions(ctx: AppContext, r: { tenantId: string; userId: string }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const credentials = await credentialsOf(ctx.db.kysely, r.tenantId, r.userId);
  return generateAuthenticationOptions({
    rpID: relyingParty(ctx).rpID,
    allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })),
    userVerification: 'required',
  });
}

/** A credential of another user (or unknown) → 'wrong-code'. A signature counter that did not grow when both are non-zero → refuse as cloned (reason 'wrong-code' is fine but log a warning and DO NOT update the counter). On success update sign_count and last_used_at. amr: 'hwk' for a device-bound credential (backed_up 0), 'swk' for a synced one. Counts attempts like TOTP. */
export async function verifyPasskey(
  ctx: AppContext,
  r: { tenantId: string; userId: string; response: AuthenticationResponseJSON; expectedChallenge: string },
): Promise<Verdict<{ methodId: string; amr: 'hwk' | 'swk' }>> {
  const credentials = await credentialsOf(ctx.db.kysely, r.tenantId, r.userId);
  if (credentials.length === 0) return { ok: false, reason: 'no-method' };
  const locked = await countSecondFactorAttempt(ctx, r.tenantId, r.userId);
  if (locked) return locked;
  const credential = credentials.find((c) => c.credentialId === r.response?.id);
  if (!credential) {
    ctx.log.warn({ tenant: r.tenantId, user: r.userId }, 'passkey refused: not a credential of this user');
    return { ok: false, reason: 'wrong-code' };
  }
  const { rpID, origin } = relyingParty(ctx);
  let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
  try {
    const verified = await verifyAuthenticationResponse({
      response: r.response,
      expectedChallenge: r.expectedChallenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      // The counter rule is applied below, so a suspected clone is told apart from a bad signature.
      credential: { id: credential.credentialId, publicKey: Buffer.from(credential.publicKey, 'base64url'), counter: 0, transports: credential.transports },
      requireUserVerification: true,
    });
    if (!verified.verified) return { ok: false, reason: 'wrong-code' };
    info = verified.authenticationInfo;
  } catch (err) {
    ctx.log.info({ tenant: r.tenantId, user: r.userId, err: (err as Error).message }, 'passkey refused');
    return { ok: false, reason: 'wrong-code' };
  }
  const stored = credential.signCount;
  if ((stored > 0 || info.newCounter > 0) && info.newCounter <= stored) {
    ctx.log.warn(
      { tenant: r.tenantId, user: r.userId, method: credential.id, storedCounter: stored, presentedCounter: info.newCounter },
      'passkey refused: signature counter did not grow, the authenticator may have been cloned',
    );
    return { ok: false, reason: 'wrong-code' };
  }
  const backedUp = info.credentialDeviceType === 'multiDevice' || info.credentialBackedUp ? 1 : 0;
  const now = ctx.clock.now();
  const updated = await ctx.db.transaction(async (trx) =>
    trx
      .updateTable('authentication_methods')
      .set({ sign_count: info.newCounter, last_used_at: now, backed_up: backedUp })
      .where('id', '=', credential.id)
      // Compare-and-set: of two assertions carrying the same counter, one wins.
      .where('sign_count', '=', stored)
      .executeTakeFirst(),
  );
  if (Number(updated.numUpdatedRows) !== 1) return { ok: false, reason: 'wrong-code' };
  await secondFactorSucceeded(ctx, r.tenantId, r.userId);
  return { ok: true, methodId: credential.id, amr: backedUp ? 'swk' : 'hwk' };
}
