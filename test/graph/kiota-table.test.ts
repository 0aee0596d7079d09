/**
 * The Graph features Foyer implements, each driven through the Kiota-based Microsoft Graph SDK's own
 * builders (`@microsoft/msgraph-sdk` with the users package), as a script written for Graph would: `$count`
 * with and without `ConsistencyLevel`, the advanced-query refusals, the common user properties, a user's
 * groups with `$top` and `$count`, the request ids, 405 for a method a resource does not take, the SDK's
 * PageIterator, its `ODataError`, and a group PATCH sent as a `RequestInformation` through the client's
 * request adapter (the groups package is not on this registry). JSON batching has its own file
 * (batch.test.ts).
 */
import { HttpMethod, RequestInformation } from '@microsoft/kiota-abstractions';
import { HeadersInspectionOptions } from '@microsoft/kiota-http-fetchlibrary';
import type { GraphServiceClient } from '@microsoft/msgraph-sdk';
import {
  createUserCollectionResponseFromDiscriminatorValue,
  type Group,
  serializeGroup,
  serializeUser,
  type User,
} from '@microsoft/msgraph-sdk/models/index.js';
import { createODataErrorFromDiscriminatorValue, type ODataError } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';
import { type PageCollection, PageIterator } from '@microsoft/msgraph-sdk-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { kiotaGraphClient, kiotaRequestAdapter } from '../support/kiota-client.js';
import { appToken, graph } from '../support/tokens.js';

const eventual = { ConsistencyLevel: 'eventual' };
const errorMappings = { XXX: createODataErrorFromDiscriminatorValue };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
/** Users the paging test creates, past the SDK's and Foyer's default page size (100). */
const MANY = 150;

const failure = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('the request succeeded')).catch((e: unknown) => e as ODataError);

describe.each(backends)('the Kiota Graph SDK against Foyer on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let token: string;
  let client: GraphServiceClient;
  const groupIds: string[] = [];

  const member = (local: string, extra: Partial<User> = {}): User => ({
    accountEnabled: true,
    displayName: local,
    mailNickname: local.replace(/\W/g, ''),
    userPrincipalName: `${local}@contoso.example`,
    passwordProfile: { password: 'Long-Enough-Passphrase-1' },
    ...extra,
  });

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    tenant = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'kiota', applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All'] });
    token = await appToken(foyer, tenant, app);
    client = kiotaGraphClient(foyer.url, token);
    // The page test's users, twenty to a batch; and three groups the admin belongs to.
    for (let start = 0; start < MANY; start += 20) {
      const requests = Array.from({ length: Math.min(20, MANY - start) }, (_, i) => ({
        id: String(start + i),
        method: 'POST',
        url: '/users',
        headers: { 'Content-Type': 'application/json' },
        body: member(`page.${String(start + i).padStart(3, '0')}`),
      }));
      const res = await graph(foyer, token, 'POST', '/$batch', { requests });
      expect(res.body.responses.map((r: { status: number }) => r.status)).toEqual(requests.map(() => 201));
    }
    for (const name of ['Alpha', 'Beta', 'Gamma']) {
      const created = await graph(foyer, token, 'POST', '/groups', { displayName: name, mailNickname: name.toLowerCase() });
      groupIds.push(created.body.id);
      const added = await graph(foyer, token, 'POST', `/groups/${created.body.id}/members/$ref`, {
        '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${tenant.admin.id}`,
      });
      expect(added.status).toBe(204);
    }
  }, 120_000);
  afterAll(() => foyer?.stop());

  it('users.count.get: a number with ConsistencyLevel, 400 "$count is not currently supported." without', async () => {
    expect(await client.users.count.get({ headers: eventual })).toBe(MANY + 1);
    const err = await failure(client.users.count.get());
    expect(err.responseStatusCode).toBe(400);
    expect(err.errorEscaped?.message).toBe('$count is not currently supported.');
  });

  it('refuses endsWith without the advanced-query parameters, and answers it with them', async () => {
    const filter = "endswith(userPrincipalName,'.149@contoso.example')";
    const err = await failure(client.users.get({ queryParameters: { filter } }));
    expect(err.responseStatusCode).toBe(400);
    expect(err.errorEscaped?.code).toBe('Request_UnsupportedQuery');
    expect(err.errorEscaped?.message).toMatch(/^Operator 'endsWith' is not supported because the required parameters might be missing/);
    const page = await client.users.get({ queryParameters: { filter, count: true }, headers: eventual });
    expect(page?.odataCount).toBe(1);
    expect(page?.value?.map((u) => u.userPrincipalName)).toEqual(['page.149@contoso.example']);
  });

  it('creates, changes and selects the common user properties', async () => {
    const created = await client.users.post(
      member('kiota.adele', {
        givenName: 'Adele',
        surname: 'Vance',
        jobTitle: 'Retail Manager',
        department: 'Retail',
        officeLocation: '18/2111',
        mobilePhone: '+1 425 555 0109',
        businessPhones: ['+1 425 555 0100'],
        companyName: 'Contoso',
        employeeId: 'E-1001',
        usageLocation: 'US',
        city: 'Bellevue',
        country: 'United States',
        preferredLanguage: 'en-US',
      }),
    );
    expect(created?.id).toMatch(GUID);
    // The answer holds Graph's default property set; the others are read back with $select below.
    expect(created).toMatchObject({ givenName: 'Adele', officeLocation: '18/2111', businessPhones: ['+1 425 555 0100'] });
    await client.users.byUserId(created!.id!).patch({ jobTitle: 'Store Director', department: 'Sales', city: 'Redmond' });
    const read = await client.users.byUserId('kiota.adele@contoso.example').get({
      queryParameters: { select: ['id', 'jobTitle', 'department', 'city', 'companyName', 'employeeId', 'usageLocation', 'mailNickname'] },
    });
    expect(read).toMatchObject({
      id: created!.id,
      jobTitle: 'Store Director',
      department: 'Sales',
      city: 'Redmond',
      companyName: 'Contoso',
      employeeId: 'E-1001',
      usageLocation: 'US',
      mailNickname: 'kiotaadele',
    });
    // $select returns only what was asked for.
    expect(read?.displayName).toBeUndefined();
  });

  it("reads a user's groups with memberOf.graphGroup, $top and $count", async () => {
    const groups = client.users.byUserId(tenant.admin.id).memberOf.graphGroup;
    const page = await groups.get({ queryParameters: { top: 2, count: true }, headers: eventual });
    expect(page?.value).toHaveLength(2);
    expect(page?.odataCount).toBe(3);
    expect(page?.odataNextLink).toBeTruthy();
    expect(await groups.count.get({ headers: eventual })).toBe(3);
    const all = await groups.get();
    expect(all?.value?.map((g) => g.displayName).sort()).toEqual(['Alpha', 'Beta', 'Gamma']);
  });

  it('reads request-id and client-request-id through a HeadersInspectionOptions', async () => {
    const inspect = new HeadersInspectionOptions({ inspectResponseHeaders: true });
    await client.users.byUserId(tenant.admin.id).get({ options: [inspect], headers: { 'client-request-id': 'kiota-run-1' } });
    const headers = inspect.getResponseHeaders();
    expect([...(headers.get('request-id') ?? [])][0]).toMatch(GUID);
    expect([...(headers.get('client-request-id') ?? [])]).toEqual(['kiota-run-1']);
  });

  it('parses an error into an ODataError with its code, message and request id', async () => {
    const inspect = new HeadersInspectionOptions({ inspectResponseHeaders: true });
    const err = await failure(client.users.byUserId(NO_SUCH_ID).get({ options: [inspect] }));
    expect(err.responseStatusCode).toBe(404);
    expect(err.errorEscaped?.code).toBe('Request_ResourceNotFound');
    expect(err.errorEscaped?.message).toContain(NO_SUCH_ID);
    expect(err.errorEscaped?.innerError?.requestId).toMatch(GUID);
    expect([...(inspect.getResponseHeaders().get('request-id') ?? [])]).toEqual([err.errorEscaped?.innerError?.requestId]);
  });

  it('answers 405 for a method the resource does not take', async () => {
    const adapter = kiotaRequestAdapter(foyer.url, token);
    const put = new RequestInformation(HttpMethod.PUT, '{+baseurl}/users/{id}');
    put.pathParameters = { id: tenant.admin.id };
    put.setContentFromParsable(adapter, 'application/json', { displayName: 'Changed' } as User, serializeUser);
    const err = await failure(adapter.sendNoResponseContent(put, errorMappings));
    expect(err.responseStatusCode).toBe(405);
    expect(err.errorEscaped?.code).toBe('Request_BadRequest');
    expect(err.errorEscaped?.message).toContain("'PUT'");
  });

  it("walks every user with the SDK's PageIterator, following @odata.nextLink", async () => {
    const adapter = kiotaRequestAdapter(foyer.url, token);
    const first = await client.users.get({ queryParameters: { top: 40, select: ['id', 'userPrincipalName'] } });
    const seen: string[] = [];
    const iterator = new PageIterator<User>(
      adapter,
      // The generated collection types mark `value` optional; the iterator's type wants it present.
      first as PageCollection<User>,
      (user) => {
        seen.push(user.userPrincipalName!);
        return true;
      },
      createUserCollectionResponseFromDiscriminatorValue,
      errorMappings,
    );
    await iterator.iterate();
    expect(iterator.getPagingState()).toBe('Complete');
    expect(seen.filter((upn) => upn.startsWith('page.'))).toHaveLength(MANY);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength((await client.users.count.get({ headers: eventual }))!);
  });

  it('updates a group with PATCH sent as a RequestInformation through the request adapter', async () => {
    const adapter = kiotaRequestAdapter(foyer.url, token);
    const patch = new RequestInformation(HttpMethod.PATCH, '{+baseurl}/groups/{id}');
    patch.pathParameters = { id: groupIds[0]! };
    patch.setContentFromParsable(adapter, 'application/json', { description: 'Changed through Kiota', displayName: 'Alpha Prime' } as Group, serializeGroup);
    await adapter.sendNoResponseContent(patch, errorMappings);
    const read = await graph(foyer, token, 'GET', `/groups/${groupIds[0]}`);
    expect(read.body).toMatchObject({ displayName: 'Alpha Prime', description: 'Changed through Kiota' });

    const unknown = new RequestInformation(HttpMethod.PATCH, '{+baseurl}/groups/{id}');
    unknown.pathParameters = { id: NO_SUCH_ID };
    unknown.setContentFromParsable(adapter, 'application/json', { description: 'x' } as Group, serializeGroup);
    const err = await failure(adapter.sendNoResponseContent(unknown, errorMappings));
    expect(err.responseStatusCode).toBe(404);
    expect(err.errorEscaped?.code).toBe('Request_ResourceNotFound');
  });
});
