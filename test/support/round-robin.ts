/**
 * A load balancer for tests: every request goes to the next backend in turn, so a flow of N requests
 * crosses processes N-1 times. Counts what each backend served.
 */
import { createServer, request, type Server } from 'node:http';

export interface RoundRobin {
  port: number;
  served: number[];
  close(): Promise<void>;
}

export async function startRoundRobin(port: number, backends: () => number[]): Promise<RoundRobin> {
  let next = 0;
  const served: number[] = [];
  const server: Server = createServer((req, res) => {
    const targets = backends();
    const i = next++ % targets.length;
    served[i] = (served[i] ?? 0) + 1;
    const upstream = request({ host: '127.0.0.1', port: targets[i], method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, served, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
