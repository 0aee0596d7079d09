/**
 * App assignment in Chromium: a guest invited to an app that requires assignment redeems the invitation,
 * is sent on to the app, and meets Entra's AADSTS50105 page instead (in English and Swedish, passing
 * axe-core), while the app (a real openid-client relying party) receives no code. Once a group the guest
 * is in, through a nested group, is assigned to the app, the same guest is signed in, and the app's
 * `groupMembershipClaims` puts that group in the ID token.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { expectAccessible, expectHeading, landedAt, launchChromium } from '../support/chromium.js';
import { createSecurityGroup } from '../support/directory-fixtures.js';
import { type GuestWorld, redeemWithPasscode, startGuestWorld } from '../support/guests.js';
import { appToken, graph } from '../support/tokens.js';

const DEFAULT_ACCESS = '00000000-0000-0000-0000-000000000000';

describe.each(backends)('app assignment in Chromium on $name', (backend) => {
  let w: GuestWorld;
  let browser: Browser;
  /** A token of an administrator's script that manages apps, groups and assignments. */
  let apps: string;
  let portal: { id: string; appId: string; sp: string };

  beforeAll(async () => {
    w = await startGuestWorld(backend);
    const script = await w.foyer.createApp(w.contoso.id, {
      displayName: 'App admin script',
      applicationPermissions: ['Application.ReadWrite.All', 'Group.ReadWrite.All', 'User.Read.All'],
    });
    apps = await appToken(w.foyer, w.contoso, script);
    const listed = await graph(w.foyer, apps, 'GET', `/applications?$filter=${encodeURIComponent("displayName eq 'Contoso portal'")}`);
    const app = listed.body.value[0] as { id: string; appId: string };
    const sp = await graph(w.foyer, apps, 'GET', `/servicePrincipals(appId='${app.appId}')`);
    portal = { id: app.id, appId: app.appId, sp: sp.body.id };
    expect((await graph(w.foyer, apps, 'PATCH', `/servicePrincipals/${portal.sp}`, { appRoleAssignmentRequired: true })).status).toBe(204);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it('refuses an unassigned guest with AADSTS50105 after redemption, in English and Swedish, and admits them once their group is assigned', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const codesBefore = w.portal.results.length;
    const inv = await redeemWithPasscode(w, page, 'gina@outside.example');

    // After Accept the guest is sent to the invitation's app, which starts a sign-in: single sign-on finds
    // the guest, and the assignment refuses them.
    await expectHeading(page, 'Sign in', 1);
    const main = page.locator('main');
    await expect.poll(() => main.textContent()).toContain('AADSTS50105');
    const said = (await main.textContent()) ?? '';
    expect(said.replace(/\s+/g, ' ')).toContain(
      `AADSTS50105: Your administrator has configured the application Contoso portal ('${portal.appId}') to block users unless they are specifically granted ('assigned') access to the application.`,
    );
    expect(said).toContain('is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator.');
    expect(said).toContain('gina_outside.example#EXT#@');
    expect(page.url()).not.toContain('/callback');
    expect(w.portal.results.length).toBe(codesBefore);

    // The same refusal in Swedish: the same browser's cookies, a Swedish browser.
    const swedish = await browser.newContext({ locale: 'sv-SE', storageState: await context.storageState() });
    const sv = await swedish.newPage();
    await sv.goto(`${w.portal.url}/login`);
    await expectHeading(sv, 'Logga in', 1);
    expect(await sv.locator('html').getAttribute('lang')).toBe('sv-SE');
    expect(await sv.locator('main').textContent()).toContain(`AADSTS50105: Din administratör har konfigurerat programmet Contoso portal ('${portal.appId}')`);
    expect(w.portal.results.length).toBe(codesBefore);

    // Back to the app: it hears access_denied, never a code.
    await sv.getByRole('button', { name: 'Tillbaka till appen' }).click();
    await sv.waitForURL(`${w.portal.url}/callback**`);
    expect(new URL(sv.url()).searchParams.get('error')).toBe('access_denied');
    expect(w.portal.results.length).toBe(codesBefore);
    await swedish.close();

    // Gina is in Partners, which is in Payroll users; Payroll users is assigned to the app.
    const outer = await createSecurityGroup(w.foyer, apps, 'Payroll-users');
    const inner = await createSecurityGroup(w.foyer, apps, 'Partners');
    const ref = (id: string) => ({ '@odata.id': `${w.foyer.url}/graph/v1.0/directoryObjects/${id}` });
    expect((await graph(w.foyer, apps, 'POST', `/groups/${outer}/members/$ref`, ref(inner))).status).toBe(204);
    expect((await graph(w.foyer, apps, 'POST', `/groups/${inner}/members/$ref`, ref(inv.guestId))).status).toBe(204);
    const assigned = await graph(w.foyer, apps, 'POST', `/servicePrincipals/${portal.sp}/appRoleAssignedTo`, {
      principalId: outer,
      resourceId: portal.sp,
      appRoleId: DEFAULT_ACCESS,
    });
    expect(assigned.status).toBe(201);
    // And the app asks for the user's security groups in its tokens.
    expect((await graph(w.foyer, apps, 'PATCH', `/applications/${portal.id}`, { groupMembershipClaims: 'SecurityGroup' })).status).toBe(204);
    // (The provider caches an app for two seconds.)
    await new Promise((r) => setTimeout(r, 2100));

    await page.goto(`${w.portal.url}/login`);
    const claims = await landedAt(page, w.portal);
    expect(claims.sub).toBe(inv.guestId);
    expect([...(claims.groups as string[])].sort()).toEqual([inner, outer].sort());
    await context.close();
  });

  it('still refuses another guest who is in no assigned group', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await redeemWithPasscode(w, page, 'hugo@outside.example');
    await expectHeading(page, 'Sign in', 1);
    await expect.poll(() => page.locator('main').textContent()).toContain("The signed in user 'hugo_outside.example#EXT#@");
    await expectAccessible(page, 'AADSTS50105 in English');
    await context.close();
  });
});
