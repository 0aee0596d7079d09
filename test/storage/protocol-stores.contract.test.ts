/**
 * Storage behind the protocols, on both backends: the OpenID provider's adapter, the database-backed
 * rate limits, signing-key rotation, expiry housekeeping and migrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSigningKeys, rotateSigningKey } from '../../src/directory/signing-keys.js';
import { createTenant } from '../../src/directory/tenants.js';
import { createAdapterFactory } from '../../src/oidc/adapter.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import * as rateLimit from '../../src/platform/rate-limit.js';
import { openDatabase } from '../../src/platform/storage/database.js';
import { currentMigration, latestMigration, migrate, migrationNames } from '../../src/platform/storage/migrate.js';
import { purgeExpired } from '../../src/server.js';
import { backends, freshContext } from '../support/backends.js';

describe.each(backends)('protocol stores on $name', (backend) => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    ({ ctx, cleanup } = await freshContext(backend, clock));
    const make = (name: string) => createTenant(ctx, { name, adminEmail: `admin@${name.toLowerCase()}.example`, adminPassword: 'Correct-Horse-9' });
    tenantA = (await make('Alpha')).tenant.id;
    tenantB = (await make('Beta')).tenant.id;
  });
  afterAll(() => cleanup?.());

  describe('OpenID provider adapter', () => {
    it('replaces on upsert, and hides rows once they expire', async () => {
      const sessions = createAdapterFactory(ctx.db, clock, tenantA)('Session');
      await sessions.upsert('s1', { jti: 's1', accountId: 'u1', uid: 'uid-1' }, 60);
      await sessions.upsert('s1', { jti: 's1', accountId: 'u2', uid: 'uid-1' }, 60);
      expect(await sessions.find('s1')).toEqual({ jti: 's1', accountId: 'u2', uid: 'uid-1' });
      expect(await sessions.findByUid('uid-1')).toEqual({ accountId: 'u2', uid: 'uid-1' });
      clock.advance(61_000);
      expect(await sessions.find('s1')).toBeUndefined();
    });

    it('keeps only a hash of each id: the database never holds a code, refresh token or session id', async () => {
      const tokens = createAdapterFactory(ctx.db, clock, tenantA)('RefreshToken');
      const secret = 'rt-secret-value-that-is-a-bearer-credential';
      await tokens.upsert(secret, { jti: secret, grantId: 'g-hash', accountId: 'u1' }, 600);
      const rows = await ctx.db.kysely.selectFrom('oidc_payloads').selectAll().where('grant_id', '=', 'g-hash').execute();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(secret);
      expect((await tokens.find(secret))?.jti).toBe(secret);
    });

    it('lets exactly one of many simultaneous uses consume a code, and revokes the grant for the rest', async () => {
      const factory = createAdapterFactory(ctx.db, clock, tenantA);
      await factory('AuthorizationCode').upsert('race', { jti: 'race', grantId: 'g-race' }, 60);
      await factory('RefreshToken').upsert('rt-race', { jti: 'rt-race', grantId: 'g-race' }, 600);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => factory('AuthorizationCode').consume('race')));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused).toHaveLength(7);
      expect(refused[0]!.reason).toMatchObject({ error: 'invalid_grant' });
      expect(await factory('RefreshToken').find('rt-race')).toBeUndefined();
    });

    it('answers "not found" for ids no client could have been given', async () => {
      const codes = createAdapterFactory(ctx.db, clock, tenantA)('AuthorizationCode');
      expect(await codes.find('bad\u0000id')).toBeUndefined();
      expect(await codes.find('x'.repeat(10_000))).toBeUndefined();
      await expect(codes.consume('bad\u0000id')).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('returns a consumed code with `consumed` set, so a replay is recognised', async () => {
      const codes = createAdapterFactory(ctx.db, clock, tenantA)('AuthorizationCode');
      await codes.upsert('c1', { grantId: 'g1', accountId: 'u1' }, 60);
      expect((await codes.find('c1'))?.consumed).toBeUndefined();
      await codes.consume('c1');
      expect((await codes.find('c1'))?.consumed).toBe(Math.floor(clock.now() / 1000));
    });

    it('revokes every artefact of a grant at once', async () => {
      const factory = createAdapterFactory(ctx.db, clock, tenantA);
      await factory('RefreshToken').upsert('r1', { grantId: 'g2' }, 600);
      await factory('AuthorizationCode').upsert('c2', { grantId: 'g2' }, 600);
      await factory('RefreshToken').upsert('r2', { grantId: 'other' }, 600);
      await factory('RefreshToken').revokeByGrantId!('g2');
      expect(await factory('RefreshToken').find('r1')).toBeUndefined();
      expect(await factory('AuthorizationCode').find('c2')).toBeUndefined();
      expect(await factory('RefreshToken').find('r2')).toBeDefined();
    });

    it("keeps each tenant's artefacts apart, even under the same id", async () => {
      const a = createAdapterFactory(ctx.db, clock, tenantA)('Session');
      const b = createAdapterFactory(ctx.db, clock, tenantB)('Session');
      await a.upsert('same-id', { accountId: 'alice' }, 60);
      expect(await b.find('same-id')).toBeUndefined();
      await b.upsert('same-id', { accountId: 'bob' }, 60);
      expect(await a.find('same-id')).toEqual({ jti: 'same-id', accountId: 'alice' });
      await b.destroy('same-id');
      expect(await a.find('same-id')).toEqual({ jti: 'same-id', accountId: 'alice' });
    });

    it("finds a tenant's app as a client, and not another tenant's", async () => {
      const { createApplication } = await import('../../src/directory/applications.js');
      const app = await createApplication(ctx, tenantA, { displayName: 'Web', redirectUris: ['https://web.example/cb'] });
      const client = await createAdapterFactory(ctx.db, clock, tenantA)('Client').find(app.application.appId);
      expect(client).toMatchObject({
        client_id: app.application.appId,
        redirect_uris: ['https://web.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      expect(JSON.stringify(client)).not.toContain(app.clientSecret);
      expect(await createAdapterFactory(ctx.db, clock, tenantB)('Client').find(app.application.appId)).toBeUndefined();
    });
  });

  describe('rate limits', () => {
    it('counts concurrent hits exactly, per window', async () => {
      const windowMs = 60_000;
      const start = Math.ceil(clock.now() / windowMs) * windowMs;
      clock.set(start + 1000);
      const results = await Promise.all(Array.from({ length: 20 }, () => rateLimit.hit(ctx.db.kysely, 'k', windowMs, clock.now())));
      expect(results.map((r) => r.hits).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await rateLimit.peek(ctx.db.kysely, 'k', windowMs, clock.now())).hits).toBe(20);
      expect((await rateLimit.peek(ctx.db.kysely, 'k', windowMs, clock.now())).retryAfterMs).toBe(59_000);
      clock.advance(windowMs);
      expect((await rateLimit.peek(ctx.db.kysely, 'k', windowMs, clock.now())).hits).toBe(0);
      await rateLimit.hit(ctx.db.kysely, 'k', windowMs, clock.now());
      await rateLimit.reset(ctx.db.kysely, 'k');
      expect((await rateLimit.peek(ctx.db.kysely, 'k', windowMs, clock.now())).hits).toBe(0);
    });
  });

  describe('signing keys', () => {
    it('rotates: the new key signs, the old one stays published until the grace period ends', async () => {
      const [first] = await listSigningKeys(ctx, tenantB, clock.now());
      const version = async () =>
        (await ctx.db.kysely.selectFrom('tenants').select('keys_version').where('id', '=', tenantB).executeTakeFirstOrThrow()).keys_version;
      const before = await version();
      const kid = await rotateSigningKey(ctx, tenantB, 3600);
      expect(await version()).toBe(before + 1);
      const keys = await listSigningKeys(ctx, tenantB, clock.now());
      expect(keys.map((k) => k.kid)).toEqual([kid, first!.kid]);
      expect(keys[0]!.retiredAt).toBeNull();
      expect(keys[1]!.retiredAt).toBe(clock.now());
      clock.advance(3601_000);
      expect((await listSigningKeys(ctx, tenantB, clock.now())).map((k) => k.kid)).toEqual([kid]);
      await purgeExpired(ctx);
      const stored = await ctx.db.kysely.selectFrom('signing_keys').select('kid').where('tenant_id', '=', tenantB).execute();
      expect(stored.map((k) => k.kid)).toEqual([kid]);
    });
  });

  describe('migrations', () => {
    it('are recorded, and running them again changes nothing', async () => {
      expect(await currentMigration(ctx.db)).toBe(latestMigration);
      expect((await migrate(ctx.db)).applied).toEqual([]);
    });

    it('run once when several processes start together on an empty database', async () => {
      const url = backend.freshUrl();
      const dbs = Array.from({ length: 4 }, () => openDatabase(url));
      try {
        const outcomes = await Promise.all(dbs.map((db) => migrate(db)));
        expect(outcomes.flatMap((o) => o.applied)).toEqual(migrationNames);
        for (const db of dbs) expect(await currentMigration(db)).toBe(latestMigration);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
        await backend.drop(url);
      }
    });
  });
});
