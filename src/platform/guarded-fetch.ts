/**
 * A `fetch` for URLs that someone else chose (an identity provider's issuer and the endpoints its
 * discovery document names), which refuses to connect where it should not: the address is checked at
 * connect time, on what DNS actually answered, by a `lookup` hook on the socket. Checking the host name
 * before fetching would not do: `localhost`, `127.0.0.1.nip.io` or a rebinding DNS server resolve to
 * loopback, and a redirect may point anywhere. Each redirect is a new connection and goes through the
 * same check.
 *
 * It also bounds what a slow or hostile server can cost: a timeout over the whole exchange, a limit on
 * the response size, a limit on redirects. Connections are not pooled, so no socket opened under one
 * policy serves a request under another.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { nonPublicRange } from './network-ranges.js';

export interface OutboundPolicy {
  /** Refuse plain `http:` (production mode). */
  httpsOnly: boolean;
  /** Why a connection to this IP address is refused, or undefined when it is allowed. */
  refuseAddress: (address: string) => string | undefined;
  /** Whole exchange, connect to last byte. */
  timeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
}

/** The refusals: policy said no (address, scheme, size, redirects). Transport errors keep their own type. */
export class OutboundRequestRefused extends Error {
  override name = 'OutboundRequestRefused';
}

/** The usual policy: public addresses only, unless `allowPrivate`. */
export function publicOnly(allowPrivate: boolean): OutboundPolicy['refuseAddress'] {
  return allowPrivate ? () => undefined : nonPublicRange;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function guardedFetch(policy: OutboundPolicy): Fetch {
  return async (input, init) => {
    const original = new Request(input, init);
    const signal = AbortSignal.any([original.signal, AbortSignal.timeout(policy.timeoutMs)]);
    const headers = new Headers(original.headers);
    let body = original.body ? Buffer.from(await original.arrayBuffer()) : undefined;
    let method = original.method;
    let url = new URL(original.url);
    for (let hops = 0; ; hops++) {
      const response = await exchange(url, method, headers, body, signal, policy);
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || !location || original.redirect === 'manual') return response;
      await response.body?.cancel();
      if (original.redirect === 'error') throw new OutboundRequestRefused(`${url.origin} answered with a redirect, which this request does not follow`);
      if (hops >= policy.maxRedirects) throw new OutboundRequestRefused(`more than ${policy.maxRedirects} redirects from ${original.url}`);
      const next = new URL(location, url);
      // As browsers do (Fetch standard, "HTTP-redirect fetch"): credentials stay with their origin, and
      // 303 (and 301/302 after POST) turn the request into a GET without a body.
      if (next.origin !== url.origin) for (const name of ['authorization', 'cookie']) headers.delete(name);
      if (response.status === 303 || ([301, 302].includes(response.status) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers.delete('content-type');
      }
      url = next;
    }
  };
}

/** Checks the scheme, and the address when the URL names one (a literal IP skips DNS, hence the hook). */
function refusal(url: URL, policy: OutboundPolicy): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol} URLs are not fetched`;
  if (url.protocol === 'http:' && policy.httpsOnly) return `${url.origin}: only https is allowed in production mode`;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const why = isIP(host) ? policy.refuseAddress(host) : undefined;
  return why ? `${url.host} is a ${why} address` : undefined;
}

/** DNS as usual, then every answer checked before the socket may connect to it. */
function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return ((hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      for (const a of addresses) {
        const why = policy.refuseAddress(a.address);
        if (why) return callback(new OutboundRequestRefused(`${hostname} resolves to ${a.address}, a ${why} address`));
      }
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      const first = addresses[0];
      return first ? callback(null, first.address, first.family) : callback(new Error(`${hostname} has no address`));
    });
  }) as LookupFunction;
}

function exchange(url: URL, method: string, headers: Headers, body: Buffer | undefined, signal: AbortSignal, policy: OutboundPolicy): Promise<Response> {
  const refused = refusal(url, policy);
  if (refused) return Promise.reject(new OutboundRequestRefused(refused));
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method,
      headers: Object.fromEntries(headers),
      lookup: guardedLookup(policy),
      agent: false,
      signal,
    });
    request.once('error', reject);
    request.once('response', (incoming) => {
      try {
        resolve(toResponse(incoming, method, url, policy));
      } catch (err) {
        incoming.destroy();
        reject(err);
      }
    });
    request.end(body);
  });
}

function toResponse(incoming: IncomingMessage, method: string, url: URL, policy: OutboundPolicy): Response {
  const status = incoming.statusCode ?? 0;
  if (status < 200 || status > 599) throw new OutboundRequestRefused(`${url.origin} answered with status ${status}`);
  const headers = new Headers();
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
  const init = { status, statusText: incoming.statusMessage ?? '', headers };
  if (method === 'HEAD' || [204, 205, 304].includes(status)) {
    incoming.resume();
    return new Response(null, init);
  }
  let received = 0;
  let settled = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        incoming.destroy();
        controller.error(err);
      };
      incoming.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > policy.maxResponseBytes) fail(new OutboundRequestRefused(`${url.origin} sent more than ${policy.maxResponseBytes} bytes`));
        else if (!settled) controller.enqueue(new Uint8Array(chunk));
      });
      incoming.once('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      incoming.once('error', fail);
      incoming.once('close', () => fail(new Error(`${url.origin} closed the connection before the end of the response`)));
    },
    cancel() {
      settled = true;
      incoming.destroy();
    },
  });
  return new Response(body, init);
}
