/**
 * Directory writes of one tenant at the same time: adding members, changing users, deleting groups,
 * adding owners and setting managers, about forty requests at once through the Graph API. Each writer
 * takes its tenant's change counter first, so on PostgreSQL they queue instead of deadlocking (before,
 * most such requests failed with 503), and a request that lost a race with a delete is told 404, never
 * 500. The delta round that follows agrees with what the requests were told: every member added appears
 * in `members@delta`, every deleted group is `@removed`, every changed user comes with its change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestFoyer, type TestFoyer } from '../support/foyer.js';
import { appToken, graph } from '../support/tokens.js';

describe.each(backends)('concurrent directory writes and delta on $name', (backend) => {
  let foyer: TestFoyer;
  let token: string;
  const api = '/graph/v1.0';
  const call = (method: string, path: string, body?: unknown) => graph(foyer, token, method, path, body);
  const ref = (id: string) => ({ '@odata.id': `${foyer.url}${api}/directoryObjects/${id}` });
  const userIds: string[] = [];
  const groupIds: string[] = [];

  /** Follows one round to its deltaLink: the objects and the link. */
  const round = async (path: string) => {
    const value: any[] = [];
    let next: string | undefined = path;
    let deltaLink = '';
    for (let pages = 0; next && pages < 50; pages++) {
      const res = await call('GET', next);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      value.push(...res.body.value);
      const link = (res.body['@odata.nextLink'] ?? res.body['@odata.deltaLink']) as string;
      next = res.body['@odata.nextLink'] ? link.slice(`${foyer.url}${api}`.length) : undefined;
      if (!next) deltaLink = link.slice(`${foyer.url}${api}`.length);
    }
    return { value, deltaLink };
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    const tenant = await foyer.createTenant('Busy', { domains: ['busy.example'] });
    const app = await foyer.createApp(tenant.id, { displayName: 'sync', applicationPermissions: ['User.ReadWrite.All', 'Group.ReadWrite.All'] });
    token = await appToken(foyer, tenant, app);
    for (let i = 0; i < 12; i++) {
      const res = await call('POST', '/users', {
        accountEnabled: true,
        displayName: `person ${i}`,
        mailNickname: `p${i}`,
        userPrincipalName: `p${i}@busy.example`,
        passwordProfile: { password: 'Long-Enough-Passphrase-1' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      userIds.push(res.body.id);
    }
    for (let i = 0; i < 6; i++) {
      const res = await call('POST', '/groups', { displayName: `team ${i}`, mailNickname: `team${i}`, securityEnabled: true, mailEnabled: false });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      groupIds.push(res.body.id);
    }
  });
  afterAll(() => foyer?.stop());

  it('about forty mixed writes at once all succeed or are told 404, and the next delta round reports exactly them', async () => {
    const groupsRound = await round('/groups/delta');
    const usersRound = await round('/users/delta');
    const doomed = new Set([groupIds[4]!, groupIds[5]!]);

    type Op = { kind: string; groupId?: string; userId?: string; run: () => Promise<{ status: number; body: any }> };
    const ops: Op[] = [];
    // Members: every user into a group, including the two groups being deleted meanwhile.
    for (let i = 0; i < 12; i++) {
      const groupId = groupIds[i % 6]!;
      const userId = userIds[i]!;
      ops.push({ kind: 'member', groupId, userId, run: () => call('POST', `/groups/${groupId}/members/$ref`, ref(userId)) });
    }
    // Users changed.
    for (let i = 0; i < 12; i++) {
      const userId = userIds[i]!;
      ops.push({ kind: 'patch', userId, run: () => call('PATCH', `/users/${userId}`, { jobTitle: `title ${i}` }) });
    }
    // Owners, on every group (the doomed ones too).
    for (let i = 0; i < 6; i++) {
      const groupId = groupIds[i]!;
      ops.push({ kind: 'owner', groupId, run: () => call('POST', `/groups/${groupId}/owners/$ref`, ref(userIds[(i + 6) % 12]!)) });
    }
    // Managers: each of the first eight users managed by the next one.
    for (let i = 0; i < 8; i++) {
      const userId = userIds[i]!;
      ops.push({ kind: 'manager', userId, run: () => call('PUT', `/users/${userId}/manager/$ref`, ref(userIds[i + 1]!)) });
    }
    for (const groupId of doomed) ops.push({ kind: 'delete', groupId, run: () => call('DELETE', `/groups/${groupId}`) });
    expect(ops.length).toBe(40);

    // Interleave the kinds so that deletes run among the adds, then send all at once.
    const shuffled = ops.map((op, i) => ({ op, key: (i * 7919) % ops.length })).sort((a, b) => a.key - b.key);
    const results = await Promise.all(shuffled.map(async ({ op }) => ({ op, res: await op.run() })));

    for (const { op, res } of results) {
      // Never a deadlock (503) nor a foreign-key error (500).
      expect(res.status, `${op.kind}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (op.groupId && doomed.has(op.groupId)) expect([204, 404], `${op.kind}: ${JSON.stringify(res.body)}`).toContain(res.status);
      else expect(res.status, `${op.kind}: ${JSON.stringify(res.body)}`).toBe(204);
      if (res.status === 404) expect(res.body.error.code).toBe('Request_ResourceNotFound');
    }

    // The groups' round: the deleted ones removed, each live one with exactly the member added to it.
    const groupsAfter = await round(groupsRound.deltaLink);
    const byId = new Map(groupsAfter.value.map((g) => [g.id, g]));
    for (const groupId of doomed) expect(byId.get(groupId)).toEqual({ id: groupId, '@removed': { reason: 'deleted' } });
    for (const groupId of groupIds.filter((id) => !doomed.has(id))) {
      const added = results.filter((r) => r.op.kind === 'member' && r.op.groupId === groupId && r.res.status === 204).map((r) => r.op.userId);
      const reported = (byId.get(groupId)?.['members@delta'] ?? []) as any[];
      expect(reported.map((m) => m.id).sort()).toEqual(added.sort());
      expect(reported.every((m) => !('@removed' in m))).toBe(true);
      const members = await call('GET', `/groups/${groupId}/members?$select=id`);
      expect(members.body.value.map((m: any) => m.id).sort()).toEqual(added.sort());
    }

    // The users' round: every user, with its new title; the managers as set.
    const usersAfter = await round(usersRound.deltaLink);
    const users = new Map(usersAfter.value.map((u) => [u.id, u]));
    for (const [i, id] of userIds.entries()) expect(users.get(id)?.jobTitle).toBe(`title ${i}`);
    for (let i = 0; i < 8; i++) {
      const manager = await call('GET', `/users/${userIds[i]}/manager?$select=id`);
      expect(manager.body.id).toBe(userIds[i + 1]);
    }

    // And a round after that one is empty: nothing was left behind in the window.
    expect((await round(groupsAfter.deltaLink)).value).toEqual([]);
  }, 120_000);
});
