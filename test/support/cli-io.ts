/** The `foyer` command run in-process, its output captured, as the CLI tests use it. */
import type { CliIo } from '../../src/cli/main.js';
import { EMPTY_CONFIG } from './config-file.js';
import { TEST_MASTER_KEY } from './master-key.js';

export function io(env: Record<string, string>): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    // FOYER_CONFIG: the working directory's .foyer/config.json is never read (a test may name its own file).
    env: { FOYER_LOG_LEVEL: 'silent', FOYER_MASTER_KEY: TEST_MASTER_KEY, FOYER_CONFIG: EMPTY_CONFIG, ...env },
  };
}
