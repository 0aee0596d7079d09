/**
 * `foyer user delete|restore|purge` and `foyer user list [--deleted]`: an operator deletes a user (kept
 * restorable for 30 days), lists the deleted ones, restores one, and purges another, on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { backends } from '../support/backends.js';
import { io } from '../support/cli-io.js';

describe.each(backends)('foyer user delete, restore, purge and list --deleted on $name', (backend) => {
  const url = backend.freshUrl();
  const env = { FOYER_DATABASE_URL: url, FOYER_PUBLIC_URL: 'http://localhost:8080' };
  afterAll(() => backend.drop(url));

  /** Runs `foyer …args --json`; its exit code and parsed output. */
  async function foyer(args: string[], extraEnv: Record<string, string> = {}) {
    const out = io({ ...env, ...extraEnv });
    const code = await runCli([...args, '--json'], out);
    const text = out.stdout.join('\n');
    return { code, json: text ? JSON.parse(text) : undefined, stderr: out.stderr.join('\n') };
  }

  beforeAll(async () => {
    const tenant = await foyer(['tenant', 'create', '--name', 'Contoso', '--domain', 'contoso.example', '--admin-email', 'admin@contoso.example'], {
      FOYER_ADMIN_PASSWORD: 'Correct-Horse-9',
    });
    expect(tenant.code, tenant.stderr).toBe(0);
    for (const upn of ['ada@contoso.example', 'bo@contoso.example']) {
      const made = await foyer(['user', 'create', '--tenant', 'contoso.example', '--upn', upn], { FOYER_USER_PASSWORD: 'Violet-Harbour-42' });
      expect(made.code, made.stderr).toBe(0);
    }
  });

  it('deletes a user, lists it as deleted, restores it, and purges another', async () => {
    const deleted = await foyer(['user', 'delete', '--tenant', 'contoso.example', '--user', 'ada@contoso.example']);
    expect(deleted.code, deleted.stderr).toBe(0);
    const adaId = deleted.json.id as string;
    expect(deleted.json).toMatchObject({ displayName: 'ada', deletedDateTime: expect.any(String) });

    const live = await foyer(['user', 'list', '--tenant', 'contoso.example']);
    expect(live.json.map((u: { userPrincipalName: string }) => u.userPrincipalName)).toEqual(['admin@contoso.example', 'bo@contoso.example']);
    const gone = await foyer(['user', 'list', '--tenant', 'contoso.example', '--deleted']);
    expect(gone.json).toEqual([
      {
        id: adaId,
        userPrincipalName: `${adaId.replace(/-/g, '')}ada@contoso.example`,
        displayName: 'ada',
        userType: 'Member',
        deletedDateTime: expect.any(String),
      },
    ]);

    const restored = await foyer(['user', 'restore', '--tenant', 'contoso.example', '--user', adaId]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json).toMatchObject({ id: adaId, userPrincipalName: 'ada@contoso.example' });
    expect((await foyer(['user', 'list', '--tenant', 'contoso.example', '--deleted'])).json).toEqual([]);

    const bo = await foyer(['user', 'delete', '--tenant', 'contoso.example', '--user', 'bo@contoso.example']);
    const purged = await foyer(['user', 'purge', '--tenant', 'contoso.example', '--user', bo.json.id]);
    expect(purged.code, purged.stderr).toBe(0);
    expect((await foyer(['user', 'list', '--tenant', 'contoso.example', '--deleted'])).json).toEqual([]);
    const again = await foyer(['user', 'restore', '--tenant', 'contoso.example', '--user', bo.json.id]);
    expect(again.code).not.toBe(0);
  });

  it("refuses to delete the tenant's last Global Administrator, and a purge of a live user", async () => {
    const admin = await foyer(['user', 'delete', '--tenant', 'contoso.example', '--user', 'admin@contoso.example']);
    expect(admin.code).not.toBe(0);
    expect(admin.json ?? admin.stderr).toBeTruthy();
    const live = await foyer(['user', 'list', '--tenant', 'contoso.example']);
    const ada = live.json.find((u: { userPrincipalName: string }) => u.userPrincipalName === 'ada@contoso.example');
    const purge = await foyer(['user', 'purge', '--tenant', 'contoso.example', '--user', ada.id]);
    expect(purge.code).not.toBe(0);
    expect((await foyer(['user', 'list', '--tenant', 'contoso.example'])).json).toHaveLength(2);
  });
});
