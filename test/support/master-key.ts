/**
 * The master key every test process uses (never a real one), so that a context built in-process, the
 * `foyer` command run in-process and a server spawned as a child all read each other's secrets on a
 * shared database. vitest.config.ts puts it in the environment spawned processes inherit; the test
 * helpers pass it explicitly, since they build configuration from their own environment objects.
 */
export const TEST_MASTER_KEY = 'Zm95ZXIgdGVzdCBtYXN0ZXIga2V5LCBub3QgcmVhbCE';
