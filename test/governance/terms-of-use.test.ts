/**
 * Terms of use through Graph (`identityGovernance/termsOfUse/agreements`), as an administrator's script uses
 * them: created (201), read, listed, changed (204) and deleted (204), each change audited under Entra's
 * names; a change of the files makes a new version that everyone must accept again; acceptances listed
 * with who, which version and file, when and until when; bad or unsupported agreements refused with a
 * clear 400 and nothing stored. The re-acceptance period runs on a ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeUser } from '../../src/directory/deleted-users.js';
import { deleteUser, findUser } from '../../src/directory/users.js';
import { agreementsDue, findAgreement, recordAnswer } from '../../src/governance/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import { backends } from '../support/backends.js';
import { contosoWithApp } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

const AGREEMENTS = '/identityGovernance/termsOfUse/agreements';
const MISSING = '01a00000-0000-7000-8000-000000000000';
const DAY = 24 * 60 * 60 * 1000;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'latin1').toString('base64');

const english = { fileName: 'terms.txt', displayName: 'Contoso terms', language: 'en-US', isDefault: true, fileData: { data: b64('Be kind.\n\nNo spam.') } };
const swedish = { fileName: 'villkor.txt', displayName: 'Contosos villkor', language: 'sv-SE', isDefault: false, fileData: { data: b64('Var snäll.') } };

describe.each(backends)('terms of use through Graph on $name', (backend) => {
  // Near the real time: the OpenID provider stamps tokens with it, and the Graph API checks them on this clock.
  const clock = new ManualClock(Date.now());
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let adminApp: { appId: string; clientSecret?: string };
  let admin: string;
  let reader: string;
  let stranger: string;

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    ({ tenant: contoso, token: admin } = await contosoWithApp(foyer, 'Governance script', ['Agreement.ReadWrite.All', 'User.Invite.All', 'AuditLog.Read.All']));
    adminApp = await foyer.createApp(contoso.id, {
      displayName: 'Governance script 2',
      applicationPermissions: ['Agreement.ReadWrite.All', 'AuditLog.Read.All'],
    });
    reader = await appToken(foyer, contoso, await foyer.createApp(contoso.id, { displayName: 'Reader', applicationPermissions: ['Agreement.Read.All'] }));
    stranger = await appToken(foyer, contoso, await foyer.createApp(contoso.id, { displayName: 'Stranger', applicationPermissions: ['User.Read.All'] }));
  });
  afterAll(() => foyer?.stop());

  const auditNames = async (token = admin) =>
    (await graph(foyer, token, 'GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent("category eq 'Policy'")}`)).body.value.map(
      (e: { activityDisplayName: string }) => e.activityDisplayName,
    );

  async function invitedGuest(address: string): Promise<string> {
    const res = await graph(foyer, admin, 'POST', '/invitations', {
      invitedUserEmailAddress: address,
      inviteRedirectUrl: 'https://app.contoso.example/',
      sendInvitationMessage: false,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.invitedUser.id as string;
  }

  it('creates an agreement (201 with the object), reads, lists, patches (204) and deletes it (204), each change audited', async () => {
    const created = await graph(foyer, admin, 'POST', AGREEMENTS, {
      displayName: 'Contoso terms of use',
      isViewingBeforeAcceptanceRequired: true,
      isPerDeviceAcceptanceRequired: false,
      userReacceptRequiredFrequency: 'P90D',
      termsExpiration: { startDateTime: '2027-01-01T00:00:00Z', frequency: 'P365D' },
      files: [english, swedish],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      '@odata.context': expect.stringContaining('/$metadata#identityGovernance/termsOfUse/agreements/$entity'),
      displayName: 'Contoso terms of use',
      isViewingBeforeAcceptanceRequired: true,
      isPerDeviceAcceptanceRequired: false,
      userReacceptRequiredFrequency: 'P90D',
      termsExpiration: { startDateTime: '2027-01-01T00:00:00Z', frequency: 'P365D' },
      version: 1,
    });
    expect(created.body.files).toEqual([
      expect.objectContaining({
        language: 'en-US',
        fileName: 'terms.txt',
        displayName: 'Contoso terms',
        isDefault: true,
        fileData: { data: english.fileData.data },
      }),
      expect.objectContaining({ language: 'sv-SE', isDefault: false, fileData: { data: swedish.fileData.data } }),
    ]);
    const id = created.body.id as string;

    const got = await graph(foyer, reader, 'GET', `${AGREEMENTS}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.files[0].fileData.data).toBe(english.fileData.data);
    const list = await graph(foyer, reader, 'GET', AGREEMENTS);
    expect(list.body.value.map((a: { id: string }) => a.id)).toEqual([id]);
    // A list leaves the files' contents out.
    expect(list.body.value[0].files[0].fileData).toBeUndefined();

    expect((await graph(foyer, admin, 'PATCH', `${AGREEMENTS}/${id}`, { displayName: 'Contoso terms' })).status).toBe(204);
    const renamed = (await graph(foyer, admin, 'GET', `${AGREEMENTS}/${id}`)).body;
    expect(renamed).toMatchObject({ displayName: 'Contoso terms', version: 1, userReacceptRequiredFrequency: 'P90D' });

    expect((await graph(foyer, admin, 'DELETE', `${AGREEMENTS}/${id}`)).status).toBe(204);
    const gone = await graph(foyer, admin, 'GET', `${AGREEMENTS}/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('Request_ResourceNotFound');
    expect(await auditNames()).toEqual(expect.arrayContaining(['Create terms of use', 'Edit terms of use', 'Delete terms of use']));
  });

  it('a change of the files makes a new version; the same files again or other settings do not', async () => {
    const id = (await graph(foyer, admin, 'POST', AGREEMENTS, { displayName: 'Versioned', files: [english] })).body.id as string;
    const version = async () => (await graph(foyer, admin, 'GET', `${AGREEMENTS}/${id}`)).body.version;
    expect(await version()).toBe(1);
    expect((await graph(foyer, admin, 'PATCH', `${AGREEMENTS}/${id}`, { files: [english] })).status).toBe(204);
    expect((await graph(foyer, admin, 'PATCH', `${AGREEMENTS}/${id}`, { userReacceptRequiredFrequency: 'P30D' })).status).toBe(204);
    expect(await version()).toBe(1);
    const changed = { ...english, fileData: { data: b64('Be kind.\n\nNo spam.\n\nNo phishing.') } };
    expect((await graph(foyer, admin, 'PATCH', `${AGREEMENTS}/${id}`, { files: [changed, swedish] })).status).toBe(204);
    const after = (await graph(foyer, admin, 'GET', `${AGREEMENTS}/${id}`)).body;
    expect(after.version).toBe(2);
    expect(after.files.map((f: { language: string }) => f.language)).toEqual(['en-US', 'sv-SE']);
    expect((await graph(foyer, admin, 'DELETE', `${AGREEMENTS}/${id}`)).status).toBe(204);
  });

  it('lists acceptances with who, which version and file, when and until when; re-acceptance is due after the period and after a new version', async () => {
    const created = await graph(foyer, admin, 'POST', AGREEMENTS, {
      displayName: 'Guest terms',
      userReacceptRequiredFrequency: 'P30D',
      files: [english, swedish],
    });
    const id = created.body.id as string;
    const guestId = await invitedGuest('pat@partner.example');
    const guest = (await findUser(foyer.ctx.db.kysely, contoso.id, guestId))!;
    const due = async () => (await agreementsDue(foyer.ctx, contoso.id, guest)).map((a) => a.id);
    expect(await due()).toEqual([id]);
    // Asked at every sign-in and refresh: ids and versions only, never the files (PDFs of megabytes).
    expect(await agreementsDue(foyer.ctx, contoso.id, guest)).toEqual([{ id, version: 1 }]);

    const agreement = (await findAgreement(foyer.ctx.db.kysely, contoso.id, id))!;
    const svFile = agreement.files.find((f) => f.language === 'sv-SE')!.id;
    await recordAnswer(foyer.ctx, { tenantId: contoso.id, agreement, fileId: svFile, user: guest, state: 'declined', ipAddress: '127.0.0.1' });
    expect(await due()).toEqual([id]);
    await recordAnswer(foyer.ctx, { tenantId: contoso.id, agreement, fileId: svFile, user: guest, state: 'accepted', ipAddress: '127.0.0.1' });
    expect(await due()).toEqual([]);

    const acceptances = await graph(foyer, reader, 'GET', `${AGREEMENTS}/${id}/acceptances`);
    expect(acceptances.status, JSON.stringify(acceptances.body)).toBe(200);
    expect(acceptances.body.value).toHaveLength(2);
    expect(acceptances.body.value[1]).toMatchObject({
      agreementId: id,
      agreementFileId: svFile,
      agreementVersion: 1,
      userId: guestId,
      userPrincipalName: guest.userPrincipalName,
      userDisplayName: guest.displayName,
      state: 'accepted',
      recordedDateTime: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      expirationDateTime: new Date(clock.now() + 30 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    expect(acceptances.body.value[0]).toMatchObject({ state: 'declined', expirationDateTime: null });

    // Within the period: not due. After it: due again.
    const start = clock.now();
    clock.advance(29 * DAY);
    expect(await due()).toEqual([]);
    clock.advance(2 * DAY);
    expect(await due()).toEqual([id]);

    // Accepted again, then the terms change: the new version is due at once.
    await recordAnswer(foyer.ctx, { tenantId: contoso.id, agreement, fileId: svFile, user: guest, state: 'accepted', ipAddress: '127.0.0.1' });
    expect(await due()).toEqual([]);
    // Back to the start (the tokens are stamped with the real time); that acceptance counts for 30 days more.
    clock.set(start);
    expect(await due()).toEqual([]);
    const fresh = await appToken(foyer, contoso, adminApp);
    const patched = await graph(foyer, fresh, 'PATCH', `${AGREEMENTS}/${id}`, { files: [{ ...english, fileData: { data: b64('New rules.') } }] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(204);
    expect(await due()).toEqual([id]);
    expect(await auditNames(fresh)).toEqual(expect.arrayContaining(['Accept terms of use', 'Decline terms of use']));

    // Terms apply to guests only: the tenant's administrator (a member) owes nothing.
    const member = (await findUser(foyer.ctx.db.kysely, contoso.id, contoso.admin.id))!;
    expect(await agreementsDue(foyer.ctx, contoso.id, member)).toEqual([]);
    expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${id}`)).status).toBe(204);
  });

  it('a deleted guest keeps its answers (a restore brings them back); a purged guest’s answers go with it', async () => {
    const fresh = await appToken(foyer, contoso, adminApp);
    const id = (await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'Purge terms', files: [english] })).body.id as string;
    const agreement = (await findAgreement(foyer.ctx.db.kysely, contoso.id, id))!;
    const answer = async (address: string) => {
      const guest = (await findUser(foyer.ctx.db.kysely, contoso.id, await invitedGuest(address)))!;
      await recordAnswer(foyer.ctx, {
        tenantId: contoso.id,
        agreement,
        fileId: agreement.files[0]!.id,
        user: guest,
        state: 'accepted',
        ipAddress: '127.0.0.1',
      });
      return guest.id;
    };
    const gone = await answer('gone@partner.example');
    const kept = await answer('kept@partner.example');
    const answered = async () => (await graph(foyer, fresh, 'GET', `${AGREEMENTS}/${id}/acceptances`)).body.value.map((a: { userId: string }) => a.userId);
    expect(await answered()).toEqual([gone, kept]);

    await deleteUser(foyer.ctx, contoso.id, gone);
    expect(await answered()).toEqual([gone, kept]);
    await purgeUser(foyer.ctx, contoso.id, gone);
    expect(await answered()).toEqual([kept]);
    expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${id}`)).status).toBe(204);
  });

  it('takes a PDF as a file; Foyer serves it to the browser at its own address', async () => {
    const fresh = await appToken(foyer, contoso, adminApp);
    const created = await graph(foyer, fresh, 'POST', AGREEMENTS, {
      displayName: 'PDF terms',
      files: [{ fileName: 'terms.pdf', displayName: 'Terms (PDF)', language: 'en-US', isDefault: true, fileData: { data: PDF } }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const file = created.body.files[0];
    const res = await fetch(`${foyer.url}/terms/files/${contoso.id}/${created.body.id}/${file.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await res.arrayBuffer()).toString('base64')).toBe(PDF);
    expect((await fetch(`${foyer.url}/terms/files/${contoso.id}/${created.body.id}/${MISSING}`)).status).toBe(404);
    expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${created.body.id}`)).status).toBe(204);
  });

  it("takes Graph's own sample body: a file without displayName (its fileName stands in)", async () => {
    const fresh = await appToken(foyer, contoso, adminApp);
    const created = await graph(foyer, fresh, 'POST', AGREEMENTS, {
      displayName: 'Contoso ToU for guest users',
      isViewingBeforeAcceptanceRequired: true,
      files: [{ fileName: 'TOU.pdf', language: 'en', isDefault: true, fileData: { data: PDF } }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.files).toEqual([expect.objectContaining({ fileName: 'TOU.pdf', displayName: 'TOU.pdf', language: 'en', isDefault: true })]);
    expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${created.body.id}`)).status).toBe(204);
  });

  it('with several files and none the default, the first is the default (as in Graph)', async () => {
    const fresh = await appToken(foyer, contoso, adminApp);
    const { isDefault: _en, ...en } = english;
    const created = await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'No default', files: [{ ...swedish, isDefault: false }, en] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.files.map((f: { language: string; isDefault: boolean }) => [f.language, f.isDefault])).toEqual([
      ['sv-SE', true],
      ['en-US', false],
    ]);
    expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${created.body.id}`)).status).toBe(204);
  });

  it('takes $expand=files (and file) as Graph clients send it: the files are inline anyway', async () => {
    const fresh = await appToken(foyer, contoso, adminApp);
    const id = (await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'Expanded', files: [english, swedish] })).body.id as string;
    const one = await graph(foyer, fresh, 'GET', `${AGREEMENTS}/${id}?$expand=files`);
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body.files).toHaveLength(2);
    expect(one.body.files[0].fileData.data).toBe(english.fileData.data);
    const list = await graph(foyer, fresh, 'GET', `${AGREEMENTS}?$expand=file`);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.value.find((a: { id: string }) => a.id === id).files).toHaveLength(2);
    expect((await graph(foyer, fresh, 'GET', `${AGREEMENTS}/${id}?$expand=acceptances`)).status).toBe(400);
    expect((await graph(foyer, fresh, 'GET', `${AGREEMENTS}/${id}?$expand=files&$select=displayName`)).status).toBe(400);
    expect((await graph(foyer, fresh, 'GET', `${AGREEMENTS}/${id}/acceptances?$expand=files`)).status).toBe(400);
    expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${id}`)).status).toBe(204);
  });

  describe('refusals: a clear 400, 403 or 404, and nothing stored', () => {
    let fresh: string;
    beforeAll(async () => {
      fresh = await appToken(foyer, contoso, adminApp);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['per-device acceptance', { isPerDeviceAcceptanceRequired: true }, 'isPerDeviceAcceptanceRequired: true is not supported by Foyer'],
      ['a malformed re-acceptance period', { userReacceptRequiredFrequency: '90 days' }, "'90 days' is not an ISO 8601 duration"],
      ['a malformed expiry schedule', { termsExpiration: { startDateTime: 'soon', frequency: 'P1Y' } }, 'termsExpiration.startDateTime is not an ISO 8601'],
      [
        'a re-acceptance period under a day',
        { userReacceptRequiredFrequency: 'PT10M' },
        "userReacceptRequiredFrequency 'PT10M' is shorter than a day; give P1D or longer.",
      ],
      [
        'an expiry schedule under a day',
        { termsExpiration: { startDateTime: '2027-01-01T00:00:00Z', frequency: 'PT23H' } },
        "termsExpiration.frequency 'PT23H' is shorter than a day; give P1D or longer.",
      ],
      ['two files of one language', { files: [english, { ...swedish, language: 'EN-us' }] }, "Two files have the language 'EN-us'"],
      ['two default files', { files: [english, { ...swedish, isDefault: true }] }, 'At most one file may have isDefault: true (2 have)'],
      [
        'a file that is neither text nor a PDF',
        { files: [{ ...english, fileData: { data: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64') } }] },
        'neither a PDF nor UTF-8 text',
      ],
      ['text with control characters', { files: [{ ...english, fileData: { data: b64('a\u0007b') } }] }, 'control characters'],
      ['data that is not base64', { files: [{ ...english, fileData: { data: 'not base64!' } }] }, 'is not base64'],
    ])('%s', async (_name, change, message) => {
      const before = (await graph(foyer, fresh, 'GET', AGREEMENTS)).body.value.length;
      const res = await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'Bad', files: [english], ...change });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('Request_BadRequest');
      expect(res.body.error.message).toContain(message);
      expect((await graph(foyer, fresh, 'GET', AGREEMENTS)).body.value.length).toBe(before);
    });

    it('refuses an unknown property, a missing file list, and a PATCH that would break the rules', async () => {
      const unknown = await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'X', files: [english], colour: 'red' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toBe("Property 'colour' does not exist as a declared property or extension property.");
      const noFiles = await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'X' });
      expect(noFiles.status).toBe(400);
      expect(noFiles.body.error.message).toBe("Property 'files' is required.");

      const id = (await graph(foyer, fresh, 'POST', AGREEMENTS, { displayName: 'Kept', files: [english] })).body.id as string;
      const bad = await graph(foyer, fresh, 'PATCH', `${AGREEMENTS}/${id}`, { displayName: 'Changed', userReacceptRequiredFrequency: 'P0D' });
      expect(bad.status).toBe(400);
      const hourly = await graph(foyer, fresh, 'PATCH', `${AGREEMENTS}/${id}`, { userReacceptRequiredFrequency: 'PT1H' });
      expect(hourly.status).toBe(400);
      expect(hourly.body.error.message).toBe("userReacceptRequiredFrequency 'PT1H' is shorter than a day; give P1D or longer.");
      expect((await graph(foyer, fresh, 'GET', `${AGREEMENTS}/${id}`)).body).toMatchObject({ displayName: 'Kept', userReacceptRequiredFrequency: null });
      expect((await graph(foyer, fresh, 'DELETE', `${AGREEMENTS}/${id}`)).status).toBe(204);
    });

    it('needs Agreement.ReadWrite.All to change and Agreement.Read.All to read; unknown ids are 404', async () => {
      const readOnly = await graph(foyer, reader, 'POST', AGREEMENTS, { displayName: 'X', files: [english] });
      expect(readOnly.status).toBe(403);
      expect(readOnly.body.error.code).toBe('Authorization_RequestDenied');
      expect((await graph(foyer, stranger, 'GET', AGREEMENTS)).status).toBe(403);
      expect((await graph(foyer, stranger, 'GET', `${AGREEMENTS}/${MISSING}/acceptances`)).status).toBe(403);
      for (const [method, path] of [
        ['GET', `${AGREEMENTS}/${MISSING}`],
        ['GET', `${AGREEMENTS}/not-a-guid`],
        ['PATCH', `${AGREEMENTS}/${MISSING}`],
        ['DELETE', `${AGREEMENTS}/${MISSING}`],
        ['GET', `${AGREEMENTS}/${MISSING}/acceptances`],
      ] as const) {
        const res = await graph(foyer, fresh, method, path, method === 'PATCH' ? { displayName: 'X' } : undefined);
        expect(res.status, `${method} ${path}`).toBe(404);
      }
      expect((await graph(foyer, fresh, 'GET', `${AGREEMENTS}?$top=1`)).status).toBe(400);
    });
  });
});
