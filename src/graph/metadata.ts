/**
 * `GET /graph/v1.0/$metadata`: the service's CSDL document (OData 4.0, EDMX), generated from the resource
 * descriptions (the directory's, which are the API's own, and those the features declare next to their
 * routes), so that what it declares is what the API serves. Every `@odata.context` Foyer writes points
 * into it: an entity set (`#users`), a singleton and what it contains (`#identity/identityProviders`), a
 * navigation below an entity (`#organization('…')/branding`), or a type (`#microsoft.graph.passwordCredential`).
 */
import { complexTypes, graphResources } from '../directory/resources/index.js';
import { allNavigation, allProperties, NAMESPACE, type ResourceSet, renderCsdl } from '../platform/odata/resource.js';
import type { GraphDeps } from './kit.js';

/**
 * Everything the Graph API describes: the directory's resources, then the features' `extra` ones. Refuses
 * (when Foyer starts, and in the docs generator) a type described twice, or one that names a type nobody
 * describes, so the document cannot point at nothing.
 */
export function describedGraph(extra: readonly ResourceSet[] = []): ResourceSet {
  const all: ResourceSet = {
    resources: [...graphResources, ...extra.flatMap((s) => s.resources)],
    complexTypes: [...complexTypes, ...extra.flatMap((s) => s.complexTypes)],
  };
  const names = [...all.resources, ...all.complexTypes].map((t) => t.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new Error(`Graph types described twice: ${twice.join(', ')}`);
  const known = new Set(names.map((n) => `${NAMESPACE}.${n}`));
  const element = (type: string) => type.replace(/^Collection\((.+)\)$/, '$1');
  const used = [
    ...all.resources.flatMap((r) => [
      ...allProperties(r).map(([name, p]) => [`${r.name}.${name}`, element(p.type)]),
      ...allNavigation(r).map(([name, n]) => [`${r.name}/${name}`, n.type]),
    ]),
    ...all.complexTypes.flatMap((c) => Object.entries(c.properties).map(([name, p]) => [`${c.name}.${name}`, element(p.type)])),
  ];
  const unknown = used.filter(([, type]) => type!.startsWith(`${NAMESPACE}.`) && !known.has(type!)).map(([where, type]) => `${where}: ${type}`);
  if (unknown.length > 0) throw new Error(`Graph descriptions name types nobody describes: ${unknown.join('; ')}`);
  return all;
}

/** The `$metadata` document of the Graph-compatible API, with the features' `extra` resources. */
export function renderGraphMetadata(extra: readonly ResourceSet[] = []): string {
  const all = describedGraph(extra);
  return renderCsdl(all.resources, all.complexTypes);
}

export function registerMetadataRoute(deps: GraphDeps, extra: readonly ResourceSet[] = []): void {
  // The same for every tenant and caller, and public: Graph serves `$metadata` without a token.
  const document = renderGraphMetadata(extra);
  deps.app.get('/$metadata', async (_request, reply) => reply.type('application/xml; charset=utf-8').send(document));
}
