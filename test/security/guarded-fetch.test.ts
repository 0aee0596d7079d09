/**
 * The fetch Foyer uses for identity providers refuses, at connect time, addresses that are not public:
 * whatever name or redirect leads there, the listener on loopback never sees a connection. Real sockets,
 * real DNS (`localhost` from the system resolver).
 *
 * Every server here runs on loopback, so to show a redirect from an allowed host to a refused one, the
 * policy under test treats 127.0.0.2 as if it were a public host and keeps refusing everything else that
 * is not public (127.0.0.1 included): the same check, with one address moved to the allowed side.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { guardedFetch, type OutboundPolicy, OutboundRequestRefused } from '../../src/platform/guarded-fetch.js';
import { nonPublicRange } from '../../src/platform/network-ranges.js';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** A TCP listener that only counts who connects (and hangs up on them). */
async function listener(host = '127.0.0.1'): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createTcpServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, connections: () => count };
}

async function httpServer(host: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req.url!);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as { port: number }).port, requests };
}

const policy = (overrides: Partial<OutboundPolicy> = {}): OutboundPolicy => ({
  httpsOnly: false,
  refuseAddress: nonPublicRange,
  timeoutMs: 5000,
  maxResponseBytes: 64 * 1024,
  maxRedirects: 3,
  ...overrides,
});
/** Public-only, except 127.0.0.2, which stands in for a public host. */
const pretendPublic = policy({ refuseAddress: (a) => (a === '127.0.0.2' ? undefined : nonPublicRange(a)) });

describe('guarded fetch', () => {
  it('does not connect to a name that resolves to loopback (localhost): the listener sees no connection', async () => {
    const l = await listener();
    const err = await guardedFetch(policy())(`http://localhost:${l.port}/.well-known/openid-configuration`).catch((e) => e);
    expect(err).toBeInstanceOf(OutboundRequestRefused);
    expect(err.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback/);
    expect(l.connections()).toBe(0);
  });

  it('does not connect to loopback, private or metadata addresses written as IP literals, in any spelling', async () => {
    const l = await listener();
    for (const host of [
      '127.0.0.1',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '0x7f.1',
      '2130706433',
      '0.0.0.0',
      '169.254.169.254',
      '10.0.0.1',
      '[fd00:ec2::254]',
    ]) {
      const err = await guardedFetch(policy())(`http://${host}:${l.port}/`).catch((e) => e);
      expect(err, host).toBeInstanceOf(OutboundRequestRefused);
    }
    expect(l.connections()).toBe(0);
  });

  it('with private networks allowed, the same loopback request goes through (the check is what stops it)', async () => {
    const s = await httpServer('127.0.0.1', (_req, res) => res.end('{"ok":true}'));
    const res = await guardedFetch(policy({ refuseAddress: () => undefined }))(`http://localhost:${s.port}/x`);
    expect(await res.json()).toEqual({ ok: true });
    expect(s.requests).toEqual(['/x']);
  });

  it('a redirect from an allowed host (127.0.0.2 standing in for a public one) to loopback is not followed', async () => {
    const target = await httpServer('127.0.0.1', (_req, res) => res.end('secret'));
    const byName = await httpServer('127.0.0.2', (req, res) => {
      res.writeHead(302, { location: req.url === '/by-ip' ? `http://127.0.0.1:${target.port}/` : `http://localhost:${target.port}/` }).end();
    });
    for (const path of ['/by-ip', '/by-name']) {
      const err = await guardedFetch(pretendPublic)(`http://127.0.0.2:${byName.port}${path}`).catch((e) => e);
      expect(err, path).toBeInstanceOf(OutboundRequestRefused);
    }
    expect(byName.requests).toEqual(['/by-ip', '/by-name']);
    expect(target.requests).toEqual([]);
  });

  it('a redirect between allowed places is followed (so the refusal above is the address check, not a ban on redirects)', async () => {
    const s = await httpServer('127.0.0.2', (req, res) => {
      if (req.url === '/start') res.writeHead(302, { location: '/end' }).end();
      else res.end('arrived');
    });
    const res = await guardedFetch(pretendPublic)(`http://127.0.0.2:${s.port}/start`);
    expect(await res.text()).toBe('arrived');
    expect(s.requests).toEqual(['/start', '/end']);
  });

  it("with redirect: 'manual' (how openid-client asks) the redirect is returned, not followed", async () => {
    const target = await httpServer('127.0.0.2', (_req, res) => res.end('x'));
    const s = await httpServer('127.0.0.2', (_req, res) => res.writeHead(307, { location: `http://127.0.0.2:${target.port}/` }).end());
    const res = await guardedFetch(pretendPublic)(`http://127.0.0.2:${s.port}/`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(target.requests).toEqual([]);
  });

  it('refuses plain http when only https is allowed (production), before connecting', async () => {
    const l = await listener('127.0.0.2');
    const err = await guardedFetch({ ...pretendPublic, httpsOnly: true })(`http://127.0.0.2:${l.port}/`).catch((e) => e);
    expect(err).toBeInstanceOf(OutboundRequestRefused);
    expect(err.message).toContain('only https');
    expect(l.connections()).toBe(0);
  });

  it('gives up on a server that never answers, and on an answer over the size limit', async () => {
    const silent = await httpServer('127.0.0.2', () => {});
    const slow = await guardedFetch({ ...pretendPublic, timeoutMs: 300 })(`http://127.0.0.2:${silent.port}/`).catch((e) => e);
    expect(slow).toBeInstanceOf(Error);
    expect(silent.requests).toEqual(['/']);

    const big = await httpServer('127.0.0.2', (_req, res) => res.end('x'.repeat(100_000)));
    const res = await guardedFetch(pretendPublic)(`http://127.0.0.2:${big.port}/`);
    await expect(res.text()).rejects.toThrow(/more than 65536 bytes/);
  });
});
