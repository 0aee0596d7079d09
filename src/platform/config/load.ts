/**
 * Builds the validated, frozen `Config` from an optional JSON file (`FOYER_CONFIG`, else
 * `.foyer/config.json` when it exists) and the environment. The environment wins over the file. Nothing
 * else in Foyer reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Config, type OptionName, options } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The file beside the default database (`./.foyer/`) that the server and the `foyer` command both read
 * when `FOYER_CONFIG` is not set: settings written there once are the same for `npm start` and for the
 * command run in another terminal, which does not share the server's environment.
 */
export const DEFAULT_CONFIG_FILE = '.foyer/config.json';

/** The configuration file's options (raw, as strings), and what to call it in messages. */
function readConfigFile(env: NodeJS.ProcessEnv): { label: string; values: Record<string, unknown> } | undefined {
  const path = env.FOYER_CONFIG || (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (!path) return undefined;
  const label = env.FOYER_CONFIG ? 'FOYER_CONFIG' : DEFAULT_CONFIG_FILE;
  const values: Record<string, unknown> = {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${label}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${label}: the file must hold one JSON object`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    // A typo must fail start-up, not silently fall back to a default.
    if (!(key in options)) throw new ConfigError(`${label}: unknown option "${key}"`);
    // A secret beside the database would travel with every copy of the folder: the environment only.
    const option = options[key as OptionName];
    if ('secret' in option) {
      throw new ConfigError(
        `${label}: "${key}" is a secret and is not read from a configuration file (a copy of the file would carry it); ` +
          `remove it and set ${option.env} in the environment${key === 'masterKey' ? ' (or FOYER_MASTER_KEY_FILE to a file outside the data folder)' : ''}`,
      );
    }
    values[key] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  }
  return { label: label === 'FOYER_CONFIG' ? `FOYER_CONFIG (${path})` : path, values };
}

/**
 * Which setting `publicUrl` came from, in the words an operator acts on: the `foyer` command says it
 * when it prints links, so a link on the wrong port is explained where it is printed.
 */
export function publicUrlSource(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FOYER_PUBLIC_URL) return 'FOYER_PUBLIC_URL';
  const file = readConfigFile(env);
  if (file?.values.publicUrl) return `publicUrl in ${file.label}`;
  if (env.FOYER_PORT) return 'FOYER_PORT';
  if (file?.values.port) return `port in ${file.label}`;
  return `the default: no FOYER_PUBLIC_URL, FOYER_PORT or ${DEFAULT_CONFIG_FILE}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const fromFile = readConfigFile(env)?.values ?? {};

  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, option] of Object.entries(options) as [OptionName, (typeof options)[OptionName]][]) {
    const raw = env[option.env] !== undefined && env[option.env] !== '' ? env[option.env] : fromFile[key];
    const result = option.schema.safeParse(raw);
    if (!result.success) {
      // A secret's value is never repeated in an error: it may be a real key with a typo.
      const shown = 'secret' in option ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${option.env}=${shown}: ${result.error.issues.map((i) => i.message).join('; ')}`);
    } else {
      out[key] = result.data;
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

  const config = { ...out, ...overrides } as Config;
  // A certificate without its key (or the reverse) is a half-done setup, not a choice of plain http.
  if (!config.tlsCert !== !config.tlsKey) {
    throw new ConfigError(
      `${config.tlsCert ? 'FOYER_TLS_CERT' : 'FOYER_TLS_KEY'} is set without ${config.tlsCert ? 'FOYER_TLS_KEY' : 'FOYER_TLS_CERT'}: set both (https) or neither (http)`,
    );
  }
  if (!config.publicUrl) config.publicUrl = `${config.tlsCert ? 'https' : 'http'}://localhost:${config.port}`;
  config.publicUrl = config.publicUrl.replace(/\/+$/, '');
  const url = new URL(config.publicUrl);
  if (url.search || url.hash) throw new ConfigError('FOYER_PUBLIC_URL must not carry a query or fragment');
  if (url.pathname !== '/') {
    throw new ConfigError('FOYER_PUBLIC_URL must be an origin without a path (serve Foyer at the root of its own host name)');
  }
  if (!config.tenantDomainSuffix) config.tenantDomainSuffix = url.hostname;
  config.tenantDomainSuffix = config.tenantDomainSuffix.toLowerCase().replace(/^\.+|\.+$/g, '');
  // Issuers, links and cookie flags follow the public URL's scheme; Foyer answering https under an http
  // public URL would hand out http issuers and non-Secure cookies for an https site.
  if (config.tlsCert && url.protocol !== 'https:') {
    throw new ConfigError(`FOYER_PUBLIC_URL must be https when FOYER_TLS_CERT is set (Foyer serves https): ${config.publicUrl}`);
  }
  if (config.mode === 'production' && url.protocol !== 'https:') {
    throw new ConfigError('FOYER_PUBLIC_URL must be https in production mode (FOYER_MODE=production)');
  }
  return Object.freeze(config);
}
