/**
 * Foyer as a separate operating-system process (`bin/foyer.js start`, from the compiled dist/), for the
 * tests that must kill it, restart it, or read its log as an operator would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
/** The installed command, as `npx foyer` runs it. */
export const bin = join(repo, 'bin/foyer.js');

export async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; lines: string[]; waitFor(text: string): Promise<string> }> {
  const child = spawn(process.execPath, [bin, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (text: string) =>
    new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line with "${text}" in:\n${lines.join('\n')}`)), 20_000);
      const check = () => {
        const line = lines.find((l) => l.includes(text));
        if (line) {
          clearTimeout(timer);
          resolveLine(line);
        } else waiters.push(check);
      };
      check();
    });
  return { child, lines, waitFor };
}
