/**
 * What every `foyer` command gets from the command line's composition root (cli/main.ts): its
 * input and output, a context on the configured database, and small helpers for options and output. A
 * feature's commands take these as a parameter, so they never import the CLI that lists them.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.js';
import type { AppContext } from '../context.js';
import type { SecretSource } from './secrets-input.js';
import { UsageError } from './usage-error.js';

export { UsageError } from './usage-error.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface CliHelpers {
  io: CliIo;
  /**
   * Opens the configured database, migrates it, runs `fn` with a context (features installed), and closes
   * it. A SQLite file that does not exist yet is refused (exit 2, naming the path), so that a command run
   * in the wrong folder does not make a new, empty database there; `createDatabase` allows it for the
   * command that documents creating one (`tenant create`).
   */
  withContext: <T>(io: CliIo, fn: (ctx: AppContext) => Promise<T>, options?: { createDatabase?: boolean }) => Promise<T>;
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

/** Marks an option parser that gathers every occurrence into a list, so that a repeat is welcome. */
function accumulating<F extends (value: string, previous?: never) => unknown>(parse: F): F {
  return Object.assign(parse, { accumulates: true });
}

export const collect = accumulating(function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
});

/**
 * Commander option parser for a value the command checks by its shape alone (a URL, an address, a
 * domain name): `problem` says what is wrong with it, or returns nothing. A bad value is a usage error
 * (exit 2) that names the option, before anything is opened.
 */
export function shaped(problem: (value: string) => string | undefined): (value: string) => string {
  return (value) => {
    const wrong = problem(value);
    if (wrong) throw new InvalidArgumentError(wrong);
    return value;
  };
}

/** Like `shaped`, for a repeatable, comma-separated option: each item is checked. */
export function shapedList(problem: (value: string) => string | undefined): (value: string, previous?: string[]) => string[] {
  return accumulating((value: string, previous: string[] = []) => {
    const items = collect(value);
    for (const item of items) {
      const wrong = problem(item);
      if (wrong) throw new InvalidArgumentError(wrong);
    }
    return [...previous, ...items];
  });
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
  return accumulating((value: string, previous: T[] = []) => [
    ...previous,
    ...collect(value).map((item) => {
      const found = byName.get(item.toLowerCase());
      if (!found) throw new InvalidArgumentError(`'${item}' is not one of: ${values.join(', ')}.`);
      return found;
    }),
  ]);
}

/**
 * Makes every option that takes one value refuse a second one (`--email a --email b`), which commander
 * would otherwise settle silently by keeping the last. Lists (variadic options, `collect`, `listOf`) are
 * left alone. Called once the whole command tree is built, so features' commands are covered too. The
 * value is not repeated in the message: it may be a password.
 */
export function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    const parse = option.parseArg as ((value: string, previous: unknown) => unknown) | undefined;
    if (!(option.required || option.optional) || option.variadic || (parse && 'accumulates' in parse)) continue;
    const name = option.attributeName();
    option.argParser((value: string, previous: unknown) => {
      // The source tells a value given earlier on this command line from a default.
      if (command.getOptionValueSource(name) === 'cli') {
        throw new UsageError(`${option.long ?? option.flags} was given more than once: give it once (it takes a single value)`);
      }
      return parse ? parse(value, previous) : value;
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}

export function printer(io: CliIo): CliHelpers['print'] {
  return (json, value, human) => io.out(json ? JSON.stringify(value, null, 2) : human);
}
