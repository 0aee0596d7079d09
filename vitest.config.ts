import { defineConfig } from 'vitest/config';
import { TEST_MASTER_KEY } from './test/support/master-key.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process: servers, databases and browsers never leak between files.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Inherited by the Foyer processes tests spawn, so they share the test helpers' master key.
    env: { FOYER_MASTER_KEY: TEST_MASTER_KEY },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
