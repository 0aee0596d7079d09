/**
 * The common Graph user properties (mailNickname, phones, office, department, employee and postal
 * address, usageLocation): stored, returned on `$select` (the default set stays Graph's), filterable,
 * settable by POST and PATCH within Graph's limits; createdDateTime read-only; Graph properties Foyer
 * does not keep refused as "not supported by Foyer". Over HTTP and through the classic Graph client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { contosoWithApp, createUser, TEST_PASSWORD } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { classicGraphClient } from '../support/graph-client.js';
import { graph } from '../support/tokens.js';

const common = [
  'mailNickname',
  'officeLocation',
  'mobilePhone',
  'businessPhones',
  'department',
  'companyName',
  'employeeId',
  'employeeType',
  'usageLocation',
  'city',
  'country',
  'state',
  'streetAddress',
  'postalCode',
  'preferredLanguage',
  'createdDateTime',
];

const graphDefault = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

describe.each(backends)('common user properties on $name', (backend) => {
  let foyer: TestFoyer;
  let token: string;
  let adeleId: string;

  const adele = {
    accountEnabled: true,
    displayName: 'Adele Vance',
    mailNickname: 'AdeleV',
    userPrincipalName: 'adele@contoso.example',
    passwordProfile: { password: TEST_PASSWORD },
    officeLocation: '18/2111',
    mobilePhone: '+1 425 555 0109',
    businessPhones: ['+1 425 555 0100'],
    department: 'Retail',
    companyName: 'Contoso',
    employeeId: 'E-1001',
    employeeType: 'Employee',
    usageLocation: 'us',
    city: 'Redmond',
    country: 'United States',
    state: 'WA',
    streetAddress: '1 Microsoft Way',
    postalCode: '98052',
    preferredLanguage: 'en-US',
  };

  const get = (path: string) => graph(foyer, token, 'GET', path);
  // As an advanced query (ConsistencyLevel and $count), which Graph requires for some of these properties.
  const filtered = async (filter: string) => {
    const res = await graph(foyer, token, 'GET', `/users?$count=true&$select=userPrincipalName&$filter=${encodeURIComponent(filter)}`, undefined, {
      ConsistencyLevel: 'eventual',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.value as Array<{ userPrincipalName: string }>).map((u) => u.userPrincipalName).sort();
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ token } = await contosoWithApp(foyer, 'writer', ['User.ReadWrite.All']));
    const created = await graph(foyer, token, 'POST', '/users', adele);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    adeleId = created.body.id;
    for (const [local, department, city] of [
      ['alex', 'Sales', 'Seattle'],
      ['megan', 'Sales & Marketing', 'Redmond'],
      ['plain', null, null],
    ] as const) {
      await createUser(foyer, token, local, department ? { department, city, employeeId: `E-${local}` } : {});
    }
  });
  afterAll(() => foyer?.stop());

  describe('$select and the default set', () => {
    it('returns every property stored at creation, mailNickname included', async () => {
      const res = await get(`/users/${adeleId}?$select=${common.join(',')}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const { passwordProfile: _p, accountEnabled: _a, displayName: _d, userPrincipalName: _u, ...expected } = adele;
      expect(res.body).toMatchObject({ ...expected, id: adeleId, usageLocation: 'US' });
      expect(res.body.createdDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it("keeps Graph's default property set, now with real phones and office", async () => {
      const res = await get(`/users/${adeleId}`);
      expect(
        Object.keys(res.body)
          .filter((k) => !k.startsWith('@odata'))
          .sort(),
      ).toEqual([...graphDefault].sort());
      expect(res.body).toMatchObject({ businessPhones: ['+1 425 555 0100'], mobilePhone: '+1 425 555 0109', officeLocation: '18/2111' });
      const list = await get(`/users?$filter=${encodeURIComponent("userPrincipalName eq 'plain@contoso.example'")}`);
      expect(list.body.value[0]).toMatchObject({ businessPhones: [], mobilePhone: null, officeLocation: null });
    });

    it('gives a user created without a mailNickname the local part of the UPN, and lists select the new columns', async () => {
      const res = await graph(foyer, token, 'POST', '/users', {
        accountEnabled: true,
        displayName: 'No Alias',
        userPrincipalName: 'no.alias@contoso.example',
        passwordProfile: { password: TEST_PASSWORD },
      });
      expect(res.status).toBe(201);
      const list = await get(`/users?$select=mailNickname,department,city&$filter=${encodeURIComponent("startswith(userPrincipalName,'no.alias')")}`);
      expect(list.body.value).toEqual([{ id: res.body.id, mailNickname: 'no.alias', department: null, city: null }]);
      expect((await graph(foyer, token, 'DELETE', `/users/${res.body.id}`)).status).toBe(204);
    });
  });

  describe('$filter', () => {
    it('filters on department with eq, startswith and in', async () => {
      expect(await filtered("department eq 'Sales'")).toEqual(['alex@contoso.example']);
      expect(await filtered("startswith(department,'Sales')")).toEqual(['alex@contoso.example', 'megan@contoso.example']);
      expect(await filtered("department in ('Retail','Sales')")).toEqual(['adele@contoso.example', 'alex@contoso.example']);
      expect(await filtered('department eq null')).toContain('plain@contoso.example');
    });

    it('filters on employeeId, city, country, companyName, mailNickname, usageLocation and businessPhones', async () => {
      expect(await filtered("employeeId eq 'E-1001'")).toEqual(['adele@contoso.example']);
      expect(await filtered("city eq 'Redmond'")).toEqual(['adele@contoso.example', 'megan@contoso.example']);
      expect(await filtered("country eq 'United States'")).toEqual(['adele@contoso.example']);
      expect(await filtered("companyName eq 'Contoso'")).toEqual(['adele@contoso.example']);
      // Aliases compare in any letter case, as Graph compares them.
      expect(await filtered("mailNickname eq 'adelev'")).toEqual(['adele@contoso.example']);
      expect(await filtered("usageLocation eq 'US'")).toEqual(['adele@contoso.example']);
      expect(await filtered("businessPhones/any(p:p eq '+1 425 555 0100')")).toEqual(['adele@contoso.example']);
    });

    it('filters on createdDateTime with ge and le', async () => {
      const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      expect(await filtered(`createdDateTime ge ${future}`)).toEqual([]);
      expect(await filtered(`createdDateTime le ${future} and department eq 'Retail'`)).toEqual(['adele@contoso.example']);
    });
  });

  describe('PATCH', () => {
    it('changes and clears the properties', async () => {
      const res = await graph(foyer, token, 'PATCH', `/users/${adeleId}`, {
        department: 'Finance',
        officeLocation: null,
        businessPhones: [],
        mailNickname: 'adele.vance',
        postalCode: '98053',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
      const after = await get(`/users/${adeleId}?$select=department,officeLocation,businessPhones,mailNickname,postalCode,city`);
      expect(after.body).toMatchObject({
        department: 'Finance',
        officeLocation: null,
        businessPhones: [],
        mailNickname: 'adele.vance',
        postalCode: '98053',
        city: 'Redmond',
      });
      expect(await filtered("department eq 'Finance'")).toEqual(['adele@contoso.example']);
    });

    it("refuses values beyond Graph's limits", async () => {
      for (const body of [
        { department: 'x'.repeat(65) },
        { employeeId: 'x'.repeat(17) },
        { postalCode: 'x'.repeat(41) },
        { usageLocation: 'USA' },
        { businessPhones: ['+1 1', '+1 2'] },
        { mailNickname: 'has space' },
      ]) {
        const res = await graph(foyer, token, 'PATCH', `/users/${adeleId}`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.message).toContain(`'${Object.keys(body)[0]}'`);
      }
    });

    it('refuses to set createdDateTime: it is read-only', async () => {
      for (const method of ['PATCH', 'POST'] as const) {
        const res =
          method === 'PATCH'
            ? await graph(foyer, token, 'PATCH', `/users/${adeleId}`, { createdDateTime: '2020-01-01T00:00:00Z' })
            : await graph(foyer, token, 'POST', '/users', { ...adele, userPrincipalName: 'other@contoso.example', createdDateTime: '2020-01-01T00:00:00Z' });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'Request_BadRequest', message: "Property 'createdDateTime' is read-only and cannot be set." });
      }
    });
  });

  describe('Graph properties Foyer does not keep', () => {
    it('are refused as not supported by Foyer in a body, $select and $filter, never as unknown', async () => {
      const body = await graph(foyer, token, 'PATCH', `/users/${adeleId}`, { faxNumber: '+1 425 555 0199' });
      const select = await get(`/users/${adeleId}?$select=displayName,employeeHireDate`);
      const filter = await get(`/users?$filter=${encodeURIComponent("onPremisesSamAccountName eq 'adele'")}`);
      for (const res of [body, select, filter]) {
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain('not supported by Foyer');
        expect(res.body.error.message).not.toMatch(/does not exist|Could not find/);
      }
      // A name Graph does not have either is still unknown.
      const unknown = await get(`/users/${adeleId}?$select=nickname`);
      expect(unknown.body.error.message).toContain("Could not find a property named 'nickname'");
    });
  });

  describe('through the classic Graph client', () => {
    const client = () => classicGraphClient(foyer.url, token);

    it('creates, updates, selects and filters the properties with its own builder', async () => {
      const created = await client()
        .api('/users')
        .post({
          accountEnabled: true,
          displayName: 'Sdk User',
          mailNickname: 'sdkuser',
          userPrincipalName: 'sdk@contoso.example',
          passwordProfile: { password: TEST_PASSWORD },
          department: 'Research',
          employeeId: 'E-SDK',
        });
      await client().api(`/users/${created.id}`).update({ city: 'Oslo', country: 'Norway', usageLocation: 'NO' });
      const got = await client().api(`/users/${created.id}`).select(['mailNickname', 'department', 'employeeId', 'city', 'country', 'usageLocation']).get();
      expect(got).toMatchObject({ mailNickname: 'sdkuser', department: 'Research', employeeId: 'E-SDK', city: 'Oslo', country: 'Norway', usageLocation: 'NO' });
      const list = await client().api('/users').filter("employeeId eq 'E-SDK'").select('userPrincipalName,department').get();
      expect(list.value).toEqual([{ id: created.id, userPrincipalName: 'sdk@contoso.example', department: 'Research' }]);
      await expect(client().api('/users').select('faxNumber').get()).rejects.toMatchObject({
        statusCode: 400,
        message: expect.stringContaining('not supported by Foyer'),
      });
    });
  });
});
