/**
 * Which IP addresses are not on the public internet: loopback, private, link-local (where the cloud
 * metadata services live), shared CGNAT space, multicast and the other special-purpose blocks of the
 * IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and its updates). A server that fetches
 * URLs chosen by someone else (an administrator's identity provider issuer, reached during anonymous
 * sign-in flows) asks this before it connects, so that the URL cannot point it at the machine itself, the
 * internal network or the metadata service (server-side request forgery).
 *
 * Matching uses node's `net.BlockList`. IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
 * the NAT64 prefix `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address inside them, since that
 * is where a connection to them ends up.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

interface Range {
  prefix: string;
  bits: number;
  name: string;
}

// The reason each block is refused is its registry entry: none of them is "globally reachable".
const IPV4_RANGES: readonly Range[] = [
  { prefix: '0.0.0.0', bits: 8, name: 'unspecified ("this network", 0.0.0.0/8)' },
  { prefix: '10.0.0.0', bits: 8, name: 'private (10.0.0.0/8)' },
  { prefix: '100.64.0.0', bits: 10, name: 'shared carrier-grade NAT (100.64.0.0/10)' },
  { prefix: '127.0.0.0', bits: 8, name: 'loopback (127.0.0.0/8)' },
  { prefix: '169.254.0.0', bits: 16, name: 'link-local, incl. cloud metadata (169.254.0.0/16)' },
  { prefix: '172.16.0.0', bits: 12, name: 'private (172.16.0.0/12)' },
  { prefix: '192.0.0.0', bits: 24, name: 'IETF protocol assignments (192.0.0.0/24)' },
  { prefix: '192.0.2.0', bits: 24, name: 'documentation (192.0.2.0/24)' },
  { prefix: '192.88.99.0', bits: 24, name: '6to4 relay anycast (192.88.99.0/24)' },
  { prefix: '192.168.0.0', bits: 16, name: 'private (192.168.0.0/16)' },
  { prefix: '198.18.0.0', bits: 15, name: 'benchmarking (198.18.0.0/15)' },
  { prefix: '198.51.100.0', bits: 24, name: 'documentation (198.51.100.0/24)' },
  { prefix: '203.0.113.0', bits: 24, name: 'documentation (203.0.113.0/24)' },
  { prefix: '224.0.0.0', bits: 4, name: 'multicast (224.0.0.0/4)' },
  { prefix: '240.0.0.0', bits: 4, name: 'reserved or broadcast (240.0.0.0/4)' },
];

const IPV6_RANGES: readonly Range[] = [
  { prefix: '::', bits: 128, name: 'unspecified (::)' },
  { prefix: '::1', bits: 128, name: 'loopback (::1)' },
  { prefix: '::', bits: 96, name: 'IPv4-compatible, deprecated (::/96)' },
  { prefix: '64:ff9b:1::', bits: 48, name: 'local-use NAT64 (64:ff9b:1::/48)' },
  { prefix: '100::', bits: 64, name: 'discard-only (100::/64)' },
  { prefix: '2001::', bits: 32, name: 'Teredo tunnel (2001::/32)' },
  { prefix: '2001:10::', bits: 28, name: 'ORCHID (2001:10::/28)' },
  { prefix: '2001:20::', bits: 28, name: 'ORCHIDv2 (2001:20::/28)' },
  { prefix: '2001:db8::', bits: 32, name: 'documentation (2001:db8::/32)' },
  { prefix: '3fff::', bits: 20, name: 'documentation (3fff::/20)' },
  { prefix: 'fc00::', bits: 7, name: 'unique local, private (fc00::/7)' },
  { prefix: 'fe80::', bits: 10, name: 'link-local (fe80::/10)' },
  { prefix: 'fec0::', bits: 10, name: 'site-local, deprecated (fec0::/10)' },
  { prefix: 'ff00::', bits: 8, name: 'multicast (ff00::/8)' },
];

/** IPv6 blocks whose addresses embed an IPv4 address, and where it sits (byte offset). */
const EMBEDDING: readonly (Range & { at: number })[] = [
  { prefix: '::ffff:0:0', bits: 96, name: 'IPv4-mapped', at: 12 },
  { prefix: '64:ff9b::', bits: 96, name: 'NAT64', at: 12 },
  { prefix: '2002::', bits: 16, name: '6to4', at: 2 },
];

const listOf = (r: Range, family: 'ipv4' | 'ipv6') => {
  const list = new BlockList();
  list.addSubnet(r.prefix, r.bits, family);
  return list;
};
// Built once and never changed afterwards: constant lookup tables, not state.
const v4 = IPV4_RANGES.map((r) => ({ name: r.name, list: listOf(r, 'ipv4') }));
const v6 = IPV6_RANGES.map((r) => ({ name: r.name, list: listOf(r, 'ipv6') }));
const embedding = EMBEDDING.map((r) => ({ ...r, list: listOf(r, 'ipv6') }));

/** The 16 bytes of a valid IPv6 address (a zone such as `%eth0` ignored). */
function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * Why `address` is not a public unicast address (a short description of its block, for logs and error
 * messages), or undefined when it is one. Anything that is not an IP address is refused too.
 */
export function nonPublicRange(address: string): string | undefined {
  const plain = address.replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(plain)) return v4.find((r) => r.list.check(plain, 'ipv4'))?.name;
  if (!isIPv6(plain)) return 'not an IP address';
  const bare = plain.split('%')[0]!;
  const carrier = embedding.find((r) => r.list.check(bare, 'ipv6'));
  if (carrier) {
    const inner = ipv6Bytes(bare)
      .slice(carrier.at, carrier.at + 4)
      .join('.');
    const why = nonPublicRange(inner);
    return why ? `${carrier.name} form of ${inner}, ${why}` : undefined;
  }
  return v6.find((r) => r.list.check(bare, 'ipv6'))?.name;
}
