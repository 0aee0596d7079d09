/** Configuration: defaults, validation that names the culprit, the config file, and generated docs. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc, renderErrorsDoc } from '../../src/docs.js';
import { ConfigError, loadConfig } from '../../src/platform/config/load.js';
import { EMPTY_CONFIG } from '../support/config-file.js';

/** Configuration from `env` alone: a developer's own .foyer/config.json in the working directory is not read. */
const load = (env: NodeJS.ProcessEnv) => loadConfig({ FOYER_CONFIG: EMPTY_CONFIG, ...env });

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = load({});
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'http://localhost:8080',
      databaseUrl: 'sqlite:./.foyer/foyer.db',
      mailFrom: 'Foyer Invitations <invites@localhost>',
      mode: 'development',
      tenantDomainSuffix: 'localhost',
    });
    expect(config.smtpUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives the public URL from the port, and the domain suffix from the public URL', () => {
    expect(load({ FOYER_PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(load({ FOYER_PUBLIC_URL: 'https://id.example.com/', FOYER_MODE: 'production' })).toMatchObject({
      publicUrl: 'https://id.example.com',
      tenantDomainSuffix: 'id.example.com',
    });
  });

  it.each([
    [{ FOYER_PORT: 'eighty' }, 'FOYER_PORT="eighty"'],
    [{ FOYER_MODE: 'prod' }, 'FOYER_MODE="prod"'],
    [{ FOYER_PUBLIC_URL: 'not a url' }, 'FOYER_PUBLIC_URL="not a url"'],
    [{ FOYER_MODE: 'production' }, 'FOYER_PUBLIC_URL must be https in production mode'],
    [{ FOYER_PUBLIC_URL: 'https://example.com/foyer' }, 'FOYER_PUBLIC_URL must be an origin without a path'],
    [{ FOYER_TRUST_PROXY: 'true' }, 'expected false, a number of proxy hops'],
    [{ FOYER_TRUST_PROXY: 'everyone' }, 'expected false, a number of proxy hops'],
  ])('refuses %j naming the problem', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it('takes a proxy hop count or a list of proxy addresses, never "trust everyone"', () => {
    expect(load({}).trustProxy).toBe(false);
    expect(load({ FOYER_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(load({ FOYER_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
  });

  it('reads a JSON file, lets the environment win, and refuses unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foyer-config-'));
    const file = join(dir, 'foyer.json');
    writeFileSync(file, JSON.stringify({ port: 9100, mailFrom: 'Contoso <no-reply@contoso.example>' }));
    expect(load({ FOYER_CONFIG: file })).toMatchObject({ port: 9100, mailFrom: 'Contoso <no-reply@contoso.example>' });
    expect(load({ FOYER_CONFIG: file, FOYER_PORT: '9200' }).port).toBe(9200);
    writeFileSync(file, JSON.stringify({ prot: 9100 }));
    expect(() => load({ FOYER_CONFIG: file })).toThrow('FOYER_CONFIG: unknown option "prot"');
    writeFileSync(file, '{ not json');
    expect(() => load({ FOYER_CONFIG: file })).toThrow(/FOYER_CONFIG: cannot read/);
  });
});

describe('generated reference pages', () => {
  const docs = resolve(import.meta.dirname, '../../docs');
  it('docs/configuration.md matches src/platform/config/schema.ts (run `npm run docs:generate`)', () => {
    expect(readFileSync(join(docs, 'configuration.md'), 'utf8')).toBe(renderConfigurationDoc());
  });
  it('docs/errors.md matches src/platform/errors/catalogue.ts (run `npm run docs:generate`)', () => {
    expect(readFileSync(join(docs, 'errors.md'), 'utf8')).toBe(renderErrorsDoc());
  });
});
