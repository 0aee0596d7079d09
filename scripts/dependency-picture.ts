/**
 * Draws docs/dependencies.md from the code: dependency-cruiser reads `src/` with the project's rules
 * (`.dependency-cruiser.cjs`), every folder collapses to one box (a page set of `web/` to its own), and
 * the boxes are grouped by layer (scripts/layers.cjs). Mermaid, so GitHub draws it and no Graphviz is
 * needed. `npm run docs:dependencies`; test/structure/dependencies-doc.test.ts fails when the committed
 * page is out of date.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const { FEATURES, COMPOSITION, FOLDER } = createRequire(import.meta.url)('./layers.cjs') as {
  FEATURES: string[];
  COMPOSITION: string;
  FOLDER: string;
};

/** A rule that speaks of files inside a folder, so a collapsed picture cannot show it (the lint does). */
const FILE_LEVEL_RULES = new Set(['features-through-their-index']);

interface CruisedModule {
  source: string;
  dependencies: Array<{ resolved: string; rules?: Array<{ name: string }> }>;
}

export interface Edge {
  from: string;
  to: string;
  rules: string[];
}

/** Runs dependency-cruiser on `root`'s src/ and returns the imports between folders. */
export function cruiseFolders(root: string): Edge[] {
  const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
  const args = ['src', '--config', '.dependency-cruiser.cjs', '--include-only', '^src/', '--collapse', FOLDER, '--output-type', 'json'];
  const run = spawnSync(depcruise, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error || !run.stdout.startsWith('{')) throw new Error(`dependency-cruiser failed: ${run.error?.message ?? run.stderr}`);
  const modules = (JSON.parse(run.stdout) as { modules: CruisedModule[] }).modules;
  return modules
    .flatMap((m) =>
      m.dependencies.map((d) => ({
        from: folderName(m.source),
        to: folderName(d.resolved),
        rules: [...new Set((d.rules ?? []).map((r) => r.name).filter((name) => !FILE_LEVEL_RULES.has(name)))].sort(),
      })),
    )
    .filter((e) => e.from !== e.to)
    .sort((a, b) => byText(a.from, b.from) || byText(a.to, b.to));
}

/** Code-point order: the page must come out the same on every machine, whatever its locale. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `src/web/kit/` → `web/kit`, `src/app.ts` → `app.ts`, `src/cli/` → `cli`. */
function folderName(path: string): string {
  return path.replace(/^src\//, '').replace(/\/$/, '');
}

const LAYERS = ['composition', 'web', 'features', 'directory', 'platform'] as const;

/** Which layer a box belongs to; a folder no rule knows is shown apart, so that someone places it. */
export function layerOf(name: string): (typeof LAYERS)[number] | 'not in any layer' {
  if (new RegExp(COMPOSITION).test(`src/${name}`) || new RegExp(COMPOSITION).test(`src/${name}/`)) return 'composition';
  if (name.startsWith('web/')) return 'web';
  if (name === 'platform' || name === 'directory') return name;
  if (FEATURES.includes(name)) return 'features';
  return 'not in any layer';
}

/** Boxes in reading order: features in their order, the web kit before the page sets, the rest by name. */
function rank(name: string): string {
  const feature = FEATURES.indexOf(name);
  if (feature >= 0) return `${feature}`;
  return name === 'web/kit' ? `0${name}` : `1${name}`;
}

/** A Mermaid id: prefixed, because names such as `graph` and `end` are Mermaid keywords. */
const id = (name: string) => `n_${name.replace(/[^A-Za-z0-9]/g, '_')}`;

export function renderDependencyDoc(cruised: Edge[]): string {
  const names = [...new Set(cruised.flatMap((e) => [e.from, e.to]))].sort((a, b) => byText(rank(a), rank(b)));
  const groups = [...LAYERS, 'not in any layer' as const].map((layer) => [layer, names.filter((n) => layerOf(n) === layer)] as const);
  const lines = ['flowchart TB'];
  for (const [layer, members] of groups) {
    if (members.length === 0) continue;
    // A layer of one folder is that folder's box; the others are frames around their folders.
    if (members.length === 1 && members[0] === layer) {
      lines.push(`  ${id(layer)}["${layer}"]`);
      continue;
    }
    lines.push(`  subgraph layer_${layer.replace(/\W/g, '_')}["${layer}"]`);
    if (layer === 'features') lines.push('    direction LR');
    for (const name of members) lines.push(`    ${id(name)}["${name}"]`);
    lines.push('  end');
  }
  // Every layer may use the platform; its dozen arrows would only hide the others (unless one breaks a rule).
  const edges = cruised.filter((e) => e.to !== 'platform' || e.rules.length > 0);
  for (const e of edges) lines.push(`  ${id(e.from)} --> ${id(e.to)}`);
  const broken = edges.flatMap((e, i) => (e.rules.length > 0 ? [{ ...e, index: i }] : []));
  if (broken.length > 0) lines.push(`  linkStyle ${broken.map((e) => e.index).join(',')} stroke:#d00,stroke-width:3px`);

  const violations =
    broken.length === 0
      ? 'None: every arrow points down a layer, or to an earlier feature.'
      : broken.map((e) => `- \`${e.from}\` → \`${e.to}\`: ${e.rules.map((r) => `\`${r}\``).join(', ')}`).join('\n');
  return `# Dependencies between Foyer's folders

Generated from the code by \`npm run docs:dependencies\` (dependency-cruiser with \`.dependency-cruiser.cjs\`);
do not edit by hand. \`test/structure/dependencies-doc.test.ts\` fails when this page is out of date.

Each box is a folder of \`src/\` (each page set of \`web/\` on its own) or a file of the composition root; an
arrow means "imports". The layers run from top to bottom: composition → web → features → directory →
platform. An arrow may point down, or from a feature to one before it in the order
${FEATURES.map((f) => `\`${f}\``).join(' → ')}.
Arrows that break a layer rule are drawn red. Every layer may use \`platform\`: the arrows into it are left out.
[architecture.md](architecture.md) explains the layers and the rules.

\`\`\`mermaid
${lines.join('\n')}
\`\`\`

## Arrows that break a rule

${violations}

The picture shows folders; inside a folder, \`npm run lint\` also checks that other folders use a feature only
through its \`index.ts\`, that there is no import cycle between files, and who may use which table.
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const target = join(root, 'docs', 'dependencies.md');
  writeFileSync(target, renderDependencyDoc(cruiseFolders(root)));
  console.log('wrote docs/dependencies.md');
}
