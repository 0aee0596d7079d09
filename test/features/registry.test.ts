/**
 * The feature registry (src/features.ts): every feature declared once, every audit activity and mail
 * kind owned by exactly one feature, a context equipped once however often asked, and the housekeeping
 * of every feature run by one call, each deleting only its own rows whose time has passed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activities } from '../../src/directory/audit-log.js';
import { createTenant } from '../../src/directory/tenants.js';
import { features, installFeatures } from '../../src/features.js';
import { mailKinds } from '../../src/mail/kinds.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { purgeExpired } from '../../src/server.js';
import { backends, freshContext } from '../support/backends.js';

describe('the feature registry', () => {
  const registry = features();

  it('names each feature once', () => {
    const names = registry.features.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has every audit activity declared by exactly one feature', () => {
    const declared = registry.features.flatMap((f) => f.auditActivities ?? []);
    expect([...declared].sort()).toEqual(Object.values(activities).sort());
  });

  it('has one renderer for each kind of mail the features queue', () => {
    const kinds = registry.features.flatMap((f) => (f.mailKinds ?? []).map((k) => k.kind));
    expect(kinds.sort()).toEqual(['access-review', 'invitation', 'myaccount-link', 'passcode']);
  });

  it('registers the OpenID endpoints before any page, and the providers get their pages from one page set', () => {
    expect(registry.pageFeatures[0]).toBe(registry.features.find((f) => f.name === 'oidc')?.routes?.[0]);
    expect(() => features(registry.features.filter((f) => !f.providerViews))).toThrow(/exactly one feature/);
  });
});

describe.each(backends)('a context with the features installed, on $name', (backend) => {
  let ctx: AppContext;
  let clock: ManualClock;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
    const fresh = await freshContext(backend, clock);
    ctx = fresh.ctx;
    cleanup = fresh.cleanup;
  });
  afterEach(() => cleanup());

  it('is equipped once however often it is asked (a mail kind registered twice would be refused)', () => {
    installFeatures(ctx);
    installFeatures(ctx);
    expect([...mailKinds(ctx).keys()].sort()).toEqual(['access-review', 'invitation', 'myaccount-link', 'passcode']);
  });

  it("runs every feature's housekeeping: rows past their time go, the others stay", async () => {
    const { tenant } = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'a@contoso.example',
      adminPassword: 'Correct-Horse-9',
    });
    const now = clock.now();
    const db = ctx.db.kysely;
    const hour = 3_600_000;
    for (const [suffix, expires] of [
      ['old', now - hour],
      ['live', now + hour],
    ] as const) {
      await db
        .insertInto('oidc_payloads')
        .values({
          tenant_id: tenant.id,
          model: 'Session',
          id: suffix,
          payload: '{}',
          account_id: null,
          grant_id: null,
          uid: null,
          user_code: null,
          expires_at: expires,
          consumed_at: null,
        })
        .execute();
      await db
        .insertInto('browser_sessions')
        .values({ id_hash: suffix, payload: '{}', created_at: now - 2 * hour, expires_at: expires })
        .execute();
      await db
        .insertInto('guest_flows')
        .values({ id_hash: suffix, payload: '{}', created_at: now - 2 * hour, expires_at: expires })
        .execute();
      await db
        .insertInto('rate_limits')
        .values({ key: suffix, window_start: now - 2 * hour, hits: 1, expires_at: expires })
        .execute();
    }
    // Expired passcodes stay a day, so a late code is told it expired rather than that none was sent.
    for (const [id, expires] of [
      ['two-days', now - 48 * hour],
      ['an-hour', now - hour],
    ] as const) {
      await db
        .insertInto('passcodes')
        .values({
          id,
          flow_id_hash: id,
          address_lower: 'g@fabrikam.example',
          code_hash: 'x',
          attempts: 0,
          expires_at: expires,
          used_at: null,
          created_at: expires - hour,
        })
        .execute();
    }

    await purgeExpired(ctx);

    const ids = async (table: 'oidc_payloads' | 'passcodes') => (await db.selectFrom(table).select('id').execute()).map((r) => r.id).sort();
    const hashes = async (table: 'browser_sessions' | 'guest_flows') => (await db.selectFrom(table).select('id_hash').execute()).map((r) => r.id_hash);
    expect(await ids('oidc_payloads')).toEqual(['live']);
    expect(await hashes('browser_sessions')).toEqual(['live']);
    expect(await hashes('guest_flows')).toEqual(['live']);
    expect((await db.selectFrom('rate_limits').select('key').execute()).map((r) => r.key)).toEqual(['live']);
    expect(await ids('passcodes')).toEqual(['an-hour']);
  });
});
