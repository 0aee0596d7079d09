/**
 * A database with Contoso and a way to add its members, for the tests of the second factors' cores
 * (test/mfa/): registers its own beforeAll/afterAll in the calling describe block, on a clock the tests move.
 */
import { afterAll, beforeAll } from 'vitest';
import { createTenant } from '../../src/directory/tenants.js';
import { createMember } from '../../src/directory/users.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { type Backend, freshContext } from './backends.js';

export interface MfaWorld {
  /** Set once the describe block's beforeAll ran. */
  ctx: AppContext;
  tenantId: string;
  clock: ManualClock;
  /** A new member of Contoso: its object id. */
  person(): Promise<string>;
  /** A new member of Contoso: its object id, sign-in name and display name. */
  member(): Promise<{ id: string; name: string; displayName: string }>;
}

export function mfaWorld(backend: Backend): MfaWorld {
  let cleanup: (() => Promise<void>) | undefined;
  let people = 0;
  const world: MfaWorld = {
    ctx: undefined as unknown as AppContext,
    tenantId: '',
    clock: new ManualClock(Date.UTC(2026, 10, 25, 12)),
    async person() {
      return (await world.member()).id;
    },
    async member() {
      people += 1;
      const user = await createMember(world.ctx, world.tenantId, {
        userPrincipalName: `person${people}@contoso.example`,
        displayName: `Person ${people}`,
        password: 'Secret-Passphrase-1',
      });
      return { id: user.id, name: user.userPrincipalName, displayName: user.displayName };
    },
  };
  beforeAll(async () => {
    const fresh = await freshContext(backend, world.clock);
    cleanup = fresh.cleanup;
    world.ctx = fresh.ctx;
    const admin = { name: 'Contoso', domains: ['contoso.example'], adminEmail: 'admin@contoso.example', adminPassword: 'Correct-Horse-9' };
    world.tenantId = (await createTenant(world.ctx, admin)).tenant.id;
  });
  afterAll(() => cleanup?.());
  return world;
}
