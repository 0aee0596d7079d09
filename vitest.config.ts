import { defineConfig } from 'vitest/config';
import { EMPTY_CONFIG } from './test/support/config-file.js';
import { TEST_MASTER_KEY } from './test/support/master-key.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process: servers, databases and browsers never leak between files.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Inherited by the Foyer processes tests spawn, so they share the test helpers' master key; and an
    // empty config file, so a developer's .foyer/config.json in the working directory is never read.
    env: { FOYER_MASTER_KEY: TEST_MASTER_KEY, FOYER_CONFIG: EMPTY_CONFIG },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
