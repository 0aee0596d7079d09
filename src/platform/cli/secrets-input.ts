/**
 * Reading a secret for the CLI without putting it in the process list: from `--x-stdin` (first line of
 * standard input), an environment variable, or a hidden prompt on a terminal. `--x VALUE` still works,
 * with a warning, for throwaway development setups.
 */
import { createInterface } from 'node:readline';
import { read } from 'read';

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
  /** Which line of standard input holds it when several secrets are read from stdin. */
  stdinLine?: number;
}

export async function readSecret(source: SecretSource, { warn, env, stdin }: SecretInput): Promise<string> {
  if (source.fromStdin) {
    const line = (await stdin())[source.stdinLine ?? 0];
    if (!line) throw new Error(`expected the ${source.prompt.toLowerCase()} on standard input`);
    return line;
  }
  if (source.value !== undefined) {
    warn(`a secret given on the command line is visible to other users of this machine; prefer ${source.envName} or --…-stdin`);
    return source.value;
  }
  const fromEnv = env[source.envName];
  if (fromEnv) return fromEnv;
  if (process.stdin.isTTY) {
    const first = await read({ prompt: `${source.prompt}: `, silent: true, replace: '*' });
    const again = await read({ prompt: `${source.prompt} (again): `, silent: true, replace: '*' });
    if (first !== again) throw new Error('the two entries differ');
    return first;
  }
  throw new Error(`no ${source.prompt.toLowerCase()} given: use ${source.envName}, the --…-stdin flag, or run in a terminal`);
}
