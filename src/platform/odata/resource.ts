/**
 * One description of each Graph resource Foyer serves: its properties (EDM type, whether in the default
 * `$select` set, selectable, filterable with which operators, sortable, settable on create and update),
 * its navigation properties, and the Graph properties Foyer deliberately does not keep. The query model
 * for `$filter`/`$select`/`$orderby`, the `$metadata` CSDL document and the API reference's property
 * tables are all derived from it, so they cannot disagree.
 */
import type { CollectionSpec, Comparison, PropertySpec } from './filter.js';
import type { CollectionModel } from './query.js';

/** The namespace of every type Foyer describes, as in Graph's own `$metadata`. */
export const NAMESPACE = 'microsoft.graph';

export type PrimitiveType = 'Edm.String' | 'Edm.Boolean' | 'Edm.DateTimeOffset' | 'Edm.Int32' | 'Edm.Guid';
/** An EDM primitive, a complex type of the namespace (`microsoft.graph.objectIdentity`), or a collection of either. */
export type EdmType = PrimitiveType | `${typeof NAMESPACE}.${string}` | `Collection(${PrimitiveType | `${typeof NAMESPACE}.${string}`})`;
export type FilterOperator = Comparison | 'in' | 'startswith' | 'endswith';

export interface PropertyDescription {
  type: EdmType;
  /** What it holds, for the API reference (one short sentence). */
  doc: string;
  /** `false` when the property always has a value. Default `true`. */
  nullable?: boolean;
  /** In the set returned without `$select`. */
  default?: true;
  /** `false` for properties that are written but never read back (a password). Default `true`. */
  selectable?: false;
  /**
   * `$filter` operators. On a collection of strings they apply to its elements, inside `any`; a
   * collection of a complex type filters by its element type's operators.
   */
  filter?: readonly FilterOperator[];
  /** For a string with a fixed set of values: the values (filters match them case-insensitively). */
  values?: readonly string[];
  /** `$orderby`: `true`, or `'advanced'` when only in an advanced query (Graph's rule). */
  sortable?: true | 'advanced';
  /** Settable in a create body, and whether it must be there. */
  create?: 'required' | 'optional';
  /** Settable in an update body. */
  update?: true;
}

export interface NavigationDescription {
  /** The target entity type, e.g. `microsoft.graph.directoryObject`. */
  type: `${typeof NAMESPACE}.${string}`;
  collection: boolean;
  expandable: boolean;
  /**
   * The target objects live only under this one (`identity/identityProviders`): OData's contained
   * navigation, addressed through its parent rather than an entity set of its own.
   */
  containsTarget?: true;
  doc: string;
}

export interface ComplexTypeDescription {
  name: string;
  properties: Record<string, { type: EdmType; nullable?: boolean; filter?: readonly FilterOperator[]; values?: readonly string[]; sortable?: true }>;
}

export interface ResourceDescription<P extends Record<string, PropertyDescription> = Record<string, PropertyDescription>> {
  /** The entity type's name in the namespace: `user`. */
  name: string;
  /** Its base type, whose properties it inherits (every directory object derives from `directoryObject`). */
  base?: ResourceDescription;
  /** The entity set that holds it at the service root (`users`), if any. */
  entitySet?: string;
  /** The singleton that is it at the service root (`identity`, `auditLogs`, `policies`), if any. */
  singleton?: string;
  properties: P;
  navigation?: Record<string, NavigationDescription>;
  /** Graph properties of this type that Foyer does not keep: refused as "not supported by Foyer", never as unknown. */
  unsupported?: readonly string[];
}

/**
 * What a part of Foyer adds to the Graph API's `$metadata` and property tables: the resources it serves
 * (entity types, with the entity sets and singletons that reach them) and the complex types they use.
 */
export interface ResourceSet {
  resources: readonly ResourceDescription[];
  complexTypes: readonly ComplexTypeDescription[];
}

/** Keeps the literal shape of a description, so that body schemas can be typed against its settable properties. */
export function defineResource<const P extends Record<string, PropertyDescription>>(resource: ResourceDescription<P>): ResourceDescription<P> {
  return resource;
}

/** The names of the properties a create (`'create'`) or update (`'update'`) body may set. */
export type SettableProperty<R extends ResourceDescription, On extends 'create' | 'update'> = {
  [K in keyof R['properties']]: R['properties'][K] extends Record<On, unknown> ? K : never;
}[keyof R['properties']] &
  string;

/** The names of the properties of the resource's own (not its base's) that `$select` may name. */
export type SelectableProperty<R extends ResourceDescription> = {
  [K in keyof R['properties']]: R['properties'][K] extends { selectable: false } ? never : K;
}[keyof R['properties']] &
  string;

/** The qualified type name: `microsoft.graph.user`. */
export const typeName = (resource: ResourceDescription) => `${NAMESPACE}.${resource.name}`;

/** Every property of the resource, its base type's first (as the CSDL and Graph order them). */
export function allProperties(resource: ResourceDescription): Array<[string, PropertyDescription]> {
  return [...(resource.base ? allProperties(resource.base) : []), ...Object.entries(resource.properties)];
}

/** Every navigation property, the base type's first. */
export function allNavigation(resource: ResourceDescription): Array<[string, NavigationDescription]> {
  return [...(resource.base ? allNavigation(resource.base) : []), ...Object.entries(resource.navigation ?? {})];
}

/** The relationships `$expand` may name on this type (the base type's included). */
export function expandableNavigation(resource: ResourceDescription): string[] {
  return allNavigation(resource)
    .filter(([, n]) => n.expandable)
    .map(([name]) => name);
}

/** Graph properties Foyer does not keep, the base type's included. */
export function unsupportedProperties(resource: ResourceDescription): readonly string[] {
  return [...(resource.base ? unsupportedProperties(resource.base) : []), ...(resource.unsupported ?? [])];
}

/** Property names for which `pick` holds. */
export function propertyNames(resource: ResourceDescription, pick: (p: PropertyDescription) => boolean): string[] {
  return allProperties(resource)
    .filter(([, p]) => pick(p))
    .map(([name]) => name);
}

const scalarKind = (p: { type: EdmType; values?: readonly string[] }): PropertySpec['type'] =>
  p.values ? 'enum' : p.type === 'Edm.Boolean' ? 'boolean' : p.type === 'Edm.DateTimeOffset' ? 'datetime' : p.type === 'Edm.Int32' ? 'integer' : 'string';

const elementType = (type: EdmType): string | undefined => /^Collection\((.+)\)$/.exec(type)?.[1];

/**
 * The query model of the resource's collection: what `$filter`, `$select` and `$orderby` accept.
 * `extra` adds what only the storage knows (the order an index serves best).
 */
export function collectionModel(
  resource: ResourceDescription,
  complexTypes: readonly ComplexTypeDescription[] = [],
  extra: Pick<CollectionModel, 'preferredOrder'> = {},
): CollectionModel {
  const properties: Record<string, PropertySpec> = {};
  const collections: Record<string, CollectionSpec> = {};
  const paths: string[] = [];
  for (const [name, p] of allProperties(resource)) {
    // A single complex value (`signInActivity`, `status`): its filterable members, by path (`status/errorCode`).
    const single = !elementType(p.type) && !p.type.startsWith('Edm.') ? complexTypes.find((c) => `${NAMESPACE}.${c.name}` === p.type) : undefined;
    for (const [member, m] of Object.entries(single?.properties ?? {})) {
      if (m.filter) properties[`${name}/${member}`] = { type: scalarKind(m), ops: m.filter, ...(m.values ? { values: m.values } : {}) };
      if (m.sortable) paths.push(`${name}/${member}`);
    }
    if (!p.filter) continue;
    const element = elementType(p.type);
    if (element === undefined) {
      properties[name] = { type: scalarKind(p), ops: p.filter, ...(p.values ? { values: p.values } : {}) };
    } else if (element.startsWith('Edm.')) {
      collections[name] = { kind: 'primitive', element: { type: scalarKind({ type: element as EdmType }), ops: p.filter } };
    } else {
      const complex = complexTypes.find((c) => `${NAMESPACE}.${c.name}` === element);
      if (!complex) throw new Error(`${resource.name}.${name}: complex type ${element} is not described`);
      const members = Object.entries(complex.properties).filter(([, m]) => m.filter);
      collections[name] = { kind: 'complex', element: Object.fromEntries(members.map(([m, d]) => [m, { type: scalarKind(d), ops: d.filter! }])) };
    }
  }
  // The type's own sort keys first (its complex members' after its own), then its base type's: `id`, the final tie-breaker, comes last.
  const keys = sortKeys(resource);
  const own = keys.filter((k) => k in resource.properties);
  const sortable = [...own, ...paths, ...keys.slice(own.length)];
  const model: CollectionModel = {
    typeName: typeName(resource),
    properties,
    selectable: propertyNames(resource, (p) => p.selectable !== false),
    // As Graph writes them: the type's own properties, then `id`.
    defaultSelect: ownFirst(resource, (p) => p.default === true),
    sortable,
    // Times are kept as milliseconds, so their sort keys are integers.
    integerSorts: sortable.filter((name) =>
      name.includes('/') ? properties[name]?.type === 'datetime' : allProperties(resource).find(([n]) => n === name)?.[1].type === 'Edm.DateTimeOffset',
    ),
    ...extra,
  };
  if (Object.keys(collections).length > 0) model.collections = collections;
  return model;
}

/** Names of the properties for which `pick` holds, the type's own before its base type's. */
function ownFirst(resource: ResourceDescription, pick: (p: PropertyDescription) => boolean): string[] {
  const own = Object.entries(resource.properties).filter(([, p]) => pick(p));
  return [...own.map(([name]) => name), ...(resource.base ? ownFirst(resource.base, pick) : [])];
}

const sortKeys = (resource: ResourceDescription, advanced = true) => ownFirst(resource, (p) => p.sortable === true || (advanced && p.sortable === 'advanced'));

/** Properties `$orderby` takes without an advanced query. */
export function simpleSorts(resource: ResourceDescription): string[] {
  return sortKeys(resource, false);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function propertyXml(name: string, p: { type: EdmType; nullable?: boolean }): string {
  return `<Property Name="${xml(name)}" Type="${xml(p.type)}"${p.nullable === false ? ' Nullable="false"' : ''}/>`;
}

/**
 * The `$metadata` document (OData CSDL XML, EDMX 4.0) of the described resources: one entity type each
 * (derived types name their base and add their own properties only), the complex types they use, and an
 * entity container `GraphService` with the entity sets the resources name.
 */
export function renderCsdl(resources: readonly ResourceDescription[], complexTypes: readonly ComplexTypeDescription[]): string {
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    '  <edmx:DataServices>',
    // Graph's own alias: clients write casts both as `microsoft.graph.group` and as `graph.group`.
    `    <Schema Namespace="${NAMESPACE}" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
  ];
  for (const r of resources) {
    lines.push(`      <EntityType Name="${xml(r.name)}"${r.base ? ` BaseType="${xml(typeName(r.base))}"` : ''} OpenType="true">`);
    // A type reached only as a singleton's root (`identityContainer`) has no id of its own, so no key.
    if (!r.base && 'id' in r.properties) lines.push('        <Key><PropertyRef Name="id"/></Key>');
    for (const [name, p] of Object.entries(r.properties)) lines.push(`        ${propertyXml(name, p)}`);
    for (const [name, n] of Object.entries(r.navigation ?? {})) {
      const type = n.collection ? `Collection(${n.type})` : n.type;
      const contains = n.containsTarget ? ' ContainsTarget="true"' : '';
      lines.push(`        <NavigationProperty Name="${xml(name)}" Type="${xml(type)}"${n.collection ? '' : ' Nullable="true"'}${contains}/>`);
    }
    lines.push('      </EntityType>');
  }
  for (const c of complexTypes) {
    lines.push(`      <ComplexType Name="${xml(c.name)}">`);
    for (const [name, p] of Object.entries(c.properties)) lines.push(`        ${propertyXml(name, p)}`);
    lines.push('      </ComplexType>');
  }
  lines.push('      <EntityContainer Name="GraphService">');
  for (const r of resources) {
    if (r.entitySet) {
      // Where each relationship's objects live, so a client can address them (`members` → directoryObjects).
      const bindings = allNavigation(r).flatMap(([name, n]) => {
        const target = n.containsTarget ? undefined : resources.find((t) => t.entitySet && typeName(t) === n.type)?.entitySet;
        return target ? [`          <NavigationPropertyBinding Path="${xml(name)}" Target="${xml(target)}"/>`] : [];
      });
      const open = `        <EntitySet Name="${xml(r.entitySet)}" EntityType="${xml(typeName(r))}"`;
      if (bindings.length === 0) lines.push(`${open}/>`);
      else lines.push(`${open}>`, ...bindings, '        </EntitySet>');
    }
    if (r.singleton) lines.push(`        <Singleton Name="${xml(r.singleton)}" Type="${xml(typeName(r))}"/>`);
  }
  lines.push('      </EntityContainer>', '    </Schema>', '  </edmx:DataServices>', '</edmx:Edmx>', '');
  return lines.join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A markdown table of the resource's properties, for the API reference. */
export function renderPropertyTable(resource: ResourceDescription): string {
  const rows = allProperties(resource).map(([name, p]) => {
    const filter = p.filter ? p.filter.map((op) => `\`${op}\``).join(' ') + (elementType(p.type) ? ' (in `any`)' : '') : '—';
    const sortable = p.sortable === 'advanced' ? 'advanced query' : p.sortable ? 'yes' : '—';
    const settable = [p.create === 'required' ? 'create (required)' : p.create ? 'create' : '', p.update ? 'update' : ''].filter(Boolean).join(', ') || '—';
    const selected = p.selectable === false ? 'not returned' : p.default ? 'default' : '`$select`';
    return `| \`${name}\` | \`${cell(p.type)}\` | ${selected} | ${filter} | ${sortable} | ${settable} | ${cell(p.doc)} |`;
  });
  const navigation = allNavigation(resource).map(
    ([name, n]) =>
      `\`${name}\` (${n.collection ? `collection of \`${n.type}\`` : `\`${n.type}\``}${n.expandable ? ', expandable' : ''}${n.containsTarget ? ', contained' : ''})`,
  );
  const unsupported = unsupportedProperties(resource);
  return [
    // A container (the `identity` singleton) holds only relationships.
    ...(rows.length > 0
      ? ['| property | type | returned | `$filter` | `$orderby` | settable | what it holds |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows]
      : ['No properties of its own.']),
    ...(navigation.length > 0 ? ['', `Relationships: ${navigation.join(', ')}.`] : []),
    ...(unsupported.length > 0
      ? ['', `Graph properties Foyer does not keep (refused as not supported by Foyer): ${unsupported.map((u) => `\`${u}\``).join(', ')}.`]
      : []),
  ].join('\n');
}
