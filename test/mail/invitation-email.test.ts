/** The invitation e-mail, read the way its recipient reads it: subject, text part, HTML part. */
import { describe, expect, it } from 'vitest';
import { composeInvitationEmail, type InvitationEmailInput, invitationLocale } from '../../src/invitations/invitation-email.js';
import { contrastRatio } from '../../src/platform/contrast.js';

const redeemUrl = 'https://foyer.example/redeem?t=abc&tenant=1';
const blockUrl = 'https://foyer.example/invitations/block?t=xyz';

function invitation(overrides: Partial<InvitationEmailInput> = {}): InvitationEmailInput {
  return {
    locale: 'en-US',
    organization: {
      name: 'Contoso',
      primaryDomain: 'contoso.example',
      logoUrl: null,
      backgroundColor: null,
      privacyStatementUrl: null,
    },
    inviter: { kind: 'user', displayName: 'Adele Vance', mail: 'adele@contoso.example' },
    invitee: { address: 'alice@fabrikam.example', displayName: 'Alice' },
    personalMessage: null,
    redeemUrl,
    redirectUrl: 'https://apps.contoso.example/home',
    blockUrl,
    ...overrides,
  };
}

/** What a reader sees in the HTML part: tags removed, entities decoded. */
function visibleText(markup: string): string {
  return markup
    .replace(/<br>/g, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The href of the link whose visible text is `label`, as the mail client would decode it. */
function hrefOf(markup: string, label: string): string | undefined {
  for (const m of markup.matchAll(/<a href="([^"]*)"[^>]*>([^<]*)<\/a>/g)) {
    if (visibleText(m[2]!) === label) return visibleText(m[1]!);
  }
  return undefined;
}

describe('subject', () => {
  it('names the inviting person and the organization, in English', () => {
    expect(composeInvitationEmail(invitation()).subject).toBe('Adele Vance invited you to access applications within Contoso');
  });

  it('is Swedish for sv-SE', () => {
    expect(composeInvitationEmail(invitation({ locale: 'sv-SE' })).subject).toBe('Adele Vance har bjudit in dig att använda program i Contoso');
  });

  it('names only the organization when an app invited', () => {
    const app = { kind: 'app', displayName: 'HR onboarding bot' } as const;
    expect(composeInvitationEmail(invitation({ inviter: app })).subject).toBe('Contoso invited you to access applications within their organization');
    expect(composeInvitationEmail(invitation({ inviter: app, locale: 'sv-SE' })).subject).toBe(
      'Contoso har bjudit in dig att använda program i sin organisation',
    );
  });

  it('stays one header line even if a display name carries line breaks', () => {
    const inviter = { kind: 'user', displayName: 'Eve\r\nBcc: victim@example.com', mail: null } as const;
    expect(composeInvitationEmail(invitation({ inviter })).subject).not.toMatch(/[\r\n]/);
  });
});

describe('accepting', () => {
  it('puts the redeem link behind an "Accept invitation" button and on its own line in the text part', () => {
    const mail = composeInvitationEmail(invitation());
    expect(hrefOf(mail.html, 'Accept invitation')).toBe(redeemUrl);
    expect(mail.html).toContain('href="https://foyer.example/redeem?t=abc&amp;tenant=1"');
    expect(mail.text.split('\n')).toContain(redeemUrl);
  });

  it('labels the button in Swedish for sv-SE', () => {
    const mail = composeInvitationEmail(invitation({ locale: 'sv-SE' }));
    expect(hrefOf(mail.html, 'Acceptera inbjudan')).toBe(redeemUrl);
    expect(mail.text.split('\n')).toContain(redeemUrl);
  });

  it('says where accepting leads, and that the link can be used again', () => {
    const mail = composeInvitationEmail(invitation());
    for (const part of [mail.text, visibleText(mail.html)]) {
      expect(part).toContain('You will be taken to https://apps.contoso.example/home');
      expect(part).toMatch(/use this link again later/);
    }
    const sv = composeInvitationEmail(invitation({ locale: 'sv-SE' }));
    expect(sv.text).toContain('Du skickas vidare till https://apps.contoso.example/home');
  });
});

describe('who is inviting', () => {
  it('warns, before anything else, to accept only expected invitations', () => {
    const mail = composeInvitationEmail(invitation());
    expect(mail.text.split('\n')[0]).toMatch(/^Only accept this invitation if you expected it/);
    const body = visibleText(mail.html.slice(mail.html.indexOf('<body')));
    expect(body.trim()).toMatch(/^Only accept this invitation if you expected it/);
  });

  it('shows the organization name, its primary domain, and the inviter with address', () => {
    const mail = composeInvitationEmail(invitation());
    for (const part of [mail.text, visibleText(mail.html)]) {
      expect(part).toContain('Contoso');
      expect(part).toContain('contoso.example');
      expect(part).toContain('Adele Vance');
      expect(part).toContain('<adele@contoso.example>');
    }
  });

  it('leaves the address out when the inviting person has none', () => {
    const inviter = { kind: 'user', displayName: 'Adele Vance', mail: null } as const;
    const mail = composeInvitationEmail(invitation({ inviter }));
    expect(mail.text).toContain('Invited by: Adele Vance\n');
    expect(mail.html).not.toContain('&lt;adele');
  });

  it('names the organization, not the app, when an app invited', () => {
    const mail = composeInvitationEmail(invitation({ inviter: { kind: 'app', displayName: 'HR onboarding bot' } }));
    expect(mail.text).toContain('Invited by: Contoso\n');
    expect(mail.text).not.toContain('HR onboarding bot');
    expect(mail.html).not.toContain('HR onboarding bot');
  });

  it('shows the logo, described by the organization name, only when one is set', () => {
    expect(composeInvitationEmail(invitation()).html).not.toContain('<img');
    const organization = { ...invitation().organization, logoUrl: 'https://cdn.contoso.example/logo.png' };
    const mail = composeInvitationEmail(invitation({ organization }));
    expect(mail.html).toMatch(/<img src="https:\/\/cdn\.contoso\.example\/logo\.png" alt="Contoso"/);
  });

  it('colours the header band with the branding colour, and ignores anything that is not a colour', () => {
    const organization = { ...invitation().organization, backgroundColor: '#1f4e79' };
    expect(composeInvitationEmail(invitation({ organization })).html).toContain('background:#1f4e79');
    const hostile = { ...invitation().organization, backgroundColor: 'red;background-image:url(https://evil.example/t)' };
    expect(composeInvitationEmail(invitation({ organization: hostile })).html).not.toContain('evil.example');
  });

  it("keeps the organization's name readable on the band: black or white, whichever reaches WCAG AA against the colour", () => {
    for (const backgroundColor of ['#777777', '#1f4e79', '#ffcc00', '#d13438']) {
      const html = composeInvitationEmail(invitation({ organization: { ...invitation().organization, backgroundColor } })).html;
      const text = /background:#[0-9a-f]+;color:(#[0-9a-f]{6})/i.exec(html)?.[1];
      expect(text, backgroundColor).toBeDefined();
      expect(contrastRatio(text!, backgroundColor), backgroundColor).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('the personal message', () => {
  const hostile = '<script>alert(1)</script><a href="https://evil">x</a>';

  it('is shown as text in HTML, never as markup, and verbatim in the text part', () => {
    const mail = composeInvitationEmail(invitation({ personalMessage: hostile }));
    expect(mail.html).not.toContain('<script');
    expect(mail.html).not.toContain('<a href="https://evil"');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;https://evil&quot;&gt;x&lt;/a&gt;');
    expect(visibleText(mail.html)).toContain(hostile);
    expect(mail.text).toContain(hostile);
  });

  it('keeps its line breaks', () => {
    const personalMessage = 'Welcome aboard!\nSee you on Monday.\r\n<b>Bring</b> your laptop.';
    const mail = composeInvitationEmail(invitation({ personalMessage }));
    expect(mail.html).toContain('Welcome aboard!<br>See you on Monday.<br>&lt;b&gt;Bring&lt;/b&gt; your laptop.');
    expect(mail.text).toContain(personalMessage);
  });

  it('is introduced with the inviter’s name, and absent when there is none', () => {
    const withMessage = composeInvitationEmail(invitation({ personalMessage: 'Hi Alice' }));
    expect(withMessage.text).toContain('Message from Adele Vance:\nHi Alice');
    const without = composeInvitationEmail(invitation());
    expect(without.text).not.toContain('Message from');
    expect(visibleText(without.html)).not.toContain('Message from');
  });
});

describe('footer', () => {
  it('links the privacy statement when the organization has one', () => {
    const organization = { ...invitation().organization, privacyStatementUrl: 'https://contoso.example/privacy' };
    const mail = composeInvitationEmail(invitation({ organization }));
    expect(hrefOf(mail.html, 'Contoso’s privacy statement')).toBe('https://contoso.example/privacy');
    expect(mail.text).toContain('Contoso’s privacy statement: https://contoso.example/privacy');
    expect(mail.text).not.toContain('has not provided');
  });

  it('says so when the organization has no privacy statement', () => {
    const mail = composeInvitationEmail(invitation());
    expect(mail.text).toContain('Contoso has not provided a privacy statement.');
    expect(visibleText(mail.html)).toContain('Contoso has not provided a privacy statement.');
    const sv = composeInvitationEmail(invitation({ locale: 'sv-SE' }));
    expect(sv.text).toContain('Contoso har inte angett någon integritetspolicy.');
  });

  it('never links a privacy statement that is not a web address', () => {
    const organization = { ...invitation().organization, privacyStatementUrl: 'javascript:alert(1)' };
    const mail = composeInvitationEmail(invitation({ organization }));
    expect(mail.html).not.toContain('javascript:');
    expect(mail.text).toContain('Contoso has not provided a privacy statement.');
  });

  it('offers to block future invitations, in both languages', () => {
    const mail = composeInvitationEmail(invitation());
    expect(hrefOf(mail.html, 'Block future invitations')).toBe(blockUrl);
    expect(mail.text).toContain(`Block future invitations: ${blockUrl}`);
    expect(mail.text).toMatch(/block all future invitations from this organization/);
    const sv = composeInvitationEmail(invitation({ locale: 'sv-SE' }));
    expect(hrefOf(sv.html, 'Blockera framtida inbjudningar')).toBe(blockUrl);
  });

  it('tells the reader which address was invited', () => {
    const mail = composeInvitationEmail(invitation());
    expect(mail.text).toContain('This invitation was sent to alice@fabrikam.example.');
  });
});

describe('HTML part', () => {
  it('is a complete document in the chosen language, with no scripts or external stylesheets', () => {
    for (const locale of ['en-US', 'sv-SE'] as const) {
      const organization = { ...invitation().organization, privacyStatementUrl: 'https://contoso.example/privacy' };
      const mail = composeInvitationEmail(invitation({ locale, organization, personalMessage: '<script>x</script>' }));
      expect(mail.html.startsWith('<!doctype html>')).toBe(true);
      expect(mail.html).toContain(`<html lang="${locale}">`);
      expect(mail.html).toMatch(/<\/html>\s*$/);
      expect(mail.html).not.toMatch(/<script|<link|<style/i);
    }
  });
});

describe('language', () => {
  const table: Array<[string | null, string | null, string | null, 'en-US' | 'sv-SE']> = [
    ['sv-SE', 'en-US', null, 'sv-SE'], // messageLanguage wins
    ['en-US', 'sv-SE', 'sv-SE', 'en-US'],
    [null, 'sv', null, 'sv-SE'], // then the guest's preferredLanguage; a bare language matches
    [null, 'sv-FI', 'en-US', 'sv-SE'],
    [null, null, 'sv-SE', 'sv-SE'], // then the tenant's notification language
    ['fr-FR', null, 'sv-SE', 'sv-SE'], // a language Foyer does not speak falls through to the next preference
    ['fr-FR', 'de-DE', null, 'en-US'],
    ['de-DE', null, null, 'en-US'],
    ['', '  ', null, 'en-US'],
    [null, null, null, 'en-US'],
    ['en-GB', 'sv-SE', null, 'en-US'],
  ];

  it.each(table)('(%j, %j, %j) → %s', (messageLanguage, preferred, tenant, expected) => {
    expect(invitationLocale(messageLanguage, preferred, tenant)).toBe(expected);
  });

  it('accepts undefined for settings that were never given', () => {
    expect(invitationLocale(undefined, undefined, 'sv-SE')).toBe('sv-SE');
  });
});
