/**
 * The test suite is immune to a developer's own `.foyer/config.json` (the README suggests writing
 * `{"port": 9191}` there): every helper that configures Foyer names an empty file with FOYER_CONFIG. The
 * proof runs in a temporary working directory holding such a file, so nothing is left in the repository.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/platform/config/load.js';
import { backends, freshContext } from '../support/backends.js';
import { io } from '../support/cli-io.js';
import { EMPTY_CONFIG } from '../support/config-file.js';
import { startTestFoyer } from '../support/foyer.js';

const DEFAULT_MAIL_FROM = 'Foyer Invitations <invites@localhost>';
const FROM_THE_FILE = { port: 9191, publicUrl: 'http://from-the-file.test:9191', mailFrom: 'The File <file@from-the-file.test>' };

describe.each(backends)("the test helpers with a developer's .foyer/config.json in the working directory, on $name", (backend) => {
  const home = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'foyer-config-isolation-'));
  const url = backend.freshUrl();
  beforeAll(() => {
    mkdirSync(join(dir, '.foyer'));
    writeFileSync(join(dir, '.foyer/config.json'), JSON.stringify(FROM_THE_FILE));
    // Test files run in their own process (pool: 'forks'), so changing directory here touches no other file.
    process.chdir(dir);
  });
  afterAll(async () => {
    process.chdir(home);
    rmSync(dir, { recursive: true, force: true });
    await backend.drop(url);
  });

  it('has the file where Foyer discovers it (FOYER_CONFIG unset reads it)', () => {
    expect(loadConfig({})).toMatchObject({ publicUrl: FROM_THE_FILE.publicUrl, mailFrom: FROM_THE_FILE.mailFrom });
  });

  it('names the empty file in the environment every test and every Foyer process it spawns inherits', () => {
    expect(process.env.FOYER_CONFIG).toBe(EMPTY_CONFIG);
    expect(loadConfig({ FOYER_CONFIG: process.env.FOYER_CONFIG })).toMatchObject({ port: 8080, mailFrom: DEFAULT_MAIL_FROM });
  });

  it('does not change the context of freshContext', async () => {
    const { ctx, cleanup } = await freshContext(backend);
    try {
      expect(ctx.config).toMatchObject({ publicUrl: 'http://localhost:8080', mailFrom: DEFAULT_MAIL_FROM });
    } finally {
      await cleanup();
    }
  });

  it('does not change the server of startTestFoyer', async () => {
    const foyer = await startTestFoyer({ backend });
    try {
      expect(foyer.ctx.config.mailFrom).toBe(DEFAULT_MAIL_FROM);
      expect(foyer.ctx.config.port).toBe(foyer.port);
    } finally {
      await foyer.stop();
    }
  });

  it('does not change what the command run with io() prints', async () => {
    const created = io({ FOYER_DATABASE_URL: url, FOYER_ADMIN_PASSWORD: 'Correct-Horse-9' });
    const args = ['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example'];
    expect(await runCli(args, created), created.stderr.join('\n')).toBe(0);
    const shown = io({ FOYER_DATABASE_URL: url });
    expect(await runCli(['tenant', 'show', '--tenant', 'contoso.example', '--json'], shown)).toBe(0);
    expect(JSON.parse(shown.stdout.join('\n')).issuer).toMatch(/^http:\/\/localhost:8080\//);
    expect(shown.stderr).toEqual(['public URL http://localhost:8080 (from the default: no FOYER_PUBLIC_URL, FOYER_PORT or .foyer/config.json)']);
  });
});
