/**
 * An empty configuration file, named by FOYER_CONFIG in everything the tests configure (vitest.config.ts
 * `env`, the helpers in foyer.ts, backends.ts and cli-io.ts): without it, a developer's own
 * `.foyer/config.json` in the working directory (the README suggests one) would be read by every test.
 * Tests of that discovery itself run with FOYER_CONFIG unset, in a temporary working directory.
 */
import { fileURLToPath } from 'node:url';

export const EMPTY_CONFIG = fileURLToPath(new URL('empty-config.json', import.meta.url));
