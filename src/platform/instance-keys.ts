/**
 * Keys the whole instance shares beyond cookie signing: one that signs links Foyer puts in e-mail (so
 * a "block future invitations" link cannot be forged for someone else's address), and one that seals
 * the few secrets a queued message or an identity provider's registration must carry. Both live in
 * `instance_secrets`, created on first use, so every process agrees without configuration, and are
 * stored wrapped under the master key, so what they sealed stays sealed in a copy of the database.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { AtRestContext } from './at-rest.js';
import { service } from './context.js';
import { constantTimeEqual, randomToken } from './ids.js';
import { getOrCreate } from './instance-secrets.js';

/** What reading a key needs: the database and clock, the master key's configuration, and the app's services to keep loaded keys in. */
export type KeyContext = AtRestContext;

const LOADED_KEYS = Symbol('instance keys');

/**
 * The named key, read (or created) once per app and kept on its services: keys never change, and every
 * sealed message and signed link would otherwise cost a round trip. A failed read is not remembered.
 */
async function instanceKey(ctx: KeyContext, name: string): Promise<Buffer> {
  const keys = service(ctx, LOADED_KEYS, () => new Map<string, Promise<Buffer>>());
  let key = keys.get(name);
  if (!key) {
    key = readKey(ctx, name);
    key.catch(() => keys.delete(name));
    keys.set(name, key);
  }
  return key;
}

function readKey(ctx: KeyContext, name: string): Promise<Buffer> {
  return getOrCreate(ctx, name, () => randomToken(32)).then((value) => Buffer.from(value, 'base64url'));
}

/** HMAC-SHA256 of `parts` under the instance's link key, base64url. */
export async function signLink(ctx: KeyContext, parts: string[]): Promise<string> {
  const key = await instanceKey(ctx, 'link-signing-key');
  return createHmac('sha256', key).update(parts.join('\n')).digest('base64url');
}

export async function verifyLink(ctx: KeyContext, parts: string[], signature: string): Promise<boolean> {
  return constantTimeEqual(await signLink(ctx, parts), signature);
}

/** AES-256-GCM; the result is `iv.tag.ciphertext` in base64url. */
export async function seal(ctx: KeyContext, plaintext: string): Promise<string> {
  const key = await instanceKey(ctx, 'sealing-key');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export async function unseal(ctx: KeyContext, sealed: string): Promise<string> {
  const key = await instanceKey(ctx, 'sealing-key');
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', key, iv!);
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
}
