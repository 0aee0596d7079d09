/**
 * What the directory core tells the features, on both backends: which events a change publishes, that
 * a listener writes in the change's own transaction, and that the OpenID and invitation features end
 * what they keep about a person when the directory says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DirectoryEvents, onDirectoryEvent } from '../../src/directory/events.js';
import { insertInvitedUser } from '../../src/directory/invited-users.js';
import { issuerFor } from '../../src/directory/issuers.js';
import { createTenant } from '../../src/directory/tenants.js';
import { createMember, deleteUser, findUser, updateUser } from '../../src/directory/users.js';
import { subscribeInvitationsToDirectory } from '../../src/invitations/directory-events.js';
import { subscribeOidcToDirectory } from '../../src/oidc/directory-events.js';
import { ManualClock } from '../../src/platform/clock.js';
import { type AppContext, createContext } from '../../src/platform/context.js';
import { newId } from '../../src/platform/ids.js';
import { backends, freshContext } from '../support/backends.js';

describe.each(backends)('directory events on $name', (backend) => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12));
  let contoso: string;
  let fabrikam: string;
  const seen: Array<{ name: keyof DirectoryEvents; event: Record<string, unknown> }> = [];

  beforeAll(async () => {
    ({ ctx, cleanup } = await freshContext(backend, clock));
    contoso = (
      await createTenant(ctx, { name: 'Contoso', domains: ['contoso.example'], adminEmail: 'admin@contoso.example', adminPassword: 'Correct-Horse-9' })
    ).tenant.id;
    fabrikam = (
      await createTenant(ctx, { name: 'Fabrikam', domains: ['fabrikam.example'], adminEmail: 'admin@fabrikam.example', adminPassword: 'Correct-Horse-9' })
    ).tenant.id;
    for (const name of ['user.signInsRevoked', 'user.deleted'] as const) {
      onDirectoryEvent(ctx, name, ({ tx: _tx, ...event }) => void seen.push({ name, event }));
    }
    subscribeOidcToDirectory(ctx);
    subscribeOidcToDirectory(ctx); // once per app, however often called
    subscribeInvitationsToDirectory(ctx);
  });
  afterAll(() => cleanup?.());

  /** A Fabrikam guest whose bound home identity is `memberId` of Contoso. */
  async function guestHomedAt(memberId: string): Promise<string> {
    const id = newId();
    await ctx.db.transaction(async (trx) => {
      await insertInvitedUser(trx, {
        id,
        tenantId: fabrikam,
        upn: `g${id.slice(0, 8)}_contoso.example#EXT#@fabrikam.example`,
        issuer: 'fabrikam.example',
        mail: `g${id.slice(0, 8)}@contoso.example`,
        displayName: 'Guest',
        userType: 'Guest',
        now: clock.now(),
      });
      await trx
        .insertInto('user_identities')
        .values({
          user_id: id,
          tenant_id: fabrikam,
          sign_in_type: 'federated',
          issuer: issuerFor(ctx.config.publicUrl, contoso),
          issuer_assigned_id: memberId,
          created_at: clock.now(),
        })
        .execute();
    });
    return id;
  }

  async function session(tenantId: string, accountId: string): Promise<void> {
    await ctx.db.kysely
      .insertInto('oidc_payloads')
      .values({
        tenant_id: tenantId,
        model: 'Session',
        id: newId(),
        payload: '{}',
        account_id: accountId,
        grant_id: null,
        uid: null,
        user_code: null,
        expires_at: null,
        consumed_at: null,
      })
      .execute();
  }

  const sessionsOf = async (accountId: string) =>
    (await ctx.db.kysely.selectFrom('oidc_payloads').select('id').where('account_id', '=', accountId).execute()).length;

  it('a new password ends the sessions of the account and of the guests it is the home identity of, and no one else', async () => {
    const member = await createMember(ctx, contoso, { userPrincipalName: 'ann@contoso.example', displayName: 'Ann', password: 'Ann-Passphrase-1' });
    const bystander = await createMember(ctx, contoso, { userPrincipalName: 'bo@contoso.example', displayName: 'Bo', password: 'Bo-Passphrase-1' });
    const guest = await guestHomedAt(member.id);
    await session(contoso, member.id);
    await session(fabrikam, guest);
    await session(contoso, bystander.id);
    seen.length = 0;

    await updateUser(ctx, contoso, member.id, { password: 'Ann-Passphrase-2' });

    expect(seen).toEqual([
      { name: 'user.signInsRevoked', event: { account: { tenantId: contoso, userId: member.id }, homedGuests: [{ tenantId: fabrikam, userId: guest }] } },
    ]);
    expect([await sessionsOf(member.id), await sessionsOf(guest), await sessionsOf(bystander.id)]).toEqual([0, 0, 1]);
  });

  it('a context whose features were never installed refuses to disable a user rather than leave its sessions working', async () => {
    const member = await createMember(ctx, contoso, { userPrincipalName: 'di@contoso.example', displayName: 'Di', password: 'Di-Passphrase-1' });
    await session(contoso, member.id);
    const bare = createContext({ config: ctx.config, db: ctx.db, clock, log: ctx.log });
    await expect(updateUser(bare, contoso, member.id, { accountEnabled: false })).rejects.toThrow(/installFeatures/);
    expect((await findUser(ctx.db.kysely, contoso, member.id))?.accountEnabled).toBe(true);
    expect(await sessionsOf(member.id)).toBe(1);
  });

  it('a change that ends no sign-in publishes nothing', async () => {
    const member = await createMember(ctx, contoso, { userPrincipalName: 'cy@contoso.example', displayName: 'Cy', password: 'Cy-Passphrase-1' });
    seen.length = 0;
    await updateUser(ctx, contoso, member.id, { jobTitle: 'Engineer', accountEnabled: true });
    expect(seen).toEqual([]);
  });

  it('deleting an invited user revokes its sign-ins, then says it was invited; its links end', async () => {
    const id = newId();
    await ctx.db.transaction((trx) =>
      insertInvitedUser(trx, {
        id,
        tenantId: contoso,
        upn: 'dee_fabrikam.example#EXT#@contoso.example',
        issuer: 'contoso.example',
        mail: 'dee@fabrikam.example',
        displayName: 'Dee',
        userType: 'Guest',
        now: clock.now(),
      }),
    );
    await ctx.db.kysely
      .insertInto('invitations')
      .values({
        id: newId(),
        tenant_id: contoso,
        user_id: id,
        invited_email: 'dee@fabrikam.example',
        invited_email_lower: 'dee@fabrikam.example',
        invited_display_name: null,
        invited_user_type: 'Guest',
        redirect_url: 'https://app.example',
        send_message: 0,
        message_body: null,
        message_language: null,
        cc_address: null,
        cc_name: null,
        reset_redemption: 0,
        status: 'PendingAcceptance',
        ticket_hash: newId(),
        ticket_state: 'active',
        ticket_expires_at: null,
        inviter: '{}',
        created_at: clock.now(),
        redeemed_at: null,
      })
      .execute();
    seen.length = 0;

    await deleteUser(ctx, contoso, id);

    expect(seen.map((s) => s.name)).toEqual(['user.signInsRevoked', 'user.deleted']);
    expect(seen[1]!.event).toEqual({ account: { tenantId: contoso, userId: id }, invited: true, now: clock.now() });
    const states = await ctx.db.kysely.selectFrom('invitations').select('ticket_state').where('user_id', '=', id).execute();
    expect(states.map((s) => s.ticket_state)).toEqual(['revoked']);
  });

  it("runs listeners in the change's transaction: a listener that fails undoes the change", async () => {
    const member = await createMember(ctx, contoso, { userPrincipalName: 'eve@contoso.example', displayName: 'Eve', password: 'Eve-Passphrase-1' });
    const strict = createContext({ config: ctx.config, db: ctx.db, clock, log: ctx.log });
    onDirectoryEvent(strict, 'user.signInsRevoked', () => {
      throw new Error('the feature could not end its sessions');
    });
    await expect(updateUser(strict, contoso, member.id, { accountEnabled: false })).rejects.toThrow('could not end its sessions');
    expect((await findUser(ctx.db.kysely, contoso, member.id))?.accountEnabled).toBe(true);
  });
});
