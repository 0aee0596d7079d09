/**
 * The attack from the review, against a real server (`bin/foyer.js start` on a fresh SQLite file):
 * another local account reads the database file, and the file's owner takes a tenant's signing key out
 * of it to mint a token. Both must fail: the file is the owner's alone, and the key in it is wrapped
 * under a master key the database does not hold. And `foyer start` refuses a database others can read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, importJWK, type JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/directory/tenants.js';
import { installFeatures } from '../../src/features.js';
import { systemClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { createContext } from '../../src/platform/context.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { freePort } from '../support/foyer.js';
import { bin, startServer } from '../support/foyer-process.js';

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Runs `node -e` as user `nobody`: tries to read `file`, prints "read" or the error code. */
async function readAsNobody(file: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['-e', 'try { require("fs").readFileSync(process.argv[1]); console.log("read") } catch (e) { console.log(e.code) }', file],
    {
      uid: NOBODY,
      gid: NOBODY,
      cwd: '/',
      env: {},
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  await new Promise((resolve) => child.on('close', resolve));
  return out.trim();
}

/** What an attacker with the row does: take the private JWK and sign an access token with it. `null`: no key to sign with. */
async function mintWith(storedPrivateJwk: string, issuer: string): Promise<string | null> {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(storedPrivateJwk) as Record<string, unknown>;
  } catch {
    return null;
  }
  const key = await importJWK(jwk, 'RS256').catch(() => null);
  if (!key || !('d' in jwk)) return null;
  return new SignJWT({ roles: ['User.ReadWrite.All'], oid: 'forged' })
    .setProtectedHeader({ alg: 'RS256', kid: String(jwk.kid), typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience('forged')
    .setSubject('forged')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

describe('a local account against a running Foyer on SQLite', () => {
  // The parent folder is open to everyone, as /var/lib is: what protects the database is Foyer's doing.
  const root = mkdtempSync(join(tmpdir(), 'foyer-attack-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const file = join(data, 'foyer.db');
  const masterKey = randomBytes(32).toString('base64url');
  const children: ChildProcess[] = [];
  let port: number;
  let tenantId: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    port = await freePort();
    env = {
      FOYER_PORT: String(port),
      FOYER_HOST: '127.0.0.1',
      FOYER_PUBLIC_URL: `http://localhost:${port}`,
      FOYER_DATABASE_URL: `sqlite:${file}`,
      FOYER_MASTER_KEY: masterKey,
      FOYER_LOG_LEVEL: 'info',
    };
    const server = await startServer(env);
    children.push(server.child);
    await server.waitFor('Foyer is listening');
    // A tenant, as `foyer tenant create` beside the running server would make it.
    const db = openDatabase(`sqlite:${file}`);
    try {
      const ctx = createContext({ config: loadConfig(env), db, clock: systemClock, log: pino({ level: 'silent' }) });
      installFeatures(ctx);
      tenantId = (await createTenant(ctx, { name: 'Target', adminEmail: 'admin@target.example', adminPassword: 'Quiet-Lantern-Orbit-7' })).tenant.id;
    } finally {
      await db.close();
    }
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  });

  it('the data folder is created 0700 and the database, -wal and -shm files are 0600', () => {
    expect(statSync(data).mode & 0o777).toBe(0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
  });

  it.skipIf(!asRoot)('as user nobody, reading the database file is refused: permission denied (runs as root only, to switch users)', async () => {
    expect(await readAsNobody(file)).toBe('EACCES');
    // Even in a folder others may enter (one the operator made), the files themselves are the owner's.
    chmodSync(data, 0o755);
    try {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(await readAsNobody(f), f).toBe('EACCES');
    } finally {
      chmodSync(data, 0o700);
    }
  });

  it("as the owner, a tenant's signing key read from the database file signs no token its JWKS accepts", async () => {
    const issuer = `http://localhost:${port}/${tenantId}/v2.0`;
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/${tenantId}/discovery/v2.0/keys`)).json()) as JSONWebKeySet;
    expect(jwks.keys.length).toBeGreaterThan(0);
    const db = openDatabase(`sqlite:${file}`);
    let rows: Array<{ kid: string; private_jwk: string }>;
    try {
      rows = await db.kysely.selectFrom('signing_keys').select(['kid', 'private_jwk']).where('tenant_id', '=', tenantId).execute();
    } finally {
      await db.close();
    }
    expect(rows.map((r) => r.kid).sort()).toEqual(jwks.keys.map((k) => k.kid).sort());
    for (const row of rows) {
      const token = await mintWith(row.private_jwk, issuer);
      const accepted = token
        ? await jwtVerify(token, createLocalJWKSet(jwks), { issuer }).then(
            () => true,
            () => false,
          )
        : false;
      expect(accepted, `a token signed with the stored key ${row.kid}`).toBe(false);
      expect(token).toBeNull();
    }
  });

  it('`foyer start` refuses a database file other users can read, and says how to fix it', async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    chmodSync(file, 0o644);
    const child = spawn(process.execPath, [bin, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    // It either exits, or (without the check) starts serving: either ends the wait.
    const outcome = await new Promise<string>((resolve) => {
      child.on('exit', (code) => resolve(`exit ${code}`));
      child.stdout!.on('data', (c: Buffer) => c.toString().includes('Foyer is listening') && resolve('listening'));
    });
    expect(outcome).toBe('exit 1');
    expect(stderr).toContain('the database can be read by other users of this machine');
    expect(stderr).toContain(`chmod 600 ${file}`);

    // Doing what it says is enough.
    chmodSync(file, 0o600);
    const again = await startServer({ ...env, FOYER_PORT: String(await freePort()) });
    children.push(again.child);
    await again.waitFor('Foyer is listening');
  });
});
