/** Bulk invite files: reading Entra's bulk-invite template, and writing the per-row results file. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { BulkCsvError, type BulkInviteResult, type BulkInviteRow, formatBulkInviteResults, parseBulkInviteCsv } from '../../src/invitations/bulk-csv.js';

const entraHeadings =
  'Email address to invite [inviteeEmail] Required,Redirection url [inviteRedirectURL] Required,' +
  'Send invitation message (true or false) [sendEmail],Customized invitation message [customizedMessageBody]';

function bulkCsvError(content: string): BulkCsvError {
  try {
    parseBulkInviteCsv(content);
  } catch (err) {
    expect(err).toBeInstanceOf(BulkCsvError);
    return err as BulkCsvError;
  }
  throw new Error('expected a BulkCsvError');
}

describe('reading a bulk-invite file', () => {
  it("reads Entra's template: version row, bracketed headings, examples row skipped", () => {
    const csv = [
      'version:v1.0',
      entraHeadings,
      'Example:    name@contoso.com,https://myapps.microsoft.com,true,Hello from Contoso',
      'ada@fabrikam.example,https://apps.contoso.example/welcome,TRUE,Welcome aboard',
      '  grace@fabrikam.example , https://myapps.microsoft.com ,False,',
      '',
    ].join('\n');

    expect(parseBulkInviteCsv(csv)).toEqual<BulkInviteRow[]>([
      {
        line: 4,
        email: 'ada@fabrikam.example',
        redirectUrl: 'https://apps.contoso.example/welcome',
        sendInvitationMessage: true,
        customizedMessage: 'Welcome aboard',
      },
      {
        line: 5,
        email: 'grace@fabrikam.example',
        redirectUrl: 'https://myapps.microsoft.com',
        sendInvitationMessage: false,
        customizedMessage: null,
      },
    ]);
  });

  it('accepts a file without the version row, in any column order, ignoring extra columns', () => {
    const csv = ['Department,redirection URL,EMAIL ADDRESS TO INVITE', 'Sales,https://myapps.example,ada@fabrikam.example'].join('\n');

    expect(parseBulkInviteCsv(csv)).toEqual<BulkInviteRow[]>([
      {
        line: 2,
        email: 'ada@fabrikam.example',
        redirectUrl: 'https://myapps.example',
        sendInvitationMessage: false,
        customizedMessage: null,
      },
    ]);
  });

  it('reads yes/no/1/0 and an empty cell (false) for "Send invitation message", case-insensitively', () => {
    const csv = [
      'Email address to invite,Redirection url,Send invitation message (true or false)',
      'a@x.example,https://r.example,Yes',
      'b@x.example,https://r.example,no',
      'c@x.example,https://r.example,1',
      'd@x.example,https://r.example,0',
      'e@x.example,https://r.example,',
      'f@x.example,https://r.example',
    ].join('\n');

    expect(parseBulkInviteCsv(csv).map((row) => row.sendInvitationMessage)).toEqual([true, false, true, false, false, false]);
  });

  it('names a missing required column', () => {
    const error = bulkCsvError(['version:v1.0', 'Email address to invite [inviteeEmail] Required,Customized invitation message', 'a@x.example,Hi'].join('\n'));
    expect(error.message).toContain('"Redirection url"');
    expect(error.message).not.toContain('"Email address to invite"');
  });

  it('refuses a file with no heading row, an empty file, and a file that is not CSV', () => {
    expect(bulkCsvError('ada@fabrikam.example,https://myapps.example\n').message).toMatch(
      /No heading row: line 1 .*"Email address to invite" and "Redirection url"/,
    );
    expect(bulkCsvError('version:v1.0\n').message).toMatch(/No heading row/);
    expect(bulkCsvError('\n\n').message).toMatch(/empty/);
    expect(bulkCsvError('Email address to invite,Redirection url\na@x.example,"https://r.example\n').message).toMatch(/not valid CSV/);
    expect(bulkCsvError('PK\u0003\u0004\u0000\u0000binary').message).toMatch(/not CSV/);
    expect(bulkCsvError('Email address to invite;Redirection url\n').message).toMatch(/semicolons/);
  });

  it('refuses a heading row that names the same column twice', () => {
    expect(bulkCsvError('Email address to invite,Redirection url,Email address to invite [inviteeEmail]\n').message).toMatch(
      /"Email address to invite" appears twice .*columns 1 and 3/,
    );
  });

  it('reports a bad boolean on its row while the other rows parse', () => {
    const csv = [
      'version:v1.0',
      entraHeadings,
      'ada@fabrikam.example,https://myapps.example,maybe,Hi',
      'grace@fabrikam.example,https://myapps.example,true,Hi',
    ].join('\n');

    const [bad, good] = parseBulkInviteCsv(csv);
    expect(bad).toMatchObject({ line: 3, email: 'ada@fabrikam.example', sendInvitationMessage: false });
    expect(bad?.error).toMatch(/^Send invitation message must be true or false/);
    expect(bad?.error).toContain('"maybe"');
    expect(good).toMatchObject({ line: 4, email: 'grace@fabrikam.example', sendInvitationMessage: true });
    expect(good).not.toHaveProperty('error');
  });

  it('reports a row with an empty email address or redirection url', () => {
    const csv = ['Email address to invite,Redirection url', ',https://myapps.example', 'ada@fabrikam.example, '].join('\n');
    expect(parseBulkInviteCsv(csv).map((row) => row.error)).toEqual(['Email address to invite is empty', 'Redirection url is empty']);
  });

  it('keeps commas, quotes and newlines inside a quoted message, and numbers lines from where each row starts', () => {
    const csv = [
      'version:v1.0',
      entraHeadings,
      'ada@fabrikam.example,https://myapps.example,true,"Hello Ada, welcome!',
      '',
      'We say ""hi"" here."',
      'grace@fabrikam.example,https://myapps.example,true,Plain',
    ].join('\n');

    expect(parseBulkInviteCsv(csv)).toEqual<BulkInviteRow[]>([
      {
        line: 3,
        email: 'ada@fabrikam.example',
        redirectUrl: 'https://myapps.example',
        sendInvitationMessage: true,
        customizedMessage: 'Hello Ada, welcome!\n\nWe say "hi" here.',
      },
      {
        line: 6,
        email: 'grace@fabrikam.example',
        redirectUrl: 'https://myapps.example',
        sendInvitationMessage: true,
        customizedMessage: 'Plain',
      },
    ]);
  });

  it('handles a UTF-8 BOM, CRLF line endings, blank lines and rows of empty cells', () => {
    const csv =
      '\uFEFFversion:v1.0\r\n' +
      `${entraHeadings}\r\n` +
      '\r\n' +
      'jürgen@fabrikam.example,https://myapps.example,true,"Grüße,\r\nContoso"\r\n' +
      ',,,\r\n' +
      '\r\n' +
      'ada@fabrikam.example,https://myapps.example,false,\r\n';

    expect(parseBulkInviteCsv(csv)).toEqual<BulkInviteRow[]>([
      {
        line: 4,
        email: 'jürgen@fabrikam.example',
        redirectUrl: 'https://myapps.example',
        sendInvitationMessage: true,
        customizedMessage: 'Grüße,\nContoso',
      },
      {
        line: 8,
        email: 'ada@fabrikam.example',
        redirectUrl: 'https://myapps.example',
        sendInvitationMessage: false,
        customizedMessage: null,
      },
    ]);
  });

  it('gives no rows for a file with headings only', () => {
    expect(parseBulkInviteCsv(`version:v1.0\n${entraHeadings}\n`)).toEqual([]);
  });
});

describe('writing the results file', () => {
  const row = (line: number, email: string, extra: Partial<BulkInviteRow> = {}): BulkInviteRow => ({
    line,
    email,
    redirectUrl: 'https://myapps.example',
    sendInvitationMessage: true,
    customizedMessage: null,
    ...extra,
  });

  const results: BulkInviteResult[] = [
    {
      row: row(3, 'ada@fabrikam.example'),
      outcome: 'invited',
      invitationId: '7b92603c-7b2c-4e1f-8a0d-2f3a3b0cbd11',
      invitedUserId: 'a1b2c3d4-0000-4000-8000-000000000001',
      status: 'PendingAcceptance',
      inviteRedeemUrl: 'https://foyer.example/redeem?t=abc,def',
    },
    { row: row(4, '=HYPERLINK("http://evil.example","click")'), outcome: 'failed', error: 'Not a valid email address' },
    { row: row(5, '@SUM(1+1)', { error: 'Send invitation message must be true or false, not "maybe"' }), outcome: 'failed' },
    { row: row(6, '+1@x.example'), outcome: 'failed', error: '-1 is not allowed\nsee docs' },
    { row: row(7, '\tgrace@fabrikam.example'), outcome: 'failed', error: '\rodd' },
  ];

  it('round-trips through csv-parse with the documented headings', () => {
    const text = formatBulkInviteResults(results);
    const [headings, ...records] = parse(text) as string[][];

    expect(headings).toEqual([
      'Line',
      'Email address to invite',
      'Redirection url',
      'Result',
      'Invitation id',
      'Invited user id',
      'Status',
      'Redeem URL',
      'Error',
    ]);
    expect(records).toHaveLength(results.length);
    expect(records[0]).toEqual([
      '3',
      'ada@fabrikam.example',
      'https://myapps.example',
      'invited',
      '7b92603c-7b2c-4e1f-8a0d-2f3a3b0cbd11',
      'a1b2c3d4-0000-4000-8000-000000000001',
      'PendingAcceptance',
      'https://foyer.example/redeem?t=abc,def',
      '',
    ]);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('guards values that a spreadsheet would run as formulas with a leading apostrophe', () => {
    const records = (parse(formatBulkInviteResults(results)) as string[][]).slice(1);

    expect(records[1]?.[1]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(records[1]?.[3]).toBe('failed');
    expect(records[1]?.[8]).toBe('Not a valid email address');
    expect(records[2]?.[1]).toBe(`'@SUM(1+1)`);
    expect(records[3]?.[1]).toBe(`'+1@x.example`);
    expect(records[3]?.[8]).toBe(`'-1 is not allowed\nsee docs`);
    expect(records[4]?.[1]).toBe(`'\tgrace@fabrikam.example`);
    expect(records[4]?.[8]).toBe(`'\rodd`);
  });

  it("writes a failed row's own error when the result gives none", () => {
    const records = (parse(formatBulkInviteResults(results)) as string[][]).slice(1);
    expect(records[2]?.[8]).toBe('Send invitation message must be true or false, not "maybe"');
  });

  it('writes just the heading row for no results', () => {
    expect(parse(formatBulkInviteResults([]))).toHaveLength(1);
  });
});
