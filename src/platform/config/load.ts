/**
 * Builds the validated, frozen `Config` from an optional JSON file (`FOYER_CONFIG`) and the environment.
 * The environment wins over the file. Nothing else in Foyer reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { type Config, type OptionName, options } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const fromFile: Record<string, unknown> = {};
  if (env.FOYER_CONFIG) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(env.FOYER_CONFIG, 'utf8'));
    } catch (err) {
      throw new ConfigError(`FOYER_CONFIG: cannot read ${env.FOYER_CONFIG}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError('FOYER_CONFIG: the file must hold one JSON object');
    }
    for (const [key, value] of Object.entries(parsed)) {
      // A typo must fail start-up, not silently fall back to a default.
      if (!(key in options)) throw new ConfigError(`FOYER_CONFIG: unknown option "${key}"`);
      fromFile[key] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    }
  }

  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, option] of Object.entries(options) as [OptionName, (typeof options)[OptionName]][]) {
    const raw = env[option.env] !== undefined && env[option.env] !== '' ? env[option.env] : fromFile[key];
    const result = option.schema.safeParse(raw);
    if (!result.success) {
      problems.push(`${option.env}=${JSON.stringify(raw)}: ${result.error.issues.map((i) => i.message).join('; ')}`);
    } else {
      out[key] = result.data;
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

  const config = { ...out, ...overrides } as Config;
  if (!config.publicUrl) config.publicUrl = `http://localhost:${config.port}`;
  config.publicUrl = config.publicUrl.replace(/\/+$/, '');
  const url = new URL(config.publicUrl);
  if (url.search || url.hash) throw new ConfigError('FOYER_PUBLIC_URL must not carry a query or fragment');
  if (url.pathname !== '/') {
    throw new ConfigError('FOYER_PUBLIC_URL must be an origin without a path (serve Foyer at the root of its own host name)');
  }
  if (!config.tenantDomainSuffix) config.tenantDomainSuffix = url.hostname;
  config.tenantDomainSuffix = config.tenantDomainSuffix.toLowerCase().replace(/^\.+|\.+$/g, '');
  if (config.mode === 'production' && url.protocol !== 'https:') {
    throw new ConfigError('FOYER_PUBLIC_URL must be https in production mode (FOYER_MODE=production)');
  }
  return Object.freeze(config);
}
