/**
 * The home tenant password method: an address at a domain another tenant on this instance verified is
 * proven with that tenant's password, on that tenant's page; wrong passwords, disabled accounts and
 * guessing are refused the way the tenant's own sign-in page refuses them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, updateUser } from '../../../src/directory/users.js';
import { backends } from '../../support/backends.js';
import type { TestTenant } from '../../support/foyer.js';
import { type GuestWorld, startGuestWorld } from '../../support/guests.js';
import { formWith, HttpBrowser, visibleText } from '../../support/http-browser.js';
import { graph } from '../../support/tokens.js';

describe.each(backends)('the home tenant password method on $name', (backend) => {
  let w: GuestWorld;
  let fabrikam: TestTenant;

  beforeAll(async () => {
    w = await startGuestWorld(backend, { env: { FOYER_SIGNIN_ATTEMPT_LIMIT: '3' } });
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
  });
  afterAll(() => w?.close());

  const member = (local: string) =>
    createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: `${local}@fabrikam.example`, displayName: local, password: 'Right-Passphrase-1' });
  const state = async (id: string) => (await graph(w.foyer, w.admin, 'GET', `/users/${id}?$select=externalUserState,identities`)).body;

  it('asks for the Fabrikam password on a Fabrikam page and proves the member: issuer, object id, amr pwd', async () => {
    const ann = await member('ann');
    const inv = await w.invite('ann@fabrikam.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    expect(visibleText(step)).toContain('Sign in with your Fabrikam account');
    const consent = await b.submit(step, formWith(step, 'password'), { password: 'Right-Passphrase-1' });
    expect(visibleText(consent)).toContain('Review permissions');
    const landed = await b.press(consent, 'Accept', {}, (u) => u.startsWith(`${w.portal.url}/callback`));
    await b.go(landed.url);
    expect(w.portal.results.at(-1)!.claims).toMatchObject({ oid: inv.guestId, idp: fabrikam.issuer, amr: ['pwd'] });
    expect((await state(inv.guestId)).identities).toContainEqual({ signInType: 'federated', issuer: fabrikam.issuer, issuerAssignedId: ann.id });
  });

  it('a wrong password and a disabled account get the same answer, and nothing is proven', async () => {
    const bo = await member('bo');
    await updateUser(w.foyer.ctx, fabrikam.id, bo.id, { accountEnabled: false });
    await member('cy');
    const answers = [];
    for (const [address, password] of [
      ['cy@fabrikam.example', 'Wrong-Passphrase-1'],
      ['bo@fabrikam.example', 'Right-Passphrase-1'],
    ] as const) {
      const inv = await w.invite(address, { sendInvitationMessage: false });
      const b = new HttpBrowser();
      const step = await b.press(await b.go(inv.redeemUrl), 'Next');
      const page = await b.submit(step, formWith(step, 'password'), { password });
      answers.push({ status: page.status, text: visibleText(page).replace(address, '') });
      expect((await state(inv.guestId)).externalUserState).toBe('PendingAcceptance');
    }
    expect(answers[0]!.status).toBe(400);
    expect(answers[0]!.text).toContain('Your account or password is incorrect');
    expect(answers[1]).toEqual(answers[0]);
  });

  it('past the attempt limit, refuses before checking the password, and says when to try again', async () => {
    await member('dee');
    const inv = await w.invite('dee@fabrikam.example', { sendInvitationMessage: false });
    const b = new HttpBrowser();
    const step = await b.press(await b.go(inv.redeemUrl), 'Next');
    for (let i = 0; i < 3; i++) expect((await b.submit(step, formWith(step, 'password'), { password: `Wrong-${i}` })).status).toBe(400);
    const blocked = await b.submit(step, formWith(step, 'password'), { password: 'Right-Passphrase-1' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(visibleText(blocked)).toContain('Too many incorrect attempts');
  });
});
