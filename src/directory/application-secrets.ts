/**
 * Client secrets of app registrations (Graph's `passwordCredential`): each has a `keyId`, an optional
 * display name, a validity window, and a `hint` (its first three characters) by which an administrator
 * recognises it. The secret itself is shown once, when it is made, and stored as a SHA-256 hash: secrets
 * are 256-bit random values, so a fast hash is enough and nothing in the database can be presented.
 */
import { FoyerError } from '../platform/errors/foyer-error.js';
import { constantTimeEqual, newId, randomToken, sha256 } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';

/** Graph's default end of a password credential when `endDateTime` is not given: two years after its start. */
export const DEFAULT_SECRET_LIFETIME_MS = 2 * 365 * 24 * 3600 * 1000;

/** What administrators see of a secret: never the secret itself. */
export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string;
  startDateTime: number;
  /** null only for secrets made before credentials had a lifecycle (they never expire until removed). */
  endDateTime: number | null;
}

/**
 * The latest date a credential may run to: Graph's dates have four-digit years, and a later one is written
 * `+010001-…`, which Graph SDKs cannot parse. A later `startDateTime` or `endDateTime` is refused; the
 * default end (two years after a start near it) stops here.
 */
export const LATEST_CREDENTIAL_DATE = Date.UTC(9999, 11, 31, 23, 59, 59);

export interface NewClientSecret {
  displayName?: string | null;
  startDateTime?: number;
  endDateTime?: number;
}

/**
 * How early a secret is accepted before its startDateTime: the process that made it and the one checking
 * it may run on hosts whose clocks differ by a little, and a new secret should work at once everywhere.
 * Expiry gets no such leeway.
 */
export const START_LEEWAY_MS = 60_000;

/** What the token endpoint checks a presented secret against. */
export interface ClientSecret {
  hash: string;
  notBefore: number;
  notAfter: number | null;
}

export async function addClientSecret(
  trx: Executor,
  applicationId: string,
  input: NewClientSecret,
  now: number,
): Promise<{ credential: PasswordCredential; secretText: string }> {
  const start = input.startDateTime ?? now;
  const end = input.endDateTime ?? Math.min(start + DEFAULT_SECRET_LIFETIME_MS, LATEST_CREDENTIAL_DATE);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new FoyerError('request.invalid_body', 'startDateTime and endDateTime must be dates.');
  if (start > LATEST_CREDENTIAL_DATE || end > LATEST_CREDENTIAL_DATE) {
    throw new FoyerError('request.invalid_body', 'startDateTime and endDateTime must be at the latest 9999-12-31T23:59:59Z.');
  }
  if (end <= now) throw new FoyerError('request.invalid_body', 'endDateTime must be in the future.');
  if (end <= start) throw new FoyerError('request.invalid_body', 'endDateTime must be later than startDateTime.');
  const displayName = input.displayName?.trim() || null;
  if (displayName && displayName.length > 256) throw new FoyerError('request.invalid_body', 'The password display name must be at most 256 characters.');
  const secretText = randomToken(32);
  const keyId = newId();
  await trx
    .insertInto('application_secrets')
    .values({
      id: keyId,
      application_id: applicationId,
      secret_hash: sha256(secretText),
      hint: secretText.slice(0, 3),
      display_name: displayName,
      created_at: now,
      starts_at: start,
      expires_at: end,
    })
    .execute();
  return { credential: { keyId, displayName, hint: secretText.slice(0, 3), startDateTime: start, endDateTime: end }, secretText };
}

/** Every secret of the given apps (expired ones too, as Graph lists them), oldest first, by application id. */
export async function listPasswordCredentials(db: Executor, applicationIds: readonly string[]): Promise<Map<string, PasswordCredential[]>> {
  const out = new Map<string, PasswordCredential[]>(applicationIds.map((id) => [id, []]));
  if (applicationIds.length === 0) return out;
  const rows = await db
    .selectFrom('application_secrets')
    .select(['id', 'application_id', 'display_name', 'hint', 'created_at', 'starts_at', 'expires_at'])
    .where('application_id', 'in', applicationIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) {
    out.get(r.application_id)?.push({
      keyId: r.id,
      displayName: r.display_name,
      hint: r.hint,
      startDateTime: Number(r.starts_at ?? r.created_at),
      endDateTime: r.expires_at === null ? null : Number(r.expires_at),
    });
  }
  return out;
}

/** The application's secrets that have not expired by `now` (some may not have started yet). */
export async function listClientSecrets(db: Executor, applicationId: string, now: number): Promise<ClientSecret[]> {
  const rows = await db
    .selectFrom('application_secrets')
    .select(['secret_hash', 'created_at', 'starts_at', 'expires_at'])
    .where('application_id', '=', applicationId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
  return rows.map((r) => ({
    hash: r.secret_hash,
    notBefore: Number(r.starts_at ?? r.created_at),
    notAfter: r.expires_at === null ? null : Number(r.expires_at),
  }));
}

/**
 * Constant-time check of a presented secret against every secret valid at `now`: several may be valid at
 * once, so that a rotation can overlap. An expired or not-yet-started secret never matches, whatever
 * a cache still holds.
 */
export function secretMatches(presented: string, secrets: readonly ClientSecret[], now: number): boolean {
  const h = sha256(presented);
  let ok = false;
  for (const s of secrets) {
    const valid = s.notBefore - START_LEEWAY_MS <= now && (s.notAfter === null || now < s.notAfter);
    ok = (constantTimeEqual(h, s.hash) && valid) || ok;
  }
  return ok;
}
