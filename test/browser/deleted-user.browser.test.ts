/**
 * A deleted guest, in Chromium, through Contoso's app (a real openid-client relying party): a Fabrikam
 * member redeems an invitation to Contoso with their Fabrikam account and is put in a group; an
 * administrator deletes the guest, and the person can no longer sign in to the app, not even with the
 * session their browser still holds; restored, they sign in again with the same home identity as the same
 * object, still in their group. Every Foyer page on the way passes axe-core. On both backends.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import { expectAccessible, launchChromium } from '../support/chromium.js';
import type { TestTenant } from '../support/foyer.js';
import { type GuestWorld, linkIn, startGuestWorld } from '../support/guests.js';
import { appToken, graph } from '../support/tokens.js';

const PASSWORD = 'Garden-Passphrase-1';

describe.each(backends)('a deleted and restored guest in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  let fabrikam: TestTenant;
  let groups: string;
  let aliceAtFabrikam: string;

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    fabrikam = await w.foyer.createTenant('Fabrikam', { domains: ['fabrikam.example'] });
    aliceAtFabrikam = (
      await createMember(w.foyer.ctx, fabrikam.id, { userPrincipalName: 'alice@fabrikam.example', displayName: 'Alice Fabrikam', password: PASSWORD })
    ).id;
    const app = await w.foyer.createApp(w.contoso.id, { displayName: 'Group script', applicationPermissions: ['Group.ReadWrite.All', 'User.Read.All'] });
    groups = await appToken(w.foyer, w.contoso, app);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  const heading = async (page: Page, name: string | RegExp) => {
    await expect.poll(() => page.getByRole('heading', { name }).isVisible(), { timeout: 10_000 }).toBe(true);
    await expectAccessible(page, String(name));
  };
  const landed = async (page: Page) => {
    await page.waitForURL(`${w.portal.url}/callback**`);
    return w.portal.results.at(-1)!.claims;
  };

  /** Signs in to Contoso's app in a fresh browser, identifier-first: the address leads to Fabrikam's page. */
  async function signInWithFabrikam(page: Page) {
    await page.goto(`${w.portal.url}/login`);
    await page.getByLabel('Email address').fill('alice@fabrikam.example');
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Sign in with your Fabrikam account');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('a deleted guest cannot sign in to the app; restored, signs in with the same home identity and is still in their group', async () => {
    // Alice redeems with her Fabrikam account and lands in Contoso's app.
    const inv = await w.invite('alice@fabrikam.example');
    const first = await browser.newContext({ locale: 'en-US' });
    const page = await first.newPage();
    await page.goto(linkIn(inv.mail!));
    await heading(page, 'Contoso invited you');
    await page.getByRole('button', { name: 'Next' }).click();
    await heading(page, 'Sign in with your Fabrikam account');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Review permissions');
    await page.getByRole('button', { name: 'Accept' }).click();
    expect(await landed(page)).toMatchObject({ tid: w.contoso.id, oid: inv.guestId, idp: fabrikam.issuer });

    const group = await graph(w.foyer, groups, 'POST', '/groups', {
      displayName: 'Partners',
      mailNickname: 'partners',
      securityEnabled: true,
      mailEnabled: false,
      'members@odata.bind': [`${w.foyer.url}/graph/v1.0/directoryObjects/${inv.guestId}`],
    });
    expect(group.status, JSON.stringify(group.body)).toBe(201);

    // Deleted: the browser's session at Contoso ended, and a fresh sign-in finds no guest to be.
    expect((await graph(w.foyer, w.admin, 'DELETE', `/users/${inv.guestId}`)).status).toBe(204);
    const signIns = w.portal.results.length;
    await page.goto(`${w.portal.url}/login`);
    // The single sign-on session ended with the deletion: Contoso asks who is signing in.
    await heading(page, 'Sign in to Contoso');
    await first.close();

    const second = await browser.newContext({ locale: 'en-US' });
    const p2 = await second.newPage();
    await signInWithFabrikam(p2);
    // Fabrikam still vouches for Alice, but Contoso has no guest of that identity any more.
    await heading(p2, 'You don’t have access to Contoso');
    await expect.poll(() => p2.getByText('alice@fabrikam.example isn’t a guest of Contoso.').isVisible()).toBe(true);
    expect(p2.url()).not.toContain(`${w.portal.url}/callback`);
    expect(w.portal.results).toHaveLength(signIns);
    await second.close();

    // Restored: the same object, the same home identity, the same group.
    const restored = await graph(w.foyer, w.admin, 'POST', `/directory/deletedItems/${inv.guestId}/restore`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    const third = await browser.newContext({ locale: 'en-US' });
    const p3 = await third.newPage();
    await signInWithFabrikam(p3);
    expect(await landed(p3)).toMatchObject({ tid: w.contoso.id, oid: inv.guestId, idp: fabrikam.issuer, email: 'alice@fabrikam.example' });
    await third.close();

    const guest = await graph(w.foyer, w.admin, 'GET', `/users/${inv.guestId}?$select=externalUserState,identities`);
    expect(guest.body.externalUserState).toBe('Accepted');
    expect(guest.body.identities).toContainEqual({ signInType: 'federated', issuer: fabrikam.issuer, issuerAssignedId: aliceAtFabrikam });
    const memberOf = await graph(w.foyer, groups, 'GET', `/users/${inv.guestId}/memberOf`);
    expect(memberOf.body.value.map((g: { displayName: string }) => g.displayName)).toEqual(['Partners']);
  });
});
