/**
 * The directory's advanced queries at scale (part of `npm run bench`): `GET /users/$count` with
 * `ConsistencyLevel: eventual`, the same with a `$filter`, a `$search` page with its `@odata.count`, a
 * broad `$search` (one letter: refused above Foyer's allowance of index entries per search, answered
 * below it), and a plain `GET /users` page without the header, over the seeded tenant (bench/seed.ts: 100,000 members, one in ten disabled,
 * display names "First Last N" from 34 first names). Each request is checked once for the answer it must
 * give before it is measured, so a figure is never the speed of an error.
 */
import type autocannon from 'autocannon';

/** One measurement: what autocannon reports (bench/run.ts uses the same). */
export interface Figure {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Errors, timeouts and answers other than 2xx. */
  errors: number;
  /** Of those, the answers other than 2xx. */
  non2xx: number;
  total: number;
}

export interface QueryScenario {
  name: string;
  path: string;
  /** Whether the request carries `ConsistencyLevel: eventual` (an advanced query). */
  eventual: boolean;
  /** Checks the answer once before the measurement. */
  check(status: number, body: string): boolean;
}

/** The scenarios for a tenant of `users` seeded members. */
export function directoryQueryScenarios(users: number): QueryScenario[] {
  const search = `$search=${encodeURIComponent('"displayName:ada"')}`;
  return [
    { name: 'GET /users/$count', path: '/users/$count', eventual: true, check: (s, b) => s === 200 && Number(b) === users + 1 },
    {
      name: 'GET /users/$count?$filter=accountEnabled eq false',
      path: `/users/$count?$filter=${encodeURIComponent('accountEnabled eq false')}`,
      eventual: true,
      check: (s, b) => s === 200 && Number(b) === Math.ceil(users / 10),
    },
    {
      name: 'GET /users?$search="displayName:ada"&$count=true&$top=100',
      path: `/users?${search}&$count=true&$top=100&$select=id,displayName`,
      eventual: true,
      check: (s, b) => {
        const page = s === 200 ? (JSON.parse(b) as { value: unknown[]; '@odata.count': number }) : undefined;
        return page !== undefined && page.value.length === Math.min(100, page['@odata.count']) && page['@odata.count'] > 0;
      },
    },
    {
      // "a" begins a first name in five of 34 and a surname in one of 26: about 18,000 of 100,000 users,
      // more index entries than one search may read (400); at a few thousand users it is answered.
      name: 'GET /users?$search="displayName:a"&$count=true&$top=100 (broad)',
      path: `/users?$search=${encodeURIComponent('"displayName:a"')}&$count=true&$top=100&$select=id,displayName`,
      eventual: true,
      check: (s, b) =>
        s === 200
          ? (JSON.parse(b) as { '@odata.count': number })['@odata.count'] > 0
          : s === 400 && (JSON.parse(b) as { error: { message: string } }).error.message.startsWith('The search matches too many objects'),
    },
    // A plain page, as a script sends it: without the header.
    {
      name: 'GET /users?$top=100',
      path: '/users?$top=100',
      eventual: false,
      check: (s, b) => s === 200 && (JSON.parse(b) as { value: unknown[] }).value.length === 100,
    },
  ];
}

/**
 * Measures each scenario with `connections` clients (after a short warm-up). `load` is the benchmark's
 * autocannon runner; `graphBase` is `{publicUrl}/graph/v1.0`.
 */
export async function benchDirectoryQueries(
  graphBase: string,
  token: string,
  users: number,
  connections: number,
  load: (opts: autocannon.Options) => Promise<Figure>,
): Promise<Array<{ name: string; figure: Figure }>> {
  const out: Array<{ name: string; figure: Figure }> = [];
  for (const scenario of directoryQueryScenarios(users)) {
    const url = `${graphBase}${scenario.path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (scenario.eventual) headers.ConsistencyLevel = 'eventual';
    const res = await fetch(url, { headers });
    const body = await res.text();
    if (!scenario.check(res.status, body)) throw new Error(`unexpected answer to ${scenario.name}: ${res.status} ${body.slice(0, 300)}`);
    await load({ url, headers, connections, duration: 2 });
    const figure = await load({ url, headers, connections });
    // A refusal checked above is the answer measured (the broad search above the allowance), not an error.
    out.push({
      name: `${scenario.name}${res.status === 400 ? ': 400' : ''}`,
      figure: res.status === 400 ? { ...figure, errors: figure.errors - figure.non2xx } : figure,
    });
  }
  return out;
}
