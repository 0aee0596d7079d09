/**
 * Reading a secret for the CLI without putting it in the process list: from `--x-stdin` (first line of
 * standard input), an environment variable, or a hidden prompt on a terminal. `--x VALUE` still works,
 * with a warning, for throwaway development setups.
 */
import { createInterface } from 'node:readline';
import { read } from 'read';
import { UsageError } from './usage-error.js';

/**
 * Standard input's lines, read once per command run: several secrets may come on successive lines, and
 * the stream can be read only once. One reader per run (cli/main.ts makes it), not one per process.
 */
export function stdinReader(): () => Promise<string[]> {
  let lines: Promise<string[]> | undefined;
  return () => {
    lines ??= new Promise((resolve, reject) => {
      const read: string[] = [];
      const rl = createInterface({ input: process.stdin });
      rl.on('line', (l) => read.push(l));
      rl.on('close', () => resolve(read));
      rl.on('error', reject);
    });
    return lines;
  };
}

export interface SecretInput {
  warn: (msg: string) => void;
  env: NodeJS.ProcessEnv;
  stdin: () => Promise<string[]>;
}

export interface SecretSource {
  value?: string;
  fromStdin?: boolean;
  envName: string;
  prompt: string;
  /** The option that reads it from standard input, e.g. `--admin-password-stdin`: messages name it. */
  stdinFlag: string;
  /** The option that takes it on the command line, e.g. `--admin-password`, if there is one. */
  flag?: string;
  /** Which line of standard input holds it when several secrets are read from stdin. */
  stdinLine?: number;
}

export async function readSecret(source: SecretSource, { warn, env, stdin }: SecretInput): Promise<string> {
  const what = source.prompt.toLowerCase();
  if (source.fromStdin) {
    const lineNumber = source.stdinLine ?? 0;
    const line = (await stdin())[lineNumber];
    if (!line) throw new UsageError(`${source.stdinFlag}: expected the ${what} on line ${lineNumber + 1} of standard input, which is empty`);
    return line;
  }
  if (source.value !== undefined) {
    warn(
      `a secret given on the command line${source.flag ? ` (${source.flag})` : ''} is visible to other users of this machine; prefer ${source.envName} or ${source.stdinFlag}`,
    );
    return source.value;
  }
  const fromEnv = env[source.envName];
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) {
    const first = await read({ prompt: `${source.prompt}: `, silent: true, replace: '*' });
    const again = await read({ prompt: `${source.prompt} (again): `, silent: true, replace: '*' });
    if (first !== again) throw new UsageError(`the two entries of the ${what} differ`);
    return first;
  }
  throw new UsageError(
    `no ${what} given: set ${source.envName}, pipe it to ${source.stdinFlag}${source.flag ? `, give ${source.flag} VALUE` : ''}, or run the command in a terminal to be asked for it`,
  );
}
