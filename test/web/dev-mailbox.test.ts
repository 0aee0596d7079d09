/**
 * The development mailbox as a script and a developer use it: a JSON list (to, subject, date, links,
 * text) at `/_dev/mailbox.json` or with `Accept: application/json`, narrowed with `?to=`; and pages that
 * show each link whole and clickable, in English and Swedish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { developmentMailbox } from '../../src/mail/mailbox.js';
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

  it('finds a recipient’s mail behind more than a page of newer mail, and says when a list is cut off', async () => {
    // 120 newer messages to others: Alice's invitation is no longer among the newest 100.
    const transport = developmentMailbox(foyer.ctx);
    for (let i = 0; i < 120; i++) {
      await transport.send({
        messageId: `<filler-${i}@foyer.test>`,
        from: 'foyer@localhost',
        to: { address: `someone${i}@northwind.example`, name: null },
        cc: null,
        replyTo: null,
        subject: `Filler ${i}`,
        text: 'filler',
        html: '<p>filler</p>',
      });
    }
    type Box = { value: MailJson[]; '@odata.nextLink'?: string };
    const alice = (await (await get('/_dev/mailbox.json?to=Alice@Fabrikam.example')).json()) as Box;
    expect(alice.value).toEqual([mail]);
    expect(alice['@odata.nextLink']).toBeUndefined();

    // The whole list: 100, then a next link to the rest; following it reaches Alice's mail.
    const first = (await (await get('/_dev/mailbox.json')).json()) as Box;
    expect(first.value).toHaveLength(100);
    expect(first.value[0]!.subject).toBe('Filler 119');
    expect(first['@odata.nextLink']).toMatch(/\/_dev\/mailbox\.json\?before=[0-9a-f-]{36}$/);
    const next = new URL(first['@odata.nextLink']!);
    const second = (await (await get(next.pathname + next.search)).json()) as Box;
    expect(second.value.map((m) => m.subject)).toEqual([...Array.from({ length: 20 }, (_, i) => `Filler ${19 - i}`), mail.subject]);
    expect(second['@odata.nextLink']).toBeUndefined();

    // The page says so too, with a link to the older messages.
    const html = await (await get('/_dev/mailbox', { 'accept-language': 'en-US' })).text();
    expect(html).toContain('Showing the newest 100 messages.');
    expect(html).toContain(`<a href="/_dev/mailbox?${escapeHtml(next.search.slice(1))}">Older messages →</a>`);
    const older = await (await get(`/_dev/mailbox${next.search}`, { 'accept-language': 'en-US' })).text();
    expect(older).toContain(mail.subject);
    expect(older).not.toContain('Showing the newest');
    expect((await get('/_dev/mailbox.json?before=nope')).status).toBe(400);
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
