/**
 * The layer rules refuse what they are meant to refuse: dependency-cruiser runs with the project's own
 * `.dependency-cruiser.cjs` on small fake `src/` trees (test/structure/fixtures/, outside tsc's checks
 * and Biome's) and must report exactly the planted violations.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function depcruise(fixture: string, ...options: string[]) {
  return spawnSync(`${root}node_modules/.bin/depcruise`, ['src', '--config', `${root}.dependency-cruiser.cjs`, ...options], {
    cwd: fileURLToPath(new URL(`fixtures/${fixture}/`, import.meta.url)),
    encoding: 'utf8',
  });
}

/** The violations as [rule, from, to], sorted, and the exit status `npm run lint` sees (the err reporter's). */
function cruise(fixture: string): { status: number | null; violations: Array<[string, string, string]> } {
  const json = depcruise(fixture, '--output-type', 'json');
  expect(json.stdout, json.stderr).toMatch(/^\{/);
  const { summary } = JSON.parse(json.stdout) as { summary: { violations: Violation[] } };
  const violations = summary.violations.map((v): [string, string, string] => [v.rule.name, v.from, v.to]);
  return { status: depcruise(fixture).status, violations: violations.sort() };
}

describe('the layer rules (.dependency-cruiser.cjs)', () => {
  it('accept a tree whose every import points down a layer, with features used through their index', () => {
    expect(cruise('clean')).toEqual({ status: 0, violations: [] });
  });

  it('refuse an import cycle', () => {
    const { status, violations } = cruise('cycle');
    expect(status).not.toBe(0);
    expect(new Set(violations.map(([rule]) => rule))).toEqual(new Set(['no-circular']));
    expect(violations.flatMap(([, from, to]) => [from, to])).toEqual(expect.arrayContaining(['src/directory/tenants.ts', 'src/directory/users.ts']));
  });

  it('refuse every upward import, each by its own rule', () => {
    const { status, violations } = cruise('upward');
    expect(status).not.toBe(0);
    expect(violations).toEqual(
      [
        ['directory-imports-platform-only', 'src/directory/users.ts', 'src/web/kit/csrf.ts'],
        ['platform-is-the-bottom', 'src/platform/ids.ts', 'src/directory/tenants.ts'],
        ['feature-order-mail', 'src/mail/outbox.ts', 'src/redemption/index.ts'],
        ['feature-order-graph', 'src/graph/invitations.ts', 'src/invitations/tickets.ts'],
        ['features-through-their-index', 'src/graph/invitations.ts', 'src/invitations/tickets.ts'],
        ['features-import-downward', 'src/oidc/provider.ts', 'src/app.ts'],
        ['web-kit-is-shared', 'src/web/kit/layout.ts', 'src/web/guest/pages.ts'],
        ['page-sets-are-independent', 'src/web/sign-in/sign-in.ts', 'src/web/guest/pages.ts'],
      ].sort(),
    );
  });
});
