/**
 * The languages Foyer speaks and how it picks one for a person: used by pages and e-mail alike, so it
 * sits below both. The texts themselves live with what shows them.
 */
import Negotiator from 'negotiator';

export const locales = ['en-US', 'sv-SE'] as const;
export type Locale = (typeof locales)[number];

/** A supported locale for a BCP 47 tag (`sv`, `sv-FI`, `SV-se` → sv-SE), or undefined. */
export function matchLocale(tag: string | null | undefined): Locale | undefined {
  if (!tag) return undefined;
  const lower = tag.trim().toLowerCase();
  return locales.find((l) => l.toLowerCase() === lower) ?? locales.find((l) => l.slice(0, 2) === lower.slice(0, 2));
}

/**
 * The page language: an explicit preference first (OIDC `ui_locales`, an invitation's language), then
 * the browser's `Accept-Language`, then English.
 */
export function chooseLocale(preferred: Array<string | null | undefined>, acceptLanguage: string | undefined): Locale {
  for (const p of preferred) {
    for (const tag of (p ?? '').split(/\s+/)) {
      const m = matchLocale(tag);
      if (m) return m;
    }
  }
  const negotiator = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } });
  for (const tag of negotiator.languages()) {
    if (tag === '*') break;
    const m = matchLocale(tag);
    if (m) return m;
  }
  return 'en-US';
}
