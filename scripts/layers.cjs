/**
 * Foyer's layers, bottom to top, in one place: `.dependency-cruiser.cjs` builds its rules from them and
 * `scripts/dependency-picture.ts` groups the picture in docs/dependencies.md by them.
 */
module.exports = {
  /** Features and protocols in their order: each may use the ones before it, never the ones after. */
  FEATURES: ['mail', 'oidc', 'graph', 'invitations', 'redemption', 'mfa', 'governance'],
  /** The composition root: it wires everything and nothing imports it. */
  COMPOSITION: '^src/(app|server|features|docs)\\.ts$|^src/cli/',
  /** One node per folder in the picture: web/ counts by page set, every other folder as a whole. */
  FOLDER: '^src/(web/[^/]+|[^/]+)/',
};
