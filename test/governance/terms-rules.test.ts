/**
 * Terms of use decisions as tables: ISO 8601 durations, when an acceptance stops counting (a person's own
 * re-acceptance period, the agreement's expiry schedule, whichever comes first), who must answer again,
 * and which language file a browser is shown.
 */
import { describe, expect, it } from 'vitest';
import { acceptanceExpiry, addDuration, chooseFile, type LatestAnswer, mustAnswer, parseDuration, shorterThanADay } from '../../src/governance/terms-rules.js';

const at = (iso: string) => Date.parse(iso);

describe('parseDuration', () => {
  it.each([
    ['P90D', { days: 90 }],
    ['P1Y', { years: 1 }],
    ['P2W', { weeks: 2 }],
    ['PT12H', { hours: 12 }],
    ['P1M', { months: 1 }],
    ['p1y2m3dt4h5m6s', { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6 }],
  ])('%s', (text, parts) => {
    expect(parseDuration(text)).toEqual({ years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, ...parts });
  });

  it.each(['', 'P', 'PT', '90D', 'P0D', 'P-1D', 'P1.5D', 'every 90 days', 'P1DT'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('shorterThanADay (such periods are refused: terms are asked again at most daily)', () => {
  it.each([
    ['PT10M', true],
    ['PT23H59M59S', true],
    ['PT86399S', true],
    ['PT24H', false],
    ['PT1440M', false],
    ['P1D', false],
    ['P1W', false],
    ['P1M', false],
    ['P1Y', false],
  ])('%s: %s', (text, shorter) => {
    expect(shorterThanADay(parseDuration(text)!)).toBe(shorter);
  });
});

describe('addDuration', () => {
  it.each([
    ['2026-01-01T00:00:00Z', 'P90D', '2026-04-01T00:00:00.000Z'],
    ['2026-01-31T10:00:00Z', 'P1M', '2026-03-03T10:00:00.000Z'],
    ['2026-03-01T00:00:00Z', 'PT36H', '2026-03-02T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', 'P1Y', '2025-03-01T00:00:00.000Z'],
  ])('%s + %s = %s', (from, duration, to) => {
    expect(new Date(addDuration(at(from), parseDuration(duration)!)).toISOString()).toBe(to);
  });
});

describe('acceptanceExpiry', () => {
  const none = { userReacceptRequiredFrequency: null, termsExpiration: null };
  it.each([
    ['no expiry at all: until the terms change', none, '2026-05-10T00:00:00Z', null],
    ['re-accept every 90 days', { ...none, userReacceptRequiredFrequency: 'P90D' }, '2026-05-10T00:00:00Z', '2026-08-08T00:00:00.000Z'],
    [
      'a schedule: the next expiry after the acceptance',
      { ...none, termsExpiration: { startDateTime: '2026-01-01T00:00:00Z', frequency: 'P30D' } },
      '2026-01-15T00:00:00Z',
      '2026-01-31T00:00:00.000Z',
    ],
    [
      'a schedule that has not started: its start',
      { ...none, termsExpiration: { startDateTime: '2026-07-01T00:00:00Z', frequency: 'P365D' } },
      '2026-05-10T00:00:00Z',
      '2026-07-01T00:00:00.000Z',
    ],
    [
      'both: whichever comes first',
      { userReacceptRequiredFrequency: 'P10D', termsExpiration: { startDateTime: '2026-01-01T00:00:00Z', frequency: 'P30D' } },
      '2026-01-25T00:00:00Z',
      '2026-01-31T00:00:00.000Z',
    ],
  ])('%s', (_name, settings, recorded, expected) => {
    const expiry = acceptanceExpiry(at(recorded), settings);
    expect(expiry === null ? null : new Date(expiry).toISOString()).toBe(expected);
  });
});

describe('mustAnswer', () => {
  const now = at('2026-06-01T00:00:00Z');
  const accepted = (v: number, expiresAt: number | null): LatestAnswer => ({ state: 'accepted', version: v, expiresAt });
  it.each<[string, LatestAnswer | undefined, boolean]>([
    ['never answered', undefined, true],
    ['accepted this version, no expiry', accepted(2, null), false],
    ['accepted this version, expiring later', accepted(2, now + 1), false],
    ['accepted this version, expired now', accepted(2, now), true],
    ['accepted an older version', accepted(1, null), true],
    ['declined last time', { state: 'declined', version: 2, expiresAt: null }, true],
  ])('%s → %s', (_name, latest, expected) => {
    expect(mustAnswer(2, latest, now)).toBe(expected);
  });
});

describe('chooseFile', () => {
  const files = [
    { language: 'en-US', isDefault: true, id: 'en' },
    { language: 'sv-SE', isDefault: false, id: 'sv' },
    { language: 'de', isDefault: false, id: 'de' },
  ];
  it.each([
    ['sv-SE,sv;q=0.9,en;q=0.8', 'sv'],
    ['sv-FI', 'sv'],
    ['de-AT, en;q=0.5', 'de'],
    ['fr-FR, en-GB;q=0.7', 'en'],
    ['fr-FR', 'en'],
    [undefined, 'en'],
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(chooseFile(files, header).id).toBe(expected);
  });
});
