/**
 * Request bodies as Graph's own clients send them, through fetch: an empty body sent as application/json
 * on an action (the Graph SDKs' `.post()`, Graph Explorer, curl scripts) is no body, while a route that
 * needs one still answers a clear 400; and Kiota SDKs' `@odata.type` on nested objects of derived types
 * is taken where the schema does not declare it, and still checked where it does (access review scopes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { contosoWithApp, createUser } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { graph } from '../support/tokens.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe.each(backends)('Graph request bodies on $name', (backend) => {
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let admin: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    ({ tenant: contoso, token: admin } = await contosoWithApp(foyer, 'Graph SDK script', [
      'User.ReadWrite.All',
      'Agreement.ReadWrite.All',
      'AccessReview.ReadWrite.All',
    ]));
  });
  afterAll(() => foyer?.stop());

  it('takes an empty application/json body on actions as no body (revokeSignInSessions, restore)', async () => {
    expect(contoso.id).toBeTruthy();
    const id = await createUser(foyer, admin, 'empty-body');
    const bare = await graph(foyer, admin, 'POST', `/users/${id}/revokeSignInSessions`);
    expect(bare.status).toBe(200);
    for (const body of ['', '  \r\n']) {
      const sdk = await graph(foyer, admin, 'POST', `/users/${id}/revokeSignInSessions`, body);
      expect(sdk.status, JSON.stringify(sdk.body)).toBe(200);
      expect(sdk.body).toMatchObject({ value: true });
    }
    expect((await graph(foyer, admin, 'DELETE', `/users/${id}`)).status).toBe(204);
    const restored = await graph(foyer, admin, 'POST', `/directory/deletedItems/${id}/restore`, '', { 'content-type': 'application/json; charset=utf-8' });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body).toMatchObject({ id });
  });

  it('answers a route that needs a body with a clear 400 for an empty one, and refuses JSON that does not parse', async () => {
    for (const body of ['', ' ']) {
      const res = await graph(foyer, admin, 'POST', '/users', body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('The request body is empty; a JSON object is expected.');
      expect(res.body.error.innerError.code).toBe('request.invalid_json');
    }
    const bare = await graph(foyer, admin, 'POST', '/users');
    expect(bare.status).toBe(400);
    expect(bare.body.error.message).toBe('The request body is empty; a JSON object is expected.');
    const broken = await graph(foyer, admin, 'POST', '/users', '{"displayName":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toBe('The request body is not valid JSON.');
    const list = await graph(foyer, admin, 'POST', '/users', '[]');
    expect(list.status).toBe(400);
    expect(list.body.error.message).toBe('The request body must be a JSON object.');
  });

  it("takes Kiota's @odata.type on nested objects (an agreement's files), and still refuses other unknown nested properties", async () => {
    const file = {
      '@odata.type': '#microsoft.graph.agreementFileLocalization',
      fileName: 'terms.txt',
      displayName: 'Contoso terms',
      language: 'en-US',
      isDefault: true,
      fileData: { '@odata.type': '#microsoft.graph.agreementFileData', data: b64('Be kind.') },
    };
    const created = await graph(foyer, admin, 'POST', '/identityGovernance/termsOfUse/agreements', {
      '@odata.type': '#microsoft.graph.agreement',
      displayName: 'Kiota terms',
      isViewingBeforeAcceptanceRequired: true,
      files: [file],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.files[0]).toMatchObject({ fileName: 'terms.txt', language: 'en-US', isDefault: true });
    expect(created.body.files[0]).not.toHaveProperty('@odata.type');

    const patched = await graph(foyer, admin, 'PATCH', `/identityGovernance/termsOfUse/agreements/${created.body.id}`, {
      files: [{ ...file, fileData: { '@odata.type': '#microsoft.graph.agreementFileData', data: b64('Be kinder.') } }],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(204);

    const unknown = await graph(foyer, admin, 'POST', '/identityGovernance/termsOfUse/agreements', {
      displayName: 'Sloppy terms',
      files: [{ ...file, fileData: { '@odata.type': '#microsoft.graph.agreementFileData', data: b64('x'), colour: 'red' } }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe("Property 'files.0.fileData.colour' does not exist as a declared property or extension property.");
  });

  it("still checks an @odata.type the schema declares (an access review's scope)", async () => {
    const body = (scopeType: string) => ({
      displayName: 'Guest review',
      scope: { '@odata.type': scopeType, query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ '@odata.type': '#microsoft.graph.accessReviewReviewerScope', query: './sponsors', queryType: 'MicrosoftGraph' }],
      settings: { instanceDurationInDays: 3 },
    });
    const wrong = await graph(
      foyer,
      admin,
      'POST',
      '/identityGovernance/accessReviews/definitions',
      body('#microsoft.graph.principalResourceMembershipsScope'),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('#microsoft.graph.accessReviewQueryScope');
    const right = await graph(foyer, admin, 'POST', '/identityGovernance/accessReviews/definitions', body('#microsoft.graph.accessReviewQueryScope'));
    expect(right.status, JSON.stringify(right.body)).toBe(201);
  });
});
