/**
 * Access reviews of guests through Graph, as an administrator's script uses them: definitions created,
 * read, listed and deleted (audited); unsupported scopes, reviewers and settings refused with a clear 400
 * and nothing stored; instances started with one decision item per guest in scope (the tenant's, a
 * group's, an app's); decisions recorded with PATCH; and at the end (a clock the test moves, then the
 * housekeeping run) the denied and, with a default decision of Deny, the unreviewed guests disabled, then
 * deleted after the definition's days, while approved guests keep access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewSettings } from '../../src/governance/access-review-body.js';
import { composeReviewEmail } from '../../src/governance/access-review-mail.js';
import { firstStart, nextStart } from '../../src/governance/access-review-schedule.js';
import { ManualClock } from '../../src/platform/clock.js';
import { purgeExpired } from '../../src/server.js';
import { backends } from '../support/backends.js';
import { createSecurityGroup, createUser, TEST_PASSWORD } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { appToken, delegatedTokens, graph } from '../support/tokens.js';

const DEFINITIONS = '/identityGovernance/accessReviews/definitions';
const DAY = 24 * 60 * 60 * 1000;
const MISSING = '01a00000-0000-7000-8000-000000000000';
const REDIRECT = 'https://reviews.contoso.example/callback';
const ALL_GUESTS = { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' };
const SPONSORS = [{ query: './sponsors', queryType: 'MicrosoftGraph' }];
const groupGuests = (groupId: string) => ({
  '@odata.type': '#microsoft.graph.accessReviewQueryScope',
  query: `/groups/${groupId}/transitiveMembers/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')`,
  queryType: 'MicrosoftGraph',
});

type Json = Record<string, any>;

describe.each(backends)('Access reviews through Graph on $name', (backend) => {
  // The instance's clock starts 60 days back and the test moves it forward by days: the tokens the OpenID
  // provider issues (on real time) stay valid for Foyer's API (on this clock) all the while.
  const clock = new ManualClock(Date.now() - 60 * DAY);
  let foyer: TestFoyer;
  let contoso: TestTenant;
  let apps: Record<'admin' | 'reader' | 'stranger', { appId: string; clientSecret?: string }>;
  let sponsor: string;
  let fallback: string;

  /** A fresh token (the clock moves by days here). */
  const token = (which: keyof typeof apps) => appToken(foyer, contoso, apps[which]);
  const call = async (method: string, path: string, body?: unknown, as: keyof typeof apps = 'admin') => graph(foyer, await token(as), method, path, body);
  const housekeeping = () => purgeExpired(foyer.ctx);

  const definition = (overrides: Json = {}, settings: Json = {}) => ({
    displayName: 'Quarterly guest review',
    descriptionForReviewers: 'Does this guest still work with us?',
    scope: ALL_GUESTS,
    reviewers: SPONSORS,
    fallbackReviewers: [{ query: `/users/${fallback}`, queryType: 'MicrosoftGraph' }],
    settings: {
      instanceDurationInDays: 3,
      defaultDecisionEnabled: true,
      defaultDecision: 'Deny',
      autoApplyDecisionsEnabled: true,
      applyActions: [{ '@odata.type': '#microsoft.graph.disableAndDeleteUserApplyAction', deleteAfterDays: 10 }],
      ...settings,
    },
    ...overrides,
  });

  /** An invited guest (no e-mail sent), sponsored by `sponsors`; its id. */
  async function guest(local: string, sponsors: string[] = []): Promise<string> {
    const res = await call('POST', '/invitations', {
      invitedUserEmailAddress: `${local}@fabrikam.example`,
      invitedUserDisplayName: local,
      inviteRedirectUrl: 'https://contoso.example/',
      sendInvitationMessage: false,
      invitedUserSponsors: sponsors.map((id) => ({ id })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.invitedUser.id as string;
  }

  async function audits(activity: string): Promise<Json[]> {
    const res = await call('GET', `/auditLogs/directoryAudits?$filter=${encodeURIComponent(`activityDisplayName eq '${activity}'`)}`);
    expect(res.status).toBe(200);
    return res.body.value as Json[];
  }

  async function create(body: unknown): Promise<Json> {
    const res = await call('POST', DEFINITIONS, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as Json;
  }

  async function onlyInstance(definitionId: string): Promise<Json> {
    const res = await call('GET', `${DEFINITIONS}/${definitionId}/instances`);
    expect(res.status).toBe(200);
    expect(res.body.value).toHaveLength(1);
    return res.body.value[0] as Json;
  }

  async function decisions(definitionId: string, instanceId: string): Promise<Json[]> {
    const res = await call('GET', `${DEFINITIONS}/${definitionId}/instances/${instanceId}/decisions`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.value as Json[];
  }

  const enabled = async (userId: string) => {
    const res = await call('GET', `/users/${userId}?$select=accountEnabled`);
    return res.status === 404 ? 'deleted' : res.body.accountEnabled;
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend, clock });
    contoso = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
    apps = {
      admin: await foyer.createApp(contoso.id, {
        displayName: 'Review script',
        applicationPermissions: [
          'AccessReview.ReadWrite.All',
          'User.ReadWrite.All',
          'User.Invite.All',
          'Group.ReadWrite.All',
          'AuditLog.Read.All',
          'Application.ReadWrite.All',
        ],
      }),
      reader: await foyer.createApp(contoso.id, { displayName: 'Reader', applicationPermissions: ['AccessReview.Read.All'] }),
      stranger: await foyer.createApp(contoso.id, { displayName: 'Stranger', applicationPermissions: ['User.Read.All'] }),
    };
    const admin = await token('admin');
    sponsor = await createUser(foyer, admin, 'sponsor');
    fallback = await createUser(foyer, admin, 'fallback');
  });
  afterAll(() => foyer?.stop());

  it('creates a definition (201, shaped as Graph’s), starts its instance at once, reads and lists it, deletes it; each change audited', async () => {
    await guest('crud-guest', [sponsor]);
    const created = await create(definition());
    expect(created).toMatchObject({
      displayName: 'Quarterly guest review',
      descriptionForReviewers: 'Does this guest still work with us?',
      status: 'InProgress',
      scope: ALL_GUESTS,
      reviewers: [{ query: './sponsors', queryType: 'MicrosoftGraph' }],
      fallbackReviewers: [{ query: `/users/${fallback}`, queryType: 'MicrosoftGraph' }],
      settings: {
        instanceDurationInDays: 3,
        defaultDecisionEnabled: true,
        defaultDecision: 'Deny',
        autoApplyDecisionsEnabled: true,
        recurrence: null,
        applyActions: [{ '@odata.type': '#microsoft.graph.disableAndDeleteUserApplyAction', deleteAfterDays: 10 }],
      },
      createdBy: { id: apps.admin.appId },
    });
    expect(created.createdDateTime).toBe(new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));

    const instance = await onlyInstance(created.id);
    expect(instance).toMatchObject({ status: 'InProgress', startDateTime: created.createdDateTime });
    expect(Date.parse(instance.endDateTime) - Date.parse(instance.startDateTime)).toBe(3 * DAY);

    const read = await call('GET', `${DEFINITIONS}/${created.id}`, undefined, 'reader');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.id, status: 'InProgress' });
    const list = await call('GET', DEFINITIONS, undefined, 'reader');
    expect(list.body.value.map((d: Json) => d.id)).toContain(created.id);

    // Reading is not writing, and other permissions are not enough.
    expect((await call('POST', DEFINITIONS, definition(), 'reader')).status).toBe(403);
    expect((await call('DELETE', `${DEFINITIONS}/${created.id}`, undefined, 'reader')).status).toBe(403);
    expect((await call('GET', DEFINITIONS, undefined, 'stranger')).status).toBe(403);
    // Graph updates a definition with PUT; Foyer does not (nor PATCH), and says so.
    const put = await call('PUT', `${DEFINITIONS}/${created.id}`, definition());
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toMatch(/DELETE, GET/);
    expect((await call('PATCH', `${DEFINITIONS}/${created.id}`, { displayName: 'Renamed' })).status).toBe(405);

    expect((await call('DELETE', `${DEFINITIONS}/${created.id}`)).status).toBe(204);
    expect((await call('GET', `${DEFINITIONS}/${created.id}`)).status).toBe(404);
    expect((await call('GET', `${DEFINITIONS}/${created.id}/instances`)).status).toBe(404);
    expect((await call('DELETE', `${DEFINITIONS}/${created.id}`)).status).toBe(404);
    expect((await call('GET', `${DEFINITIONS}/not-a-guid`)).status).toBe(404);

    const [createdAudit] = (await audits('Create access review')).filter((e) => e.targetResources[0].id === created.id);
    expect(createdAudit).toMatchObject({ loggedByService: 'Access Reviews', result: 'success', initiatedBy: { app: { appId: apps.admin.appId } } });
    expect((await audits('Delete access review')).filter((e) => e.targetResources[0].id === created.id)).toHaveLength(1);
  });

  it('refuses scopes, reviewers and settings Foyer does not support with a clear 400, and stores nothing', async () => {
    const before = (await call('GET', DEFINITIONS)).body.value.length;
    const refused = async (body: unknown, words: RegExp) => {
      const res = await call('POST', DEFINITIONS, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.message).toMatch(words);
    };
    await refused(definition({ scope: { ...ALL_GUESTS, query: '/users' } }), /not supported by Foyer/);
    await refused(definition({ scope: { ...ALL_GUESTS, query: "/users?$filter=(userType eq 'Member')" } }), /not supported by Foyer/);
    await refused(definition({ scope: { ...ALL_GUESTS, query: `/groups/${MISSING}/members` } }), /not supported by Foyer/);
    await refused(definition({ scope: groupGuests(MISSING) }), /does not exist/);
    await refused(definition({ reviewers: [{ query: './manager', queryType: 'MicrosoftGraph' }] }), /not supported by Foyer/);
    await refused(definition({ reviewers: [{ query: `/users/${MISSING}`, queryType: 'MicrosoftGraph' }] }), /does not exist/);
    await refused(definition({ reviewers: [] }), /reviewer/);
    await refused(definition({}, { applyActions: [{ '@odata.type': '#microsoft.graph.removeAccessApplyAction' }] }), /not supported by Foyer/);
    await refused(definition({}, { defaultDecision: 'Recommendation' }), /not supported by Foyer/);
    await refused(
      definition(
        {},
        { instanceDurationInDays: 10, recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd', startDate: '2026-12-01' } } },
      ),
      /longer than the recurrence/,
    );
    await refused(definition({ stageSettings: [{ stageId: '1' }] }), /not supported by Foyer/);
    await refused(definition({ color: 'blue' }), /color/);
    await refused(definition({ displayName: '' }), /displayName/);
    expect((await call('GET', DEFINITIONS)).body.value.length).toBe(before);
  });

  it('covers the guests of a group (nested groups too) and no one else', async () => {
    const admin = await token('admin');
    const outer = await createSecurityGroup(foyer, admin, 'partners');
    const inner = await createSecurityGroup(foyer, admin, 'partners-inner');
    const inGroup = await guest('in-group', [sponsor]);
    const nested = await guest('nested', [sponsor]);
    const outside = await guest('outside', [sponsor]);
    const member = await createUser(foyer, admin, 'member-in-group');
    for (const [group, id] of [
      [outer, inGroup],
      [outer, inner],
      [inner, nested],
      [outer, member],
    ] as const) {
      const res = await graph(foyer, admin, 'POST', `/groups/${group}/members/$ref`, { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${id}` });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
    }
    const created = await create(definition({ scope: groupGuests(outer) }));
    expect(created.scope.query).toBe(groupGuests(outer).query);
    const instance = await onlyInstance(created.id);
    const items = await decisions(created.id, instance.id);
    expect(items.map((d) => d.principal.id).sort()).toEqual([inGroup, nested].sort());
    expect(items.map((d) => d.principal.id)).not.toContain(outside);
    expect(items[0]).toMatchObject({ decision: 'NotReviewed', applyResult: 'New', principal: { '@odata.type': '#microsoft.graph.userIdentity' } });
    expect(items[0]!.insights[0]).toEqual({ '@odata.type': '#microsoft.graph.userSignInInsight', lastSignInDateTime: null });
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('covers the guests assigned to an app, directly or through a group, and no one else', async () => {
    const admin = await token('admin');
    const sp = await graph(foyer, admin, 'GET', `/servicePrincipals(appId='${apps.reader.appId}')`);
    expect(sp.status, JSON.stringify(sp.body)).toBe(200);
    const direct = await guest('app-direct', [sponsor]);
    const viaGroup = await guest('app-via-group', [sponsor]);
    await guest('app-none', [sponsor]);
    const group = await createSecurityGroup(foyer, admin, 'app-users');
    const added = await graph(foyer, admin, 'POST', `/groups/${group}/members/$ref`, { '@odata.id': `${foyer.url}/graph/v1.0/directoryObjects/${viaGroup}` });
    expect(added.status).toBe(204);
    for (const principalId of [direct, group]) {
      const res = await graph(foyer, admin, 'POST', `/servicePrincipals/${sp.body.id}/appRoleAssignedTo`, {
        principalId,
        resourceId: sp.body.id,
        appRoleId: '00000000-0000-0000-0000-000000000000',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const appScope = { ...ALL_GUESTS, query: `/servicePrincipals/${sp.body.id}/appRoleAssignedTo` };
    expect((await call('POST', DEFINITIONS, definition({ scope: { ...appScope, query: `/servicePrincipals/${MISSING}/appRoleAssignedTo` } }))).status).toBe(
      400,
    );
    const created = await create(definition({ scope: appScope }));
    expect(created.scope.query).toBe(appScope.query);
    const instance = await onlyInstance(created.id);
    expect((await decisions(created.id, instance.id)).map((d) => d.principal.id).sort()).toEqual([direct, viaGroup].sort());
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('takes a body shaped as Graph’s own example (reminders on, recommendations on, weekly from a past date) and shows those settings back', async () => {
    const sample = {
      displayName: 'Test create',
      descriptionForAdmins: 'New scheduled access review',
      descriptionForReviewers: 'If you have any questions, contact jerry@contoso.com',
      scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ query: `/users/${fallback}`, queryType: 'MicrosoftGraph' }],
      settings: {
        mailNotificationsEnabled: true,
        reminderNotificationsEnabled: true,
        justificationRequiredOnApproval: true,
        defaultDecisionEnabled: false,
        defaultDecision: 'None',
        instanceDurationInDays: 1,
        autoApplyDecisionsEnabled: false,
        recommendationsEnabled: true,
        recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd', startDate: '2020-09-08T12:02:30.667Z' } },
      },
    };
    const created = await create(sample);
    const shown = {
      mailNotificationsEnabled: true,
      reminderNotificationsEnabled: true,
      justificationRequiredOnApproval: true,
      defaultDecisionEnabled: false,
      defaultDecision: 'None',
      instanceDurationInDays: 1,
      autoApplyDecisionsEnabled: false,
      recommendationsEnabled: true,
      recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } },
    };
    expect(created).toMatchObject({ displayName: 'Test create', status: 'InProgress', settings: shown });
    expect((await call('GET', `${DEFINITIONS}/${created.id}`)).body.settings).toMatchObject(shown);
    await onlyInstance(created.id);
    // Graph's group example reviews every member (/groups/{id}/transitiveMembers); Foyer reviews guests only.
    const group = await createSecurityGroup(foyer, await token('admin'), 'sample-group');
    const res = await call('POST', DEFINITIONS, { ...sample, scope: { ...sample.scope, query: `/groups/${group}/transitiveMembers` } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not supported by Foyer/);
    expect((await call('DELETE', `${DEFINITIONS}/${created.id}`)).status).toBe(204);
  });

  it('lets a person acting through an app see and decide only the guests they review', async () => {
    const admin = await token('admin');
    const olle = await createUser(foyer, admin, 'olle');
    const mine = await guest('sara-sponsored', [sponsor]);
    const theirs = await guest('olle-sponsored', [olle]);
    const created = await create(definition({ displayName: 'Delegated' }));
    const instance = await onlyInstance(created.id);
    const base = `${DEFINITIONS}/${created.id}/instances/${instance.id}`;
    const all = await decisions(created.id, instance.id);
    const theirItem = all.find((d) => d.principal.id === theirs)!;

    const reviewerApp = await foyer.createApp(contoso.id, {
      displayName: 'My access reviews',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['AccessReview.ReadWrite.All'],
    });
    const { access_token: asSponsor } = await delegatedTokens(
      foyer,
      contoso,
      reviewerApp,
      REDIRECT,
      { email: 'sponsor@contoso.example', password: TEST_PASSWORD },
      'openid AccessReview.ReadWrite.All',
    );
    const seen = await graph(foyer, asSponsor, 'GET', `${base}/decisions`);
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    const seenIds = seen.body.value.map((d: Json) => d.principal.id);
    expect(seenIds).toContain(mine);
    expect(seenIds).not.toContain(theirs);
    const myItem = seen.body.value.find((d: Json) => d.principal.id === mine);

    // Graph's reviewer paths: the signed-in person's own definitions, instances and items, and nobody else's.
    const FILTER = "filterByCurrentUser(on='reviewer')";
    const notMine = await create(definition({ displayName: 'Olle reviews', reviewers: [{ query: `/users/${olle}`, queryType: 'MicrosoftGraph' }] }));
    const myDefinitions = await graph(foyer, asSponsor, 'GET', `${DEFINITIONS}/${FILTER}`);
    expect(myDefinitions.status, JSON.stringify(myDefinitions.body)).toBe(200);
    const myDefinitionIds = myDefinitions.body.value.map((d: Json) => d.id);
    expect(myDefinitionIds).toContain(created.id);
    expect(myDefinitionIds).not.toContain(notMine.id);
    const myInstances = await graph(foyer, asSponsor, 'GET', `${DEFINITIONS}/${created.id}/instances/${FILTER}`);
    expect(myInstances.status, JSON.stringify(myInstances.body)).toBe(200);
    expect(myInstances.body.value.map((i: Json) => i.id)).toEqual([instance.id]);
    const notMineInstance = await onlyInstance(notMine.id);
    expect((await graph(foyer, asSponsor, 'GET', `${DEFINITIONS}/${notMine.id}/instances/${FILTER}`)).body.value).toEqual([]);
    const myItems = await graph(foyer, asSponsor, 'GET', `${base}/decisions/${FILTER}`);
    expect(myItems.status, JSON.stringify(myItems.body)).toBe(200);
    expect(myItems.body.value.map((d: Json) => d.principal.id)).toContain(mine);
    expect(myItems.body.value.map((d: Json) => d.principal.id)).not.toContain(theirs);
    const otherItems = await graph(foyer, asSponsor, 'GET', `${DEFINITIONS}/${notMine.id}/instances/${notMineInstance.id}/decisions/${FILTER}`);
    expect(otherItems.status).toBe(200);
    expect(otherItems.body.value).toEqual([]);
    // An app acting on its own has no current user; only on='reviewer' is served.
    for (const path of [`${DEFINITIONS}/${FILTER}`, `${DEFINITIONS}/${created.id}/instances/${FILTER}`, `${base}/decisions/${FILTER}`]) {
      const asApp = await call('GET', path);
      expect(asApp.status, path).toBe(400);
      expect(asApp.body.error.message).toMatch(/signed-in user/);
    }
    const owner = await graph(foyer, asSponsor, 'GET', `${DEFINITIONS}/filterByCurrentUser(on='owner')`);
    expect(owner.status).toBe(400);
    expect(owner.body.error.message).toMatch(/not supported by Foyer/);
    await call('DELETE', `${DEFINITIONS}/${notMine.id}`);

    expect((await graph(foyer, asSponsor, 'PATCH', `${base}/decisions/${myItem.id}`, { decision: 'Approve' })).status).toBe(204);
    expect((await graph(foyer, asSponsor, 'PATCH', `${base}/decisions/${theirItem.id}`, { decision: 'Deny' })).status).toBe(404);
    expect((await graph(foyer, asSponsor, 'GET', `${base}/decisions/${theirItem.id}`)).status).toBe(404);
    // Managing reviews needs an administrator role.
    expect((await graph(foyer, asSponsor, 'GET', DEFINITIONS)).status).toBe(403);
    const [approved] = (await audits('Approve decision')).filter((e) => e.targetResources[0].id === mine);
    expect(approved?.initiatedBy.user).toMatchObject({ userPrincipalName: 'sponsor@contoso.example' });
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('applies decisions at the end: denied and unreviewed guests (default Deny) disabled, deleted after N days; approved ones keep access', async () => {
    const approved = await guest('approved', [sponsor]);
    const denied = await guest('denied', [sponsor]);
    const unreviewed = await guest('unreviewed', [sponsor]);
    const orphan = await guest('orphan');
    const created = await create(definition({ displayName: 'Apply test' }));
    const instance = await onlyInstance(created.id);
    const base = `${DEFINITIONS}/${created.id}/instances/${instance.id}`;
    const items = await decisions(created.id, instance.id);
    const item = (id: string) => items.find((d) => d.principal.id === id)!;
    expect(item(approved)).toMatchObject({
      decision: 'NotReviewed',
      principal: { displayName: 'approved' },
      principalLink: `${foyer.url}/graph/v1.0/users/${approved}`,
    });
    // A guest without a sponsor is reviewed by the fallback reviewer: they are in scope all the same.
    expect(item(orphan)).toBeDefined();

    expect((await call('PATCH', `${base}/decisions/${item(approved).id}`, { decision: 'Approve', justification: 'Still on the project' })).status).toBe(204);
    expect((await call('PATCH', `${base}/decisions/${item(denied).id}`, { decision: 'Deny' })).status).toBe(204);
    expect((await call('PATCH', `${base}/decisions/${item(denied).id}`, { decision: 'DontKnow' })).status).toBe(400);
    expect((await call('PATCH', `${base}/decisions/${item(denied).id}`, { decision: 'Deny' }, 'reader')).status).toBe(403);
    expect((await call('PATCH', `${base}/decisions/${MISSING}`, { decision: 'Deny' })).status).toBe(404);
    const reviewed = (await call('GET', `${base}/decisions/${item(approved).id}`)).body;
    expect(reviewed).toMatchObject({ decision: 'Approve', justification: 'Still on the project', reviewedBy: { id: apps.admin.appId } });

    // Not yet over: nothing happens.
    clock.advance(3 * DAY - 1000);
    await housekeeping();
    expect((await call('GET', base)).body.status).toBe('InProgress');
    expect(await enabled(denied)).toBe(true);

    clock.advance(2000);
    await housekeeping();
    expect((await call('GET', base)).body.status).toBe('Applied');
    expect(await enabled(approved)).toBe(true);
    expect(await enabled(denied)).toBe(false);
    expect(await enabled(unreviewed)).toBe(false);
    const after = await decisions(created.id, instance.id);
    const final = (id: string) => after.find((d) => d.principal.id === id)!;
    expect(final(unreviewed)).toMatchObject({
      decision: 'Deny',
      applyResult: 'AppliedSuccessfully',
      reviewedBy: { displayName: 'Access reviews (default decision)' },
    });
    expect(final(denied)).toMatchObject({ decision: 'Deny', applyResult: 'AppliedSuccessfully' });
    expect(final(denied).appliedDateTime).not.toBeNull();
    expect(final(approved)).toMatchObject({ decision: 'Approve', applyResult: 'AppliedSuccessfully' });
    // Once ended, decisions are final.
    expect((await call('PATCH', `${base}/decisions/${item(approved).id}`, { decision: 'Deny' })).status).toBe(400);
    expect((await call('GET', `${DEFINITIONS}/${created.id}`)).body.status).toBe('Completed');

    // An administrator gives the unreviewed guest access back: their deletion is called off.
    expect((await call('PATCH', `/users/${unreviewed}`, { accountEnabled: true })).status).toBe(204);
    clock.advance(10 * DAY);
    await housekeeping();
    expect(await enabled(denied)).toBe('deleted');
    expect(await enabled(unreviewed)).toBe(true);
    expect(await enabled(approved)).toBe(true);

    const targetIds = async (activity: string) => (await audits(activity)).map((e) => e.targetResources[0].id);
    expect(await targetIds('Approve decision')).toContain(approved);
    expect(await targetIds('Deny decision')).toContain(denied);
    expect((await targetIds('Apply decision')).filter((id) => [denied, unreviewed].includes(id)).sort()).toEqual([denied, unreviewed].sort());
    expect(await targetIds('Access review ended')).toContain(created.id);
    const [ended] = (await audits('Access review ended')).filter((e) => e.targetResources[0].id === created.id);
    expect(ended?.loggedByService).toBe('Access Reviews');
    // A second run changes nothing more.
    await housekeeping();
    expect((await targetIds('Apply decision')).filter((id) => id === denied)).toHaveLength(1);
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('leaves unreviewed guests alone without a default decision, asks a reason to approve when told to, applies only on request, and stops early on request', async () => {
    const quiet = await guest('quiet', [sponsor]);
    const denied = await guest('denied-manual', [sponsor]);
    const created = await create(
      definition(
        { displayName: 'Manual apply', scope: ALL_GUESTS },
        { defaultDecisionEnabled: false, defaultDecision: 'None', autoApplyDecisionsEnabled: false, justificationRequiredOnApproval: true },
      ),
    );
    const instance = await onlyInstance(created.id);
    const base = `${DEFINITIONS}/${created.id}/instances/${instance.id}`;
    const items = await decisions(created.id, instance.id);
    const deniedItem = items.find((d) => d.principal.id === denied)!;
    expect((await call('PATCH', `${base}/decisions/${deniedItem.id}`, { decision: 'Deny', justification: 'Left the project' })).status).toBe(204);
    const quietItemId = items.find((d) => d.principal.id === quiet)!.id;
    expect((await call('PATCH', `${base}/decisions/${quietItemId}`, { decision: 'Approve' })).status).toBe(400);
    expect((await call('PATCH', `${base}/decisions/${quietItemId}`, { decision: 'Approve', justification: 'Still here' })).status).toBe(204);
    expect((await call('PATCH', `${base}/decisions/${quietItemId}`, { decision: 'NotReviewed' })).status).toBe(204);
    expect((await call('POST', `${base}/applyDecisions`)).status).toBe(400);

    expect((await call('POST', `${base}/stop`)).status).toBe(204);
    expect((await call('POST', `${base}/stop`)).status).toBe(400);
    await housekeeping();
    expect((await call('GET', base)).body.status).toBe('Completed');
    expect(await enabled(denied)).toBe(true);

    expect((await call('POST', `${base}/applyDecisions`)).status).toBe(204);
    expect((await call('GET', base)).body.status).toBe('Applied');
    expect(await enabled(denied)).toBe(false);
    expect(await enabled(quiet)).toBe(true);
    const quietItem = (await decisions(created.id, instance.id)).find((d) => d.principal.id === quiet)!;
    expect(quietItem).toMatchObject({ decision: 'NotReviewed', applyResult: 'New', appliedDateTime: null });
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('starts a due instance once and applies each decision once when two housekeeping runs race', async () => {
    const racer = await guest('racer', [sponsor]);
    const tomorrow = new Date(clock.now() + DAY).toISOString().slice(0, 10);
    const created = await create(
      definition(
        { displayName: 'Race' },
        {
          instanceDurationInDays: 1,
          recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'numbered', startDate: tomorrow, numberOfOccurrences: 1 } },
        },
      ),
    );
    expect(created.status).toBe('NotStarted');
    expect((await call('GET', `${DEFINITIONS}/${created.id}/instances`)).body.value).toHaveLength(0);
    clock.advance(2 * DAY);
    await Promise.all([housekeeping(), housekeeping(), housekeeping()]);
    const instance = await onlyInstance(created.id);
    expect(instance.status).toBe('InProgress');
    expect((await decisions(created.id, instance.id)).filter((d) => d.principal.id === racer)).toHaveLength(1);
    clock.advance(DAY);
    await Promise.all([housekeeping(), housekeeping(), housekeeping()]);
    expect((await onlyInstance(created.id)).status).toBe('Applied');
    expect(await enabled(racer)).toBe(false);
    const applied = (await audits('Apply decision')).filter((e) => e.targetResources[0].id === racer);
    expect(applied).toHaveLength(1);
    expect((await audits('Access review ended')).filter((e) => e.targetResources[0].id === created.id)).toHaveLength(1);
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('disables only someone still a guest, and calls the deletion off for a guest changed after the apply (enabled again, even if disabled once more; made a member)', async () => {
    const promoted = await guest('promoted', [sponsor]);
    const revived = await guest('revived', [sponsor]);
    const promotedLater = await guest('promoted-later', [sponsor]);
    const plain = await guest('plain-denied', [sponsor]);
    const created = await create(definition({ displayName: 'Changed guests' }));
    const instance = await onlyInstance(created.id);
    const base = `${DEFINITIONS}/${created.id}/instances/${instance.id}`;
    const items = await decisions(created.id, instance.id);
    for (const id of [promoted, revived, promotedLater, plain]) {
      const item = items.find((d) => d.principal.id === id)!;
      expect((await call('PATCH', `${base}/decisions/${item.id}`, { decision: 'Deny' })).status).toBe(204);
    }
    // Made a member before the review ends: not the review's to disable.
    expect((await call('PATCH', `/users/${promoted}`, { userType: 'Member' })).status).toBe(204);
    clock.advance(3 * DAY + 1000);
    await housekeeping();
    expect((await call('GET', base)).body.status).toBe('Applied');
    expect(await enabled(promoted)).toBe(true);
    const applied = await decisions(created.id, instance.id);
    expect(applied.find((d) => d.principal.id === promoted)).toMatchObject({ decision: 'Deny', applyResult: 'AppliedSuccessfullyButObjectNotFound' });
    for (const id of [revived, promotedLater, plain]) expect(await enabled(id)).toBe(false);

    // After the apply: one enabled again and disabled once more, one made a member (still disabled).
    expect((await call('PATCH', `/users/${revived}`, { accountEnabled: true })).status).toBe(204);
    expect((await call('PATCH', `/users/${revived}`, { accountEnabled: false })).status).toBe(204);
    expect((await call('PATCH', `/users/${promotedLater}`, { userType: 'Member' })).status).toBe(204);
    clock.advance(10 * DAY + 1000);
    await housekeeping();
    expect(await enabled(plain)).toBe('deleted');
    expect(await enabled(revived)).toBe(false);
    expect(await enabled(promotedLater)).toBe(false);
    expect(await enabled(promoted)).toBe(true);
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('does not record a decision that waited for the instance while it ended (the end wins, nothing half-applied)', async () => {
    const late = await guest('late-approval', [sponsor]);
    const created = await create(definition({ displayName: 'Late approval' }, { autoApplyDecisionsEnabled: false }));
    const instance = await onlyInstance(created.id);
    const base = `${DEFINITIONS}/${created.id}/instances/${instance.id}`;
    const item = (await decisions(created.id, instance.id)).find((d) => d.principal.id === late)!;
    // The instance ends in a transaction that is still open when the reviewer's Approve arrives.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const ending = foyer.ctx.db.transaction(async (trx) => {
      await trx.updateTable('access_review_instances').set({ status: 'Completed' }).where('id', '=', instance.id).execute();
      locked();
      await held;
    });
    await isLocked;
    const approving = call('PATCH', `${base}/decisions/${item.id}`, { decision: 'Approve' });
    await new Promise((r) => setTimeout(r, 500));
    release();
    await ending;
    const res = await approving;
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect((await call('GET', `${base}/decisions/${item.id}`)).body.decision).toBe('NotReviewed');
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });

  it('starts a weekly review again each week until its range ends', async () => {
    const start = new Date(clock.now()).toISOString().slice(0, 10);
    const created = await create(
      definition(
        { displayName: 'Weekly' },
        {
          instanceDurationInDays: 2,
          recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'numbered', startDate: start, numberOfOccurrences: 2 } },
        },
      ),
    );
    expect(created.settings.recurrence).toMatchObject({ pattern: { type: 'weekly', interval: 1 }, range: { type: 'numbered', numberOfOccurrences: 2 } });
    expect((await call('GET', `${DEFINITIONS}/${created.id}/instances`)).body.value).toHaveLength(1);
    clock.advance(7 * DAY);
    await housekeeping();
    const res = await call('GET', `${DEFINITIONS}/${created.id}/instances`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const instances = res.body.value as Json[];
    expect(instances.map((i) => i.status)).toEqual(['Applied', 'InProgress']);
    clock.advance(7 * DAY);
    await housekeeping();
    expect((await call('GET', `${DEFINITIONS}/${created.id}/instances`)).body.value.map((i: Json) => i.status)).toEqual(['Applied', 'Applied']);
    expect((await call('GET', `${DEFINITIONS}/${created.id}`)).body.status).toBe('Completed');
    await call('DELETE', `${DEFINITIONS}/${created.id}`);
  });
});

describe('when instances start (pure)', () => {
  const settings = (recurrence: ReviewSettings['recurrence']): ReviewSettings => ({
    instanceDurationInDays: 3,
    recurrence,
    mailNotificationsEnabled: true,
    reminderNotificationsEnabled: false,
    justificationRequiredOnApproval: false,
    recommendationsEnabled: false,
    defaultDecisionEnabled: false,
    defaultDecision: 'None',
    autoApplyDecisionsEnabled: true,
    deleteAfterDays: 30,
    descriptionForAdmins: null,
  });
  const at = (iso: string) => Date.parse(iso);
  const monthly = (interval: number, range: Partial<NonNullable<ReviewSettings['recurrence']>['range']> = {}) =>
    settings({
      pattern: { type: 'absoluteMonthly', interval },
      range: { type: 'noEnd', startDate: '2027-01-31', endDate: null, numberOfOccurrences: 0, ...range },
    });

  it.each([
    ['a one-time review has no second instance', settings(null), 1, '2027-01-01T00:00:00Z', null],
    ['monthly from the 31st: the last day of a shorter month', monthly(1), 1, '2027-01-31T00:00:00Z', '2027-02-28T00:00:00Z'],
    ['quarterly, counted from the start date', monthly(3), 2, '2027-05-01T00:00:00Z', '2027-07-31T00:00:00Z'],
    ['a start missed while Foyer was down is not run twice', monthly(1), 1, '2027-04-02T00:00:00Z', '2027-04-30T00:00:00Z'],
    ['a numbered range used up', monthly(1, { type: 'numbered', numberOfOccurrences: 2 }), 2, '2027-02-01T00:00:00Z', null],
    ['an end date passed', monthly(1, { type: 'endDate', endDate: '2027-02-27' }), 1, '2027-02-01T00:00:00Z', null],
    ['an end date on the day itself', monthly(1, { type: 'endDate', endDate: '2027-02-28' }), 1, '2027-02-01T00:00:00Z', '2027-02-28T00:00:00Z'],
  ] as const)('%s', (_name, s, started, now, expected) => {
    expect(nextStart(s, started, at(now))).toBe(expected === null ? null : at(expected));
  });

  it('starts the first instance on the start date, or at once when it has passed', () => {
    expect(firstStart(monthly(1), at('2027-01-01T00:00:00Z'))).toBe(at('2027-01-31T00:00:00Z'));
    expect(firstStart(monthly(1), at('2027-03-01T10:00:00Z'))).toBe(at('2027-03-01T10:00:00Z'));
    expect(firstStart(settings(null), 42)).toBe(42);
  });
});

describe('the reviewer e-mail (pure)', () => {
  it('names the organization, the review, the number of guests and the deadline, with the link, in English and Swedish', () => {
    const input = {
      organizationName: 'Contoso',
      reviewName: 'Partners',
      description: 'Still working with us?',
      guests: 3,
      endAt: Date.UTC(2027, 0, 15, 12),
      link: 'https://foyer.example/t/access-reviews/i',
    };
    const en = composeReviewEmail({ ...input, locale: 'en-US' });
    expect(en.subject).toBe('Review guest access to Contoso: Partners');
    expect(en.text).toContain('Contoso asks you to review whether 3 guests should keep access.');
    expect(en.text).toContain('Please review by January 15, 2027 at 12:00 PM UTC.');
    expect(en.text).toContain('Start review: https://foyer.example/t/access-reviews/i');
    expect(en.html).toContain('href="https://foyer.example/t/access-reviews/i"');
    const sv = composeReviewEmail({ ...input, locale: 'sv-SE', guests: 1 });
    expect(sv.subject).toBe('Granska gäståtkomst till Contoso: Partners');
    expect(sv.text).toContain('Contoso ber dig granska om 1 gäst ska behålla åtkomsten.');
    expect(sv.html).toContain('lang="sv-SE"');
  });

  it('escapes what an administrator wrote', () => {
    const mail = composeReviewEmail({
      locale: 'en-US',
      organizationName: 'Contoso',
      reviewName: '<script>x</script>',
      description: null,
      guests: 2,
      endAt: 0,
      link: 'https://foyer.example/',
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
  });
});
