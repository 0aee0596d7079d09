/**
 * When a definition's instances start and end (pure). Times are UTC: a recurrence's `startDate` without a
 * time is midnight UTC. A one-time review (no recurrence) starts when it is created; a recurring one on
 * its start date (or at once, when that has passed), then every `interval` weeks or months after it,
 * until its range ends.
 */
import type { ReviewSettings } from './access-review-body.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Epoch ms of a Graph date (`2026-01-31`) or date-time. */
export function dateMs(text: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
}

/** When the first instance is due. */
export function firstStart(settings: ReviewSettings, now: number): number {
  const r = settings.recurrence;
  return r ? Math.max(now, dateMs(r.range.startDate)) : now;
}

/** The end of an instance that starts at `start`. */
export function instanceEnd(settings: ReviewSettings, start: number): number {
  return start + settings.instanceDurationInDays * DAY_MS;
}

function addPeriods(settings: ReviewSettings, from: number, periods: number): number {
  const pattern = settings.recurrence!.pattern;
  if (pattern.type === 'weekly') return from + periods * pattern.interval * 7 * DAY_MS;
  const d = new Date(from);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + periods * pattern.interval);
  // The 31st in a 30-day month is its last day, as calendars do.
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.getTime();
}

/**
 * When the instance after the `started`-th is due, or null when no more are: a one-time review, a
 * numbered range used up, or an end date passed. Counted from the recurrence's start date, so a late
 * start does not shift the ones after it; a start missed while Foyer was down is not run twice, only once.
 */
export function nextStart(settings: ReviewSettings, started: number, now: number): number | null {
  const r = settings.recurrence;
  if (!r) return null;
  if (r.range.type === 'numbered' && started >= r.range.numberOfOccurrences) return null;
  const anchor = dateMs(r.range.startDate);
  let periods = started;
  let next = addPeriods(settings, anchor, periods);
  while (next <= now) next = addPeriods(settings, anchor, ++periods);
  if (r.range.type === 'endDate' && r.range.endDate && next > dateMs(r.range.endDate) + (/^\d{4}-\d{2}-\d{2}$/.test(r.range.endDate) ? DAY_MS - 1 : 0)) {
    return null;
  }
  return next;
}
