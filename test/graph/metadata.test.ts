/**
 * `GET /graph/v1.0/$metadata`: a CSDL document, served without a token, that declares every property the
 * resource descriptions name with its type; and what the API really returns (every selectable property of
 * users, groups, the organization, directory roles, memberOf) is declared in it, so the served shape and
 * the metadata cannot drift apart. Also: Graph properties Foyer does not keep, or keeps without serving,
 * are refused as "not supported by Foyer" in `$select` and `$filter`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphResources, groupResource, userResource } from '../../src/directory/resources/index.js';
import { features } from '../../src/features.js';
import { describedGraph } from '../../src/graph/index.js';
import { allNavigation, allProperties, NAMESPACE, type ResourceDescription, typeName } from '../../src/platform/odata/resource.js';
import { backends } from '../support/backends.js';
import { contosoWithApp } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { graph } from '../support/tokens.js';
import { descendants, parseXml, type XmlElement } from '../support/xml.js';

/** The declared properties (or navigation properties) of an entity type, its base types' included: name → type. */
function declaredProperties(schema: XmlElement, qualifiedName: string, kind: 'Property' | 'NavigationProperty' = 'Property'): Map<string, string> {
  const type = descendants(schema, 'EntityType').find((t) => `${NAMESPACE}.${t.attributes.Name}` === qualifiedName);
  expect(type, `entity type ${qualifiedName}`).toBeDefined();
  const inherited = type!.attributes.BaseType ? declaredProperties(schema, type!.attributes.BaseType, kind) : new Map<string, string>();
  for (const p of type!.children.filter((c) => c.name === kind)) inherited.set(p.attributes.Name!, p.attributes.Type!);
  return inherited;
}

/** Whether a JSON value is of the EDM type (null allowed: Foyer writes null for a property it has no value of). */
function isOfType(value: unknown, edmType: string): boolean {
  if (value === null) return true;
  const element = /^Collection\((.+)\)$/.exec(edmType)?.[1];
  if (element) return Array.isArray(value) && value.every((v) => v !== null && isOfType(v, element));
  if (edmType === 'Edm.String') return typeof value === 'string';
  if (edmType === 'Edm.Boolean') return typeof value === 'boolean';
  if (edmType === 'Edm.DateTimeOffset') return typeof value === 'string' && !Number.isNaN(Date.parse(value));
  return typeof value === 'object' && !Array.isArray(value);
}

describe.each(backends)('the metadata document on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let document: XmlElement;
  let base: string;
  const contexts: string[] = [];

  const get = async (path: string) => {
    const res = await graph(foyer, token, 'GET', path);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    contexts.push(res.body['@odata.context']);
    return res.body;
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    base = `${foyer.url}/graph/v1.0`;
    ({ tenant, token } = await contosoWithApp(foyer, 'metadata', [
      'User.ReadWrite.All',
      'Group.ReadWrite.All',
      'Organization.ReadWrite.All',
      'RoleManagement.ReadWrite.Directory',
      // Users' signInActivity is returned to readers of the sign-in log only.
      'AuditLog.Read.All',
    ]));
  });
  afterAll(() => foyer?.stop());

  it('serves a CSDL document as application/xml, without a token', async () => {
    const res = await fetch(`${foyer.url}/graph/v1.0/$metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    document = parseXml(await res.text());
    const edmx = document.children[0]!;
    expect(edmx).toMatchObject({ name: 'edmx:Edmx', attributes: { Version: '4.0' } });
    const schema = descendants(edmx, 'Schema')[0]!;
    expect(schema.attributes.Namespace).toBe('microsoft.graph');
    const container = descendants(schema, 'EntityContainer')[0]!;
    expect(container.attributes.Name).toBe('GraphService');
    const sets = Object.fromEntries(container.children.map((s) => [s.attributes.Name, s.attributes.EntityType]));
    expect(sets).toMatchObject({
      users: 'microsoft.graph.user',
      groups: 'microsoft.graph.group',
      organization: 'microsoft.graph.organization',
      directoryRoles: 'microsoft.graph.directoryRole',
      directoryObjects: 'microsoft.graph.directoryObject',
    });
  });

  it('declares every described property with its type, every relationship, and every complex type used', () => {
    const schema = descendants(document, 'Schema')[0]!;
    // The directory's resources and those the features declare next to their routes.
    const described = describedGraph(features().graphResources);
    for (const resource of described.resources as ResourceDescription[]) {
      const declared = declaredProperties(schema, typeName(resource));
      expect(Object.fromEntries(declared), resource.name).toEqual(Object.fromEntries(allProperties(resource).map(([name, p]) => [name, p.type])));
      const type = descendants(schema, 'EntityType').find((t) => t.attributes.Name === resource.name)!;
      for (const [name, p] of Object.entries(resource.properties)) {
        const property = type.children.find((c) => c.name === 'Property' && c.attributes.Name === name)!;
        expect(property.attributes.Nullable === 'false', `${resource.name}.${name} nullable`).toBe(p.nullable === false);
      }
      const navigation = Object.fromEntries(declaredProperties(schema, typeName(resource), 'NavigationProperty'));
      for (const [name, n] of allNavigation(resource))
        expect(navigation[name], `${resource.name}/${name}`).toBe(n.collection ? `Collection(${n.type})` : n.type);
    }
    // The relationships another part of Foyer serves or will serve are declared.
    expect(allNavigation(userResource).map(([n]) => n)).toEqual(expect.arrayContaining(['memberOf', 'transitiveMemberOf', 'manager', 'directReports']));
    expect(allNavigation(groupResource).map(([n]) => n)).toEqual(
      expect.arrayContaining(['members', 'transitiveMembers', 'owners', 'memberOf', 'transitiveMemberOf']),
    );
    const declaredComplex = descendants(schema, 'ComplexType').map((c) => `${NAMESPACE}.${c.attributes.Name}`);
    const used = descendants(schema, 'Property')
      .map((p) => p.attributes.Type!.replace(/^Collection\((.+)\)$/, '$1'))
      .filter((t) => t.startsWith(`${NAMESPACE}.`));
    expect(declaredComplex).toEqual(expect.arrayContaining([...new Set(used)]));
    expect(declaredComplex).toHaveLength(described.complexTypes.length);
  });

  it('declares, with the type it has, every property the API returns', async () => {
    const schema = descendants(document, 'Schema')[0]!;
    const created = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.example',
      otherMails: ['adele@fabrikam.example'],
      businessPhones: ['+1 425 555 0109'],
      passwordProfile: { password: 'Long-Enough-Passphrase-1' },
    });
    expect(created.status).toBe(201);
    const group = await graph(foyer, token, 'POST', '/groups', {
      displayName: 'Sales',
      mailNickname: 'sales',
      'members@odata.bind': [`${base}/directoryObjects/${created.body.id}`],
    });
    expect(group.status).toBe(201);
    const guestInviter = '95e79109-95c0-4d8e-aee3-d01accf2d47b';
    const assigned = await graph(foyer, token, 'POST', `/directoryRoles/${guestInviter}/members/$ref`, {
      '@odata.id': `${base}/directoryObjects/${created.body.id}`,
    });
    expect(assigned.status).toBe(204);

    const selectable = (r: ResourceDescription) => allProperties(r).filter(([, p]) => p.selectable !== false);
    const check = (objects: Array<Record<string, unknown>>, fallbackType: string, expected?: string[]) => {
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) {
        const type = typeof object['@odata.type'] === 'string' ? (object['@odata.type'] as string).slice(1) : fallbackType;
        const declared = declaredProperties(schema, type);
        for (const [key, value] of Object.entries(object)) {
          if (key.startsWith('@odata.')) continue;
          expect(declared.has(key), `${type}.${key} is declared`).toBe(true);
          expect(isOfType(value, declared.get(key)!), `${type}.${key} = ${JSON.stringify(value)} is a ${declared.get(key)}`).toBe(true);
        }
        if (expected) expect(Object.keys(object).sort()).toEqual([...expected].sort());
      }
    };
    const allOf = (r: ResourceDescription) => selectable(r).map(([n]) => n);

    const users = await get(`/users?$select=${allOf(userResource).join(',')}`);
    check(users.value, 'microsoft.graph.user', allOf(userResource));
    check([await get(`/users/${created.body.id}`)], 'microsoft.graph.user');
    const groups = await get(`/groups?$select=${allOf(groupResource).join(',')}`);
    check(groups.value, 'microsoft.graph.group', allOf(groupResource));
    check([await get(`/groups/${group.body.id}`)], 'microsoft.graph.group');
    const organization = graphResources.find((r) => r.name === 'organization')!;
    check((await get(`/organization?$select=${allOf(organization).join(',')}`)).value, 'microsoft.graph.organization', allOf(organization));
    check((await get('/directoryRoles')).value, 'microsoft.graph.directoryRole');
    const memberOf = (await get(`/users/${created.body.id}/memberOf`)).value;
    expect(memberOf.map((o: Record<string, unknown>) => o['@odata.type']).sort()).toEqual(['#microsoft.graph.directoryRole', '#microsoft.graph.group']);
    check(memberOf, 'microsoft.graph.directoryObject');
  });

  it('writes every @odata.context into the $metadata document, at an entity set it declares', () => {
    const sets = descendants(document, 'EntitySet').map((s) => s.attributes.Name);
    expect(contexts.length).toBeGreaterThan(5);
    for (const context of contexts) {
      expect(context.startsWith(`${base}/$metadata#`), context).toBe(true);
      const set = /#([A-Za-z]+)/.exec(context)![1]!;
      expect(sets, context).toContain(set);
    }
  });

  it('refuses Graph properties Foyer does not keep or serve as not supported by Foyer, never as unknown', async () => {
    const user = (await graph(foyer, token, 'GET', '/users?$top=1')).body.value[0].id;
    const group = (await graph(foyer, token, 'GET', '/groups?$top=1')).body.value[0].id;
    for (const path of [
      '/groups?$select=displayName,visibility',
      `/groups/${group}?$select=uniqueName`,
      `/groups?$filter=${encodeURIComponent("visibility eq 'Private'")}`,
      `/groups?$filter=${encodeURIComponent("description eq 'x'")}`,
      `/users/${user}?$select=passwordProfile`,
      `/users?$select=faxNumber`,
    ]) {
      const res = await graph(foyer, token, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe('Request_UnsupportedQuery');
      expect(res.body.error.message, path).toContain('not supported by Foyer');
      expect(res.body.error.message, path).not.toMatch(/does not exist|Could not find/);
    }
    // A name Graph does not have either is still unknown.
    const unknown = await graph(foyer, token, 'GET', '/groups?$select=shoeSize');
    expect(unknown.body.error.message).toContain("Could not find a property named 'shoeSize'");
  });

  it('refuses in a body what the description does not let a client set, saying why', async () => {
    const user = (await graph(foyer, token, 'GET', '/users?$top=1')).body.value[0].id;
    const identities = await graph(foyer, token, 'PATCH', `/users/${user}`, { identities: [] });
    expect(identities.status).toBe(400);
    expect(identities.body.error.message).toBe("Property 'identities' is read-only and cannot be set.");
    const userType = await graph(foyer, token, 'POST', '/users', {
      accountEnabled: true,
      displayName: 'Guest-ish',
      userPrincipalName: 'guestish@contoso.example',
      userType: 'Guest',
      passwordProfile: { password: 'Long-Enough-Passphrase-1' },
    });
    expect(userType.status).toBe(400);
    expect(userType.body.error.message).toContain('not supported by Foyer');
    const organization = await graph(foyer, token, 'PATCH', `/organization/${tenant.id}`, { tenantType: 'CIAM' });
    expect(organization.status).toBe(400);
    expect(organization.body.error.message).toBe("Property 'tenantType' is read-only and cannot be set.");
  });
});
