/**
 * SECURITY.md stays true of this repository: the Node.js versions it names are the ones package.json and the
 * README support, and it gives no contact the repository does not have (no address, no hosting service's
 * tab as the only way in).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(repo, file), 'utf8');

describe('the security policy', () => {
  const policy = read('SECURITY.md');
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; author?: unknown; repository?: unknown };

  it('names the Node.js versions Foyer runs on, as package.json and the README do', () => {
    const minimum = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    expect(minimum).toBeDefined();
    expect(read('README.md')).toContain(`Node.js ${minimum} or later`);
    expect(policy).toContain(`Node.js ${minimum} or later`);
  });

  it('gives only contacts the repository has', () => {
    // No e-mail address unless package.json names an author to reach.
    if (!pkg.author) expect(policy).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
    // package.json names no repository, so the policy cannot send people to one hosting service's tab alone.
    if (!pkg.repository) expect(policy).toMatch(/hosts the repository/);
  });
});
