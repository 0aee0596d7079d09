/**
 * The decisions about terms of use, pure: ISO 8601 durations, when an acceptance stops counting, whether a
 * person must (again) answer an agreement, and which language file a browser is shown.
 * test/governance/terms-rules.test.ts holds the tables of cases.
 */
import Negotiator from 'negotiator';

/** An ISO 8601 duration (`P90D`, `P1Y`, `PT12H`, `P2W`), in its calendar parts. */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION = /^P(?!$)(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?=\d)(?:(\d{1,6})H)?(?:(\d{1,8})M)?(?:(\d{1,10})S)?)?$/;

/** The parts of an ISO 8601 duration, or undefined when it is not one (or is zero: nothing could be accepted). */
export function parseDuration(text: string): Duration | undefined {
  const m = DURATION.exec(text.trim().toUpperCase());
  if (!m) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const d = { years, months, weeks, days, hours, minutes, seconds };
  return Object.values(d).some((v) => v > 0) ? d : undefined;
}

/** Whether a duration is shorter than a day (P1D): hours, minutes and seconds alone, under 24 hours. */
export function shorterThanADay(d: Duration): boolean {
  if (d.years > 0 || d.months > 0 || d.weeks > 0 || d.days > 0) return false;
  return (d.hours * 60 + d.minutes) * 60 + d.seconds < 24 * 3600;
}

/** `at` plus the duration, calendar parts in UTC (a month from 31 January is 3 March, as JavaScript's Date counts). */
export function addDuration(at: number, d: Duration): number {
  const date = new Date(at);
  date.setUTCFullYear(date.getUTCFullYear() + d.years, date.getUTCMonth() + d.months, date.getUTCDate() + d.weeks * 7 + d.days);
  return date.getTime() + ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

/** What of an agreement decides how long an acceptance counts. */
export interface ExpirySettings {
  /** Each person accepts again this long after their acceptance. */
  userReacceptRequiredFrequency: string | null;
  /** Every acceptance ends at `startDateTime`, and again every `frequency` after it. */
  termsExpiration: { startDateTime: string; frequency: string } | null;
}

/** The first moment of the schedule start, start + f, start + 2f … that is after `after` (undefined: none within reach). */
function nextScheduled(after: number, start: number, frequency: Duration): number | undefined {
  let at = start;
  // Bounded: a one-second frequency started long ago would otherwise loop for ever.
  for (let i = 0; i < 100_000 && at <= after; i++) at = addDuration(start, scaled(frequency, i + 1));
  return at > after ? at : undefined;
}

const scaled = (d: Duration, n: number): Duration => ({
  years: d.years * n,
  months: d.months * n,
  weeks: d.weeks * n,
  days: d.days * n,
  hours: d.hours * n,
  minutes: d.minutes * n,
  seconds: d.seconds * n,
});

/** When an acceptance recorded at `recordedAt` stops counting (epoch ms), or null: until the terms change. */
export function acceptanceExpiry(recordedAt: number, s: ExpirySettings): number | null {
  const candidates: number[] = [];
  const every = s.userReacceptRequiredFrequency ? parseDuration(s.userReacceptRequiredFrequency) : undefined;
  if (every) candidates.push(addDuration(recordedAt, every));
  if (s.termsExpiration) {
    const start = Date.parse(s.termsExpiration.startDateTime);
    const frequency = parseDuration(s.termsExpiration.frequency);
    const next = Number.isNaN(start) || !frequency ? undefined : nextScheduled(recordedAt, start, frequency);
    if (next !== undefined) candidates.push(next);
  }
  return candidates.length > 0 ? Math.min(...candidates) : null;
}

/** A person's latest answer to an agreement. */
export interface LatestAnswer {
  state: 'accepted' | 'declined';
  version: number;
  expiresAt: number | null;
}

/**
 * Must the person answer this agreement now? Yes unless their latest answer is an acceptance of the
 * current version that has not expired. A decline is never remembered as an answer: the terms are shown
 * again at the next sign-in.
 */
export function mustAnswer(currentVersion: number, latest: LatestAnswer | undefined, now: number): boolean {
  if (latest?.state !== 'accepted') return true;
  if (latest.version !== currentVersion) return true;
  return latest.expiresAt !== null && latest.expiresAt <= now;
}

/** A language file as the chooser needs it. */
export interface LanguageFile {
  language: string;
  isDefault: boolean;
}

/**
 * The file a browser is shown: the first of its Accept-Language tags that a file has (exactly, then by the
 * language's first part: `sv-FI` finds `sv-SE`), else the agreement's default file.
 */
export function chooseFile<F extends LanguageFile>(files: readonly F[], acceptLanguage: string | undefined): F {
  const negotiator = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } });
  for (const tag of negotiator.languages()) {
    if (tag === '*') break;
    const lower = tag.toLowerCase();
    const exact = files.find((f) => f.language.toLowerCase() === lower);
    if (exact) return exact;
    const primary = files.find((f) => f.language.toLowerCase().split('-')[0] === lower.split('-')[0]);
    if (primary) return primary;
  }
  return files.find((f) => f.isDefault) ?? files[0]!;
}
