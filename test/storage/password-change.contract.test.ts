/**
 * The password change a member owes (Graph's forceChangePasswordNextSignIn), on both backends: stored with
 * the member, kept or cleared by each reset, cleared by the change itself; the change is refused when it
 * breaks the policy or repeats the current password, and is a compare-and-set on the password the sign-in
 * proved, so a reset meanwhile or a second change wins over it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeOwedPassword, passwordProofTag } from '../../src/directory/password-change.js';
import { createTenant } from '../../src/directory/tenants.js';
import { createMember, findMemberByUserPrincipalName, findUser, updateUser } from '../../src/directory/users.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { AppContext } from '../../src/platform/context.js';
import { backends, freshContext } from '../support/backends.js';

describe.each(backends)('owed password changes on $name', (backend) => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;
  let tenantId: string;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0, 250));

  beforeAll(async () => {
    ({ ctx, cleanup } = await freshContext(backend, clock));
    const created = await createTenant(ctx, {
      name: 'Contoso',
      domains: ['contoso.example'],
      adminEmail: 'admin@contoso.example',
      adminPassword: 'Quartz-Passphrase-Long-1',
    });
    tenantId = created.tenant.id;
  });
  afterAll(async () => cleanup?.());

  const proofOf = async (upn: string) => passwordProofTag((await findMemberByUserPrincipalName(ctx.db.kysely, tenantId, upn))!.passwordHash!);

  it('a member created with the flag owes a change; one created without it does not', async () => {
    const owing = await createMember(ctx, tenantId, {
      userPrincipalName: 'omar@contoso.example',
      displayName: 'Omar Said',
      password: 'Temporary-Harbor-71',
      forceChangePassword: true,
    });
    const free = await createMember(ctx, tenantId, { userPrincipalName: 'ines@contoso.example', displayName: 'Ines Berg', password: 'Temporary-Harbor-72' });
    expect(owing.mustChangePassword).toBe(true);
    expect(free.mustChangePassword).toBe(false);
    // Owing nothing, there is nothing to change.
    expect(await changeOwedPassword(ctx, tenantId, free.id, await proofOf('ines@contoso.example'), 'Chosen-Lantern-Meadow-1')).toEqual({ kind: 'stale' });
  });

  it('refuses a new password the policy refuses, or the current one, and changes nothing', async () => {
    const omar = (await findUser(ctx.db.kysely, tenantId, 'omar@contoso.example'))!;
    const proof = await proofOf('omar@contoso.example');
    expect(await changeOwedPassword(ctx, tenantId, omar.id, proof, 'password')).toEqual({ kind: 'refused', rule: 'too_common' });
    expect(await changeOwedPassword(ctx, tenantId, omar.id, proof, 'Omar-Said-Garden-9')).toEqual({ kind: 'refused', rule: 'contains_name' });
    expect(await changeOwedPassword(ctx, tenantId, omar.id, proof, 'Temporary-Harbor-71')).toEqual({ kind: 'refused', rule: 'same_as_current' });
    expect(await proofOf('omar@contoso.example')).toBe(proof);
    expect((await findUser(ctx.db.kysely, tenantId, omar.id))!.mustChangePassword).toBe(true);
  });

  it('an administrator’s reset in between makes the earlier proof stale; a reset without the flag owes nothing', async () => {
    const omar = (await findUser(ctx.db.kysely, tenantId, 'omar@contoso.example'))!;
    const before = await proofOf('omar@contoso.example');
    await updateUser(ctx, tenantId, omar.id, { password: 'Second-Temporary-Key-8', forceChangePassword: true });
    expect(await changeOwedPassword(ctx, tenantId, omar.id, before, 'Chosen-Lantern-Meadow-1')).toEqual({ kind: 'stale' });
    expect((await findUser(ctx.db.kysely, tenantId, omar.id))!.mustChangePassword).toBe(true);

    const ines = (await findUser(ctx.db.kysely, tenantId, 'ines@contoso.example'))!;
    await updateUser(ctx, tenantId, ines.id, { password: 'Reset-Compass-Tide-3', forceChangePassword: true });
    expect((await findUser(ctx.db.kysely, tenantId, ines.id))!.mustChangePassword).toBe(true);
    await updateUser(ctx, tenantId, ines.id, { password: 'Reset-Compass-Tide-4' });
    expect((await findUser(ctx.db.kysely, tenantId, ines.id))!.mustChangePassword).toBe(false);
  });

  it('the change replaces the password, clears the flag and ends earlier sign-ins from the start of its second; only once', async () => {
    const omar = (await findUser(ctx.db.kysely, tenantId, 'omar@contoso.example'))!;
    const proof = await proofOf('omar@contoso.example');
    clock.advance(60_000);
    const outcome = await changeOwedPassword(ctx, tenantId, omar.id, proof, 'Chosen-Lantern-Meadow-1');
    expect(outcome.kind).toBe('changed');
    const changed = (await findUser(ctx.db.kysely, tenantId, omar.id))!;
    expect(changed.mustChangePassword).toBe(false);
    // Whole seconds, as sign-in times are: the sign-in this change completes (stamped with that second) counts.
    expect(changed.signInSessionsValidFrom).toBe(clock.now() - (clock.now() % 1000));
    expect(outcome.kind === 'changed' && outcome.authTime * 1000).toBe(changed.signInSessionsValidFrom);
    expect(await proofOf('omar@contoso.example')).not.toBe(proof);
    // The same proof, posted again (a second window): the password it proved is gone.
    expect(await changeOwedPassword(ctx, tenantId, omar.id, proof, 'Another-Chosen-Word-2')).toEqual({ kind: 'stale' });
  });

  it('two changes at once with the same proof: exactly one wins', async () => {
    const ines = (await findUser(ctx.db.kysely, tenantId, 'ines@contoso.example'))!;
    await updateUser(ctx, tenantId, ines.id, { password: 'Reset-Compass-Tide-5', forceChangePassword: true });
    const proof = await proofOf('ines@contoso.example');
    const outcomes = await Promise.all([
      changeOwedPassword(ctx, tenantId, ines.id, proof, 'Parallel-Choice-One-1'),
      changeOwedPassword(ctx, tenantId, ines.id, proof, 'Parallel-Choice-Two-2'),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['changed', 'stale']);
  });
});
