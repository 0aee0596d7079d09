/**
 * What every `foyer` command gets from the command line's composition root (cli/main.ts): its
 * input and output, a context on the configured database, and small helpers for options and output. A
 * feature's commands take these as a parameter, so they never import the CLI that lists them.
 */
import type { AppContext } from '../context.js';
import type { SecretSource } from './secrets-input.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface CliHelpers {
  io: CliIo;
  /** Opens the configured database, migrates it, runs `fn` with a context (features installed), and closes it. */
  withContext: <T>(io: CliIo, fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  /** Prints `value` as JSON with `--json`, otherwise the human text. */
  print: (json: boolean, value: unknown, human: string) => void;
  /** Commander option parser for repeatable, comma-separated lists. */
  collect: (value: string, previous?: string[]) => string[];
  /** Reads a secret (stdin, environment, prompt) without putting it in the process list; see secrets-input.ts. */
  readSecret: (source: SecretSource) => Promise<string>;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

export function printer(io: CliIo): CliHelpers['print'] {
  return (json, value, human) => io.out(json ? JSON.stringify(value, null, 2) : human);
}
