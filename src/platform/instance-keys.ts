/**
 * Keys the whole instance shares beyond cookie signing: one that signs links Foyer puts in e-mail (so
 * a "block future invitations" link cannot be forged for someone else's address), and one that seals
 * the few secrets a queued message must carry until it is delivered. Both live in `instance_secrets`,
 * created on first use, so every process agrees without configuration.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { constantTimeEqual, randomToken } from './ids.js';
import { getOrCreate } from './instance-secrets.js';
import type { Database } from './storage/database.js';

const loaded = new WeakMap<Database, Map<string, Promise<Buffer>>>();

async function instanceKey(db: Database, clock: Clock, name: string): Promise<Buffer> {
  let keys = loaded.get(db);
  if (!keys) {
    keys = new Map();
    loaded.set(db, keys);
  }
  let key = keys.get(name);
  if (!key) {
    key = getOrCreate(db, clock, name, () => randomToken(32)).then((value) => Buffer.from(value, 'base64url'));
    key.catch(() => keys!.delete(name));
    keys.set(name, key);
  }
  return key;
}

/** HMAC-SHA256 of `parts` under the instance's link key, base64url. */
export async function signLink(db: Database, clock: Clock, parts: string[]): Promise<string> {
  const key = await instanceKey(db, clock, 'link-signing-key');
  return createHmac('sha256', key).update(parts.join('\n')).digest('base64url');
}

export async function verifyLink(db: Database, clock: Clock, parts: string[], signature: string): Promise<boolean> {
  return constantTimeEqual(await signLink(db, clock, parts), signature);
}

/** AES-256-GCM; the result is `iv.tag.ciphertext` in base64url. */
export async function seal(db: Database, clock: Clock, plaintext: string): Promise<string> {
  const key = await instanceKey(db, clock, 'sealing-key');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export async function unseal(db: Database, clock: Clock, sealed: string): Promise<string> {
  const key = await instanceKey(db, clock, 'sealing-key');
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', key, iv!);
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
}
