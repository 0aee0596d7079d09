/** docs/dependencies.md is the picture the code draws today. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cruiseFolders, type Edge, layerOf, renderDependencyDoc } from '../../scripts/dependency-picture.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('docs/dependencies.md', () => {
  let edges: Edge[];
  beforeAll(() => {
    edges = cruiseFolders(root);
  });

  it('is current (run npm run docs:dependencies)', () => {
    const committed = readFileSync(`${root}docs/dependencies.md`, 'utf8');
    expect(committed, 'docs/dependencies.md is stale: run npm run docs:dependencies').toBe(renderDependencyDoc(edges));
  });

  it('places every folder of src/ in a layer', () => {
    const names = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
    expect(names.filter((name) => layerOf(name) === 'not in any layer')).toEqual([]);
  });

  it.each([
    ['platform', 'platform'],
    ['directory', 'directory'],
    ['mail', 'features'],
    ['redemption', 'features'],
    ['web/kit', 'web'],
    ['web/console', 'web'],
    ['app.ts', 'composition'],
    ['features.ts', 'composition'],
    ['cli', 'composition'],
    ['billing', 'not in any layer'],
  ])('puts %s in %s', (name, layer) => {
    expect(layerOf(name)).toBe(layer);
  });
});
