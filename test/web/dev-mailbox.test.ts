/**
 * The development mailbox as a script and a developer use it: a JSON list (to, subject, date, links,
 * text) at `/_dev/mailbox.json` or with `Accept: application/json`, narrowed with `?to=`; and pages that
 * show each link whole and clickable, in English and Swedish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { escapeHtml } from '../../src/platform/html.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';

interface MailJson {
  id: string;
  date: string;
  from: string;
  to: string;
  cc: string | null;
  subject: string;
  links: string[];
  text: string;
}

describe.each(backends)('development mailbox on $name', (backend) => {
  let foyer: TestFoyer;
  let link: string;
  let mail: MailJson;

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${foyer.port}${path}`, { headers });

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    // Invite with the e-mail, as an operator does; the server's outbox worker delivers it to the mailbox.
    const out = io({ FOYER_DATABASE_URL: foyer.databaseUrl, FOYER_PUBLIC_URL: foyer.url });
    const args = [
      'invite',
      '--tenant',
      'contoso.example',
      '--email',
      'alice@fabrikam.example',
      '--redirect-url',
      'https://apps.contoso.example/',
      '--send',
      '--json',
    ];
    expect(await runCli(args, out)).toBe(0);
    link = JSON.parse(out.stdout.join('\n')).inviteRedeemUrl;
    for (let i = 0; i < 100; i++) {
      const box = (await (await get('/_dev/mailbox.json')).json()) as { value: MailJson[] };
      if (box.value.length) {
        mail = box.value[0]!;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => foyer?.stop());

  it('lists the mail as JSON for scripts: recipient, subject, date, the whole links and the text', () => {
    expect(mail).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      from: expect.any(String),
      to: 'alice@fabrikam.example',
      cc: null,
      replyTo: null,
      subject: 'Contoso invited you to access applications within their organization',
      links: expect.arrayContaining([link]),
      text: expect.stringContaining(link),
    });
    expect(link).toMatch(/^http:\/\/localhost:\d+\/redeem\?tenant=.+&ticket=[A-Za-z0-9_-]{20,}/);
  });

  it('answers JSON on the page’s own address to Accept: application/json, and narrows the list with ?to=', async () => {
    const res = await get('/_dev/mailbox', { accept: 'application/json' });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { value: MailJson[] }).value[0]).toEqual(mail);
    expect(((await (await get('/_dev/mailbox.json?to=ALICE@fabrikam.example')).json()) as { value: MailJson[] }).value).toEqual([mail]);
    expect(((await (await get('/_dev/mailbox.json?to=bob@fabrikam.example')).json()) as { value: MailJson[] }).value).toEqual([]);
    const one = await get(`/_dev/mailbox/${mail.id}`, { accept: 'application/json' });
    expect(await one.json()).toEqual(mail);
  });

  it('shows every link whole and clickable, on the list and on the message', async () => {
    const whole = new RegExp(`<a href="${escapeRegExp(escapeHtml(link))}">${escapeRegExp(escapeHtml(link))}</a>`);
    const list = await (await get('/_dev/mailbox', { accept: 'text/html' })).text();
    expect(list).toMatch(whole);
    const message = await (await get(`/_dev/mailbox/${mail.id}`, { accept: 'text/html' })).text();
    // In the list of links, and inside the message text, which wraps long lines instead of cutting them.
    expect(message.match(new RegExp(whole, 'g'))?.length).toBeGreaterThanOrEqual(2);
    expect(message).toContain('white-space: pre-wrap');
    expect(message).not.toMatch(/<pre>/);
  });

  it.each([
    ['en-US', 'Development mailbox', 'Links in this message', '← Mailbox'],
    ['sv-SE', 'Utvecklingsbrevlåda', 'Länkar i meddelandet', '← Brevlådan'],
  ])('speaks %s', async (locale, title, links, back) => {
    const list = await (await get('/_dev/mailbox', { 'accept-language': locale })).text();
    expect(list).toContain(`<html lang="${locale}">`);
    expect(list).toContain(`<h1>${title}</h1>`);
    const message = await (await get(`/_dev/mailbox/${mail.id}`, { 'accept-language': locale })).text();
    expect(message).toContain(`<h2>${links}</h2>`);
    expect(message).toContain(back);
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
