/** Domain names and e-mail addresses as Foyer accepts them. Pure functions. */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-cases and checks a DNS domain name (at least two labels). Returns undefined when invalid. */
export function normalizeDomain(input: string): string | undefined {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  if (domain.length === 0 || domain.length > 253) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2) return undefined;
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return domain;
}

/**
 * The local part follows Graph's invitation rule: letters, digits and `. - _ '`;
 * a period or hyphen may not start or end it. Foyer also refuses `+` like Entra does (item 24).
 */
const LOCAL = /^(?![.-])[A-Za-z0-9._'-]{1,64}(?<![.-])$/;

export interface ParsedAddress {
  /** As given, trimmed. */
  address: string;
  /** Lower-cased, for lookups and uniqueness. */
  lower: string;
  local: string;
  domain: string;
}

export function parseEmailAddress(input: unknown): ParsedAddress | undefined {
  if (typeof input !== 'string') return undefined;
  const address = input.trim();
  if (address.length > 254) return undefined;
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = address.slice(0, at);
  const domain = normalizeDomain(address.slice(at + 1));
  if (!domain || !LOCAL.test(local) || local.includes('..')) return undefined;
  return { address: `${local}@${domain}`, lower: `${local.toLowerCase()}@${domain}`, local, domain };
}

/** `Acme Corp` → `acme-corp`; used for tenant slugs and initial domains. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug || 'tenant';
}

/**
 * `*.example.com` stands for every subdomain of example.com (not example.com itself, which is listed on
 * its own line, as in Entra's collaboration restrictions).
 */
export function domainMatches(domain: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  const d = domain.toLowerCase();
  if (p.startsWith('*.')) return d.endsWith(p.slice(1)) && d.length > p.length - 1;
  return d === p;
}
