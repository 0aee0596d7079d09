/**
 * Foyer's layer rules, checked by `npm run lint` (dependency-cruiser) in CI.
 *
 *   platform/   config, errors, storage and migrations, clock, ids, locale, html escaping, OData, rate limits
 *   directory/  the domain core: tenants, domains, users, groups, apps, roles, policies, audit log, events
 *   features    mail/ → oidc/ → graph/ → invitations/ → redemption/ (each may use the ones before it)
 *   web/        kit/ (layout, texts, cookie-backed stores, forms) → page sets sign-in/, guest/, dev/
 *   composition app.ts, server.ts, features.ts, docs.ts, cli/
 *
 * A module imports only from its own layer or the ones below it. Features use each other only through
 * the other feature's index.ts (its published functions and events). The list of layers and features is in
 * scripts/layers.cjs; table ownership and the 400-line limit are checked by scripts/check-structure.ts.
 * docs/architecture.md explains the layers; `npm run docs:dependencies` draws docs/dependencies.md from
 * the code with this configuration.
 */
const { FEATURES, COMPOSITION, FOLDER } = require('./scripts/layers.cjs');

/** A feature may use the features before it in FEATURES, never the ones after it. */
const featureOrder = FEATURES.slice(0, -1).map((feature, i) => ({
  name: `feature-order-${feature}`,
  comment: `${feature}/ comes before ${FEATURES.slice(i + 1).join(', ')}: it may not import them`,
  severity: 'error',
  from: { path: `^src/${feature}/` },
  to: { path: `^src/(${FEATURES.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make the order of initialisation an accident and the layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'platform-is-the-bottom',
      comment: 'platform/ holds what everything else builds on; it imports nothing of Foyer outside itself.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'directory-imports-platform-only',
      comment: 'The directory core knows nothing of protocols, features, pages or the CLI; they react to its events.',
      severity: 'error',
      from: { path: '^src/directory/' },
      to: { path: '^src/', pathNot: '^src/(platform|directory)/' },
    },
    {
      name: 'features-import-downward',
      comment: 'Features and protocols do not import pages or the composition root.',
      severity: 'error',
      from: { path: `^src/(${FEATURES.join('|')})/` },
      to: { path: `^src/web/|${COMPOSITION}` },
    },
    ...featureOrder,
    {
      name: 'features-through-their-index',
      comment: 'Outside a feature, only its index.ts (what it publishes) may be imported, never its internals.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: `^src/(${FEATURES.join('|')})/`, pathNot: ['^src/$1/', `^src/(${FEATURES.join('|')})/index\\.ts$`] },
    },
    {
      name: 'web-imports-downward',
      comment: 'Pages do not import the composition root.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: COMPOSITION },
    },
    {
      name: 'web-kit-is-shared',
      comment: 'The web kit serves every page set; it imports none of them.',
      severity: 'error',
      from: { path: '^src/web/kit/' },
      to: { path: '^src/web/', pathNot: '^src/web/kit/' },
    },
    {
      name: 'page-sets-are-independent',
      comment: 'A page set (sign-in/, guest/, dev/) uses the kit and the layers below, not another page set.',
      severity: 'error',
      from: { path: '^src/web/([^/]+)/', pathNot: '^src/web/kit/' },
      to: { path: '^src/web/', pathNot: ['^src/web/kit/', '^src/web/$1/'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing package; it would also hide from every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-packages',
      comment: 'Every package src/ imports is declared in package.json.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-tests-in-src',
      comment: 'Production code does not import test code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-dev-dependencies-in-src',
      comment: 'What src/ imports must be installed in production.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: {
      dot: {
        collapsePattern: `${FOLDER}|^node_modules/[^/]+`,
      },
    },
  },
};
