/**
 * Password hashing: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). The binding runs
 * on libuv's thread pool, so a sign-in never blocks the event loop for the ~13 ms a hash takes.
 */
import { type Algorithm, hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2 as Algorithm;
const params = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password that has passed the policy (password-policy.ts) already. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, params);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash with the same parameters as real ones (the digest of 'decoy password that matches nothing'):
 * verifying against it costs what a real verification costs. Its parameters are taken from `params`, so
 * it follows them, and it is a constant, so there is nothing to compute or keep per process.
 */
const DECOY_HASH = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$KMh9fUHQi+wdXcxdfbfsnA$/GH2BQHyTJ0mm66g1W1eAm0vS5oeYdOPs7KCyYJM7QA`;

/**
 * Spends the same time as a real verification, for sign-ins to accounts that don't exist or have no
 * password, so response time does not reveal which addresses have accounts.
 */
export async function verifyDecoy(password: string): Promise<false> {
  await verifyPassword(DECOY_HASH, password);
  return false;
}
