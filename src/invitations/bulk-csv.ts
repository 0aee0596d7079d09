/**
 * The CSV side of `foyer invite --csv FILE`: reading Entra's bulk-invite template and writing the per-row
 * results file. Pure: no I/O, no validation beyond what the CSV itself can tell (addresses and URLs are
 * checked by whoever sends the invitations).
 *
 * The input is Entra's template (Bulk operations → Bulk invite): row 1 is a version line
 * (`version:v1.0`), row 2 holds the headings, an optional examples row follows, then one row per guest.
 * A file without the version row (headings on row 1) is accepted too.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export interface BulkInviteRow {
  /** 1-based line number in the file of this row (for error messages and the results file). */
  line: number;
  /** Trimmed, as given (validation happens later). */
  email: string;
  /** Trimmed. */
  redirectUrl: string;
  /** "true"/"false"/"yes"/"no"/"1"/"0", case-insensitive; an empty cell or a missing column means false. */
  sendInvitationMessage: boolean;
  /** Trimmed; an empty cell or a missing column gives null. */
  customizedMessage: string | null;
  /** A problem with this row alone (e.g. "Send invitation message must be true or false"); such rows are reported, not invited. */
  error?: string;
}

/** The file as a whole is unusable (no heading row, a required column missing, not CSV); the message says what is wrong. */
export class BulkCsvError extends Error {
  override name = 'BulkCsvError';
}

type Field = 'email' | 'redirectUrl' | 'sendInvitationMessage' | 'customizedMessage';

/** The columns Foyer reads, by the heading text of Entra's template (without its `[property]` suffix). */
const columns: readonly { field: Field; heading: string; required: boolean; aliases: readonly string[] }[] = [
  { field: 'email', heading: 'Email address to invite', required: true, aliases: [] },
  { field: 'redirectUrl', heading: 'Redirection url', required: true, aliases: [] },
  {
    field: 'sendInvitationMessage',
    heading: 'Send invitation message (true or false)',
    required: false,
    aliases: ['Send invitation message'],
  },
  { field: 'customizedMessage', heading: 'Customized invitation message', required: false, aliases: [] },
];

/** `Email address to invite [inviteeEmail] Required` → `email address to invite`. */
function headingKey(heading: string): string {
  return heading
    .replace(/\s*\[[\s\S]*$/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

const fieldByKey = new Map<string, (typeof columns)[number]>(
  columns.flatMap((column) => [column.heading, ...column.aliases].map((name) => [headingKey(name), column] as const)),
);

const trueWords = new Set(['true', 'yes', '1']);
const falseWords = new Set(['false', 'no', '0', '']);

interface ParsedRecord {
  cells: string[];
  /** Line on which the record starts. */
  line: number;
}

function readRecords(content: string): ParsedRecord[] {
  if (content.includes('\u0000')) {
    throw new BulkCsvError('The file is not CSV text (it contains NUL bytes); save a spreadsheet as "CSV UTF-8" first.');
  }
  // One line ending throughout. This keeps csv-parse's line count exact (a CRLF inside a quoted field
  // would otherwise count as two lines) and turns CRLF inside a message into a plain newline.
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    if (err instanceof CsvError) throw new BulkCsvError(`The file is not valid CSV: ${err.message}`, { cause: err });
    throw err;
  }
  const records: ParsedRecord[] = [];
  for (const { record, info } of parsed) {
    // Spreadsheets save rows they consider empty as `,,,`: treat those like blank lines.
    if (record.every((cell) => cell.trim() === '')) continue;
    // `info.lines` is the line the record ends on; newlines inside quoted fields move its start back.
    const newlines = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    records.push({ cells: record, line: info.lines - newlines });
  }
  return records;
}

function parseBoolean(value: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (trueWords.has(word)) return true;
  if (falseWords.has(word)) return false;
  return undefined;
}

/**
 * Reads a bulk-invite file (Entra's template or the same columns without the version row). Returns one row
 * per data line, in file order; rows with a problem of their own carry `error`. Throws `BulkCsvError` when
 * the file as a whole cannot be used. A file with headings and no data rows gives `[]`.
 */
export function parseBulkInviteCsv(content: string): BulkInviteRow[] {
  const records = readRecords(content);
  if (records.length === 0) throw new BulkCsvError('The file is empty: expected a heading row and one row per guest.');

  let next = 0;
  if (/^\s*version\s*:/i.test(records[0]!.cells[0] ?? '')) next = 1;
  const headingRecord = records[next];
  if (headingRecord === undefined) {
    throw new BulkCsvError(`No heading row: line ${records[0]!.line} is a version line and nothing follows it.`);
  }
  next += 1;

  // Column index of each field; extra columns are ignored.
  const indexOf = new Map<Field, number>();
  headingRecord.cells.forEach((heading, index) => {
    const column = fieldByKey.get(headingKey(heading));
    if (column === undefined) return;
    const earlier = indexOf.get(column.field);
    if (earlier !== undefined) {
      throw new BulkCsvError(
        `The column "${column.heading}" appears twice in the heading row on line ${headingRecord.line} (columns ${earlier + 1} and ${index + 1}).`,
      );
    }
    indexOf.set(column.field, index);
  });
  const missing = columns.filter((column) => column.required && !indexOf.has(column.field)).map((c) => `"${c.heading}"`);
  if (missing.length > 0) {
    const semicolons =
      headingRecord.cells.length === 1 && (headingRecord.cells[0] ?? '').includes(';')
        ? ' The headings look separated by semicolons; save the file as comma-separated CSV.'
        : '';
    const what =
      indexOf.size === 0
        ? `No heading row: line ${headingRecord.line} should hold the headings, with at least the columns`
        : `The heading row on line ${headingRecord.line} lacks the required column${missing.length > 1 ? 's' : ''}`;
    throw new BulkCsvError(`${what} ${missing.join(' and ')}.${semicolons}`);
  }

  // Entra's template ships with an examples row right under the headings; the portal wants it removed, we skip it.
  if (/^\s*example\s*:/i.test(records[next]?.cells[0] ?? '')) next += 1;

  const cell = (record: ParsedRecord, field: Field): string => {
    const index = indexOf.get(field);
    return index === undefined ? '' : (record.cells[index] ?? '').trim();
  };

  return records.slice(next).map((record): BulkInviteRow => {
    const email = cell(record, 'email');
    const redirectUrl = cell(record, 'redirectUrl');
    const sendRaw = cell(record, 'sendInvitationMessage');
    const send = parseBoolean(sendRaw);
    const message = cell(record, 'customizedMessage');

    const problems: string[] = [];
    if (email === '') problems.push('Email address to invite is empty');
    if (redirectUrl === '') problems.push('Redirection url is empty');
    if (send === undefined) problems.push(`Send invitation message must be true or false, not "${sendRaw}"`);

    const row: BulkInviteRow = {
      line: record.line,
      email,
      redirectUrl,
      sendInvitationMessage: send ?? false,
      customizedMessage: message === '' ? null : message,
    };
    if (problems.length > 0) row.error = problems.join('; ');
    return row;
  });
}

export interface BulkInviteResult {
  row: BulkInviteRow;
  outcome: 'invited' | 'failed';
  invitationId?: string;
  invitedUserId?: string;
  inviteRedeemUrl?: string;
  /** PendingAcceptance | Completed */
  status?: string;
  /** A person-readable reason; for a failed row without one, the row's own `error` is written. */
  error?: string;
}

export const bulkInviteResultHeadings = [
  'Line',
  'Email address to invite',
  'Redirection url',
  'Result',
  'Invitation id',
  'Invited user id',
  'Status',
  'Redeem URL',
  'Error',
] as const;

/**
 * The per-row results file: CSV (CRLF line endings, no BOM) with the headings of `bulkInviteResultHeadings`,
 * one line per result in the order given. Values that begin with =, +, -, @, tab or CR (or their full-width
 * forms) get a leading apostrophe, so a spreadsheet shows them as text instead of running them as formulas.
 */
export function formatBulkInviteResults(results: BulkInviteResult[]): string {
  const records = results.map(({ row, ...result }) => [
    String(row.line),
    row.email,
    row.redirectUrl,
    result.outcome,
    result.invitationId ?? '',
    result.invitedUserId ?? '',
    result.status ?? '',
    result.inviteRedeemUrl ?? '',
    result.error ?? (result.outcome === 'failed' ? (row.error ?? '') : ''),
  ]);
  return stringify([[...bulkInviteResultHeadings], ...records], {
    escape_formulas: true,
    record_delimiter: 'windows',
    quote_record_delimiter: true,
  });
}
