/**
 * No enumeration through the member sign-in page: members are found only by their sign-in name (a
 * userPrincipalName on one of the tenant's verified domains). An address that is some member's `mail` or
 * `otherMails` gets exactly what an unknown address on the same domain gets: the same answer to the
 * address form, the same page after it, and no sign-in with the member's password.
 */
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember } from '../../src/directory/users.js';
import { backends } from '../support/backends.js';
import type { TestFoyer, TestTenant } from '../support/foyer.js';
import { forms, formWith, HttpBrowser, type PageResponse, visibleText } from '../support/http-browser.js';
import { isCallback, REDIRECT, startPortal } from '../support/portal.js';
import { authorizationRequest } from '../support/tokens.js';

const PASSWORD = 'Harbour-Quill-Meadow-5';

describe.each(backends)('the member sign-in page finds members by sign-in name only on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let client: oidc.Configuration;

  beforeAll(async () => {
    ({ foyer, tenant, client } = await startPortal(backend));
    // Lea's private address is her `mail`, another one is in `otherMails`. Sam's `mail` is an alias on
    // Contoso's own domain: an address, not a sign-in name.
    await createMember(foyer.ctx, tenant.id, {
      userPrincipalName: 'lea@contoso.example',
      displayName: 'Lea',
      password: PASSWORD,
      mail: 'lea.home@private.example',
      otherMails: ['lea.other@elsewhere.example'],
    });
    await createMember(foyer.ctx, tenant.id, {
      userPrincipalName: 'sam@contoso.example',
      displayName: 'Sam',
      password: PASSWORD,
      mail: 'sam.alias@contoso.example',
    });
  });
  afterAll(() => foyer?.stop());

  /** The answer to the address form itself (status and where it sends the browser), ids blanked out. */
  async function answerTo(email: string) {
    const browser = new HttpBrowser();
    const { url } = await authorizationRequest(client, REDIRECT);
    const page = await browser.go(url, {}, isCallback);
    const form = forms(page)[formWith(page, 'email')]!;
    const first = await browser.request(new URL(form.action, page.url).toString(), { method: 'POST', form: { ...form.fields, email } });
    const next = await browser.submit(page, formWith(page, 'email'), { email }, isCallback);
    return { browser, first, next };
  }

  /** What a person reads and where the page's forms go, with the address and the per-flow ids blanked out. */
  function shape(res: PageResponse, email: string) {
    const blank = (s: string) =>
      s
        .replaceAll(email, '<address>')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
        .replace(/[A-Za-z0-9_-]{16,}/g, '<token>');
    return {
      status: res.status,
      location: res.headers.get('location') ? blank(res.headers.get('location')!) : null,
      text: blank(visibleText(res)),
      forms: forms(res).map((f) => ({ action: blank(f.action), fields: Object.keys(f.fields).sort() })),
    };
  }

  it('a member’s private mail, or one of their otherMails, gets exactly what an unknown address gets', async () => {
    for (const [known, unknown] of [
      ['lea.home@private.example', 'nobody@private.example'],
      ['lea.other@elsewhere.example', 'nobody@elsewhere.example'],
    ] as const) {
      const member = await answerTo(known);
      const stranger = await answerTo(unknown);
      expect(shape(member.first, known)).toEqual(shape(stranger.first, unknown));
      expect(shape(member.next, known)).toEqual(shape(stranger.next, unknown));
      // Not the member's password page: the address is treated as someone else's home identity.
      expect(visibleText(member.next)).not.toContain(`Enter the password for ${known}`);
    }
  });

  it('a mail alias on a verified domain gets the same password page as an unknown address there, and the member’s password does not work with it', async () => {
    const alias = await answerTo('sam.alias@contoso.example');
    const stranger = await answerTo('ghost@contoso.example');
    expect(shape(alias.first, 'sam.alias@contoso.example')).toEqual(shape(stranger.first, 'ghost@contoso.example'));
    expect(shape(alias.next, 'sam.alias@contoso.example')).toEqual(shape(stranger.next, 'ghost@contoso.example'));
    const refused = await alias.browser.submit(alias.next, formWith(alias.next, 'password'), { password: PASSWORD }, isCallback);
    expect(isCallback(refused.url)).toBe(false);
    expect(refused.status).toBe(400);
    expect(visibleText(refused)).toContain('Your account or password is incorrect');
  });

  it('the member signs in with the sign-in name, whatever its letter case', async () => {
    const { browser, next } = await answerTo('Lea@Contoso.Example');
    expect(visibleText(next)).toContain('Enter the password for Lea@contoso.example');
    const done = await browser.submit(next, formWith(next, 'password'), { password: PASSWORD }, isCallback);
    expect(isCallback(done.url)).toBe(true);
  });
});
