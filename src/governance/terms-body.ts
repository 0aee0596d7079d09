/**
 * Request bodies of `identityGovernance/termsOfUse/agreements`: zod schemas of Graph's `agreement` as Foyer
 * keeps it, and the rules a whole agreement must follow (checked after a PATCH is applied, too).
 *
 * A file is Graph's `agreementFileLocalization`: `fileData.data` is base64, as in Graph. Foyer takes either
 * a PDF (the bytes start with `%PDF-`), served to the person at its own address, or UTF-8 plain text, shown
 * on the terms page itself. Graph properties Foyer does not keep are refused when set, never dropped.
 */
import { z } from 'zod';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { parseDuration, shorterThanADay } from './terms-rules.js';
import type { AgreementInput, FileInput } from './terms-store.js';

/** Graph allows 40 terms per tenant; a file's text or PDF fits in a request body (FOYER_BODY_LIMIT). */
export const MAX_AGREEMENTS = 40;
const MAX_FILES = 50;

const invalid = (message: string) => new FoyerError('agreement.invalid', message);

const file = z.strictObject({
  id: z.string().optional(),
  fileName: z.string().trim().min(1).max(256),
  // Graph's own create sample leaves it out: the file's name stands in for it.
  displayName: z.string().trim().min(1).max(256).optional(),
  language: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'a BCP 47 language tag such as en-US' }),
  isDefault: z.boolean().optional(),
  isMajorVersion: z.boolean().nullable().optional(),
  createdDateTime: z.string().nullable().optional(),
  fileData: z.strictObject({ data: z.string().min(1) }),
  versions: z.array(z.unknown()).max(0, { error: 'not supported by Foyer (the versions are kept by Foyer itself)' }).nullable().optional(),
});

const expiration = z.strictObject({ startDateTime: z.string().min(1), frequency: z.string().min(1) });

const common = {
  isViewingBeforeAcceptanceRequired: z.boolean().optional(),
  isPerDeviceAcceptanceRequired: z.boolean().optional(),
  userReacceptRequiredFrequency: z.string().nullable().optional(),
  termsExpiration: expiration.nullable().optional(),
};

export const createAgreementBody = z.strictObject({
  displayName: z.string().trim().min(1).max(256),
  files: z.array(file).min(1).max(MAX_FILES),
  ...common,
});

export const updateAgreementBody = z.strictObject({
  displayName: z.string().trim().min(1).max(256).optional(),
  files: z.array(file).min(1).max(MAX_FILES).optional(),
  ...common,
});

/** A file's content: a PDF, or UTF-8 text without control characters other than line breaks and tabs. */
export function fileContent(base64: string, where: string): Pick<FileInput, 'kind' | 'data'> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64.replace(/\s+/g, ''))) throw invalid(`${where}.fileData.data is not base64.`);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw invalid(`${where}.fileData.data is empty.`);
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return { kind: 'pdf', data: bytes.toString('base64') };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(`${where}.fileData.data is neither a PDF nor UTF-8 text.`);
  }
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
    throw invalid(`${where}.fileData.data is text with control characters; give plain text or a PDF.`);
  if (text.trim() === '') throw invalid(`${where}.fileData.data is blank text.`);
  return { kind: 'text', data: bytes.toString('base64') };
}

/** As in Graph: a file without `displayName` shows its `fileName`; when no file is the default, the first one is. */
export function filesOf(files: z.infer<typeof file>[]): FileInput[] {
  const noDefault = !files.some((f) => f.isDefault === true);
  return files.map((f, i) => ({
    fileName: f.fileName,
    displayName: f.displayName ?? f.fileName,
    language: f.language,
    isDefault: f.isDefault === true || (noDefault && i === 0),
    ...fileContent(f.fileData.data, `files[${i}]`),
  }));
}

/** The rules a whole agreement follows (throws agreement.invalid). */
export function checkAgreement(a: AgreementInput): void {
  const languages = new Set<string>();
  for (const f of a.files) {
    const lower = f.language.toLowerCase();
    if (languages.has(lower)) throw invalid(`Two files have the language '${f.language}'; give one file per language.`);
    languages.add(lower);
  }
  const defaults = a.files.filter((f) => f.isDefault).length;
  // filesOf makes the first file the default when none is; two or more defaults are refused.
  if (defaults > 1) throw invalid(`At most one file may have isDefault: true (${defaults} have).`);
  if (a.userReacceptRequiredFrequency !== null) {
    const every = parseDuration(a.userReacceptRequiredFrequency);
    const shown = a.userReacceptRequiredFrequency.slice(0, 50);
    if (!every) throw invalid(`userReacceptRequiredFrequency '${shown}' is not an ISO 8601 duration such as P90D.`);
    if (shorterThanADay(every)) throw invalid(`userReacceptRequiredFrequency '${shown}' is shorter than a day; give P1D or longer.`);
  }
  if (a.termsExpiration) {
    if (Number.isNaN(Date.parse(a.termsExpiration.startDateTime)) || !/^\d{4}-\d{2}-\d{2}T/.test(a.termsExpiration.startDateTime)) {
      throw invalid('termsExpiration.startDateTime is not an ISO 8601 date and time such as 2027-01-01T00:00:00Z.');
    }
    const frequency = parseDuration(a.termsExpiration.frequency);
    if (!frequency) throw invalid('termsExpiration.frequency is not an ISO 8601 duration such as P365D.');
    if (shorterThanADay(frequency))
      throw invalid(`termsExpiration.frequency '${a.termsExpiration.frequency.slice(0, 50)}' is shorter than a day; give P1D or longer.`);
  }
}

/** Graph's per-device acceptance needs registered devices, which Foyer does not have: refused, not ignored. */
export function refusePerDevice(value: boolean | undefined): void {
  if (value === true) throw invalid('isPerDeviceAcceptanceRequired: true is not supported by Foyer (it has no device registration); acceptance is per person.');
}
