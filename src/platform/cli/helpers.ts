/**
 * What every `foyer` command gets from the command line's composition root (cli/main.ts): its
 * input and output, a context on the configured database, and small helpers for options and output. A
 * feature's commands take these as a parameter, so they never import the CLI that lists them.
 */
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.js';
import type { AppContext } from '../context.js';
import type { SecretSource } from './secrets-input.js';

export { UsageError } from './usage-error.js';

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
  /**
   * Says on standard error which setting the public URL came from, for a command that prints links or
   * issuers built on it: silent when `FOYER_PUBLIC_URL` is set, since then the operator chose it.
   */
  notePublicUrl: (config: Readonly<Config>) => void;
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

/**
 * Commander option parser for one of `values`, matched without regard to case (`--type guest` is
 * `Guest`) and returned as spelled in `values`. Anything else is a usage error naming the choices.
 */
export function oneOf<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    const found = values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
    if (!found) throw new InvalidArgumentError(`expected one of: ${values.join(', ')}.`);
    return found;
  };
}

/** Like `oneOf`, for a repeatable, comma-separated option. */
export function listOf<T extends string>(values: readonly T[]): (value: string, previous?: T[]) => T[] {
  const byName = new Map(values.map((v) => [v.toLowerCase(), v]));
  return (value, previous = []) => [
    ...previous,
    ...collect(value).map((item) => {
      const found = byName.get(item.toLowerCase());
      if (!found) throw new InvalidArgumentError(`'${item}' is not one of: ${values.join(', ')}.`);
      return found;
    }),
  ];
}

export function printer(io: CliIo): CliHelpers['print'] {
  return (json, value, human) => io.out(json ? JSON.stringify(value, null, 2) : human);
}
