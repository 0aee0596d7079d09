/** What the benchmark scripts share: timed worker loops, percentiles, waiting for a server to be ready. */
import type { ChildProcess } from 'node:child_process';

export interface Timed {
  perSecond: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

/** `workers` loops of `once` for `seconds`: the completed ones' rate and latency, and the failures. */
export async function runWorkers(workers: number, seconds: number, once: (worker: number, i: number) => Promise<void>): Promise<Timed> {
  const latencies: number[] = [];
  let errors = 0;
  const started = Date.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        const t = performance.now();
        try {
          await once(w, i);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors++;
          if (errors <= 3) process.stderr.write(`  error: ${(err as Error).message}\n`);
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(latencies.length / elapsed),
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    total: latencies.length,
    errors,
  };
}

export async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}
