/**
 * A software authenticator for tests: an ES256 key from node:crypto, authenticator data and a 'none'
 * attestation built by hand as WebAuthn §6.1 and §6.5 lay them out, and the JSON a browser's
 * `navigator.credentials.create()` / `.get()` serializes (what @simplewebauthn/browser posts). Tests
 * that need a passkey without Chromium (the passkey unit tests, the MFA attack tests) share it.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../../src/mfa/passkeys.js';

/** The origin and relying party ID of a context made by backends.ts's freshContext (FOYER_PUBLIC_URL http://localhost:8080). */
export const DEFAULT_ORIGIN = 'http://localhost:8080';
export const RP_ID = 'localhost';
export const AAGUID = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');

const FLAG = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

export const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();
const uint32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** One credential of a software authenticator: device-bound unless `synced`. */
export class SoftwareCredential {
  readonly id = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter = 0;

  constructor(private readonly opts: { synced?: boolean; userVerified?: boolean; rpId?: string; origin?: string } = {}) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicJwk = pair.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  }

  private flags(extra: number): number {
    let flags = FLAG.up | extra;
    if (this.opts.userVerified !== false) flags |= FLAG.uv;
    if (this.opts.synced) flags |= FLAG.be | FLAG.bs;
    return flags;
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.opts.origin ?? DEFAULT_ORIGIN, crossOrigin: false }));
  }

  /** navigator.credentials.create(), as the browser serializes it. */
  register(challenge: string): RegistrationResponseJSON {
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(this.publicJwk.x, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.id.length);
    const authData = Buffer.concat([
      sha256(this.opts.rpId ?? RP_ID),
      Buffer.from([this.flags(FLAG.at)]),
      uint32(this.counter),
      AAGUID,
      idLength,
      this.id,
      cose,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: b64url(this.id),
      rawId: b64url(this.id),
      type: 'public-key',
      response: { clientDataJSON: b64url(this.clientData('webauthn.create', challenge)), attestationObject: b64url(attestationObject), transports: ['usb'] },
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(), with the counter the authenticator reports. */
  assert(challenge: string, counter = this.counter + 1): AuthenticationResponseJSON {
    this.counter = counter;
    const authData = Buffer.concat([sha256(this.opts.rpId ?? RP_ID), Buffer.from([this.flags(0)]), uint32(counter)]);
    const clientData = this.clientData('webauthn.get', challenge);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.privateKey);
    return {
      id: b64url(this.id),
      rawId: b64url(this.id),
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature) },
      clientExtensionResults: {},
    };
  }
}
