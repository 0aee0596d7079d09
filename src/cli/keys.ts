/**
 * `foyer keys`: the master key that wraps every secret in the database (platform/master-key.ts).
 *
 * - `keys generate` prints a new master key (32 random bytes, base64url) for FOYER_MASTER_KEY.
 * - `keys rewrap` moves every stored secret to the current master key. The rollover, without downtime:
 *   give every process the new key as FOYER_MASTER_KEY and the old one as FOYER_MASTER_KEY_PREVIOUS and
 *   restart them one at a time (until the rewrap they keep wrapping new secrets under the old key, which
 *   the processes not yet restarted can read); run `foyer keys rewrap` with the same two variables; then
 *   drop FOYER_MASTER_KEY_PREVIOUS. Every process reads both keys throughout, so none stops serving.
 *   It waits `--settle` seconds (10) after its passes for rows sealed under the old key just before it
 *   started, runs a final pass, and exits non-zero, naming the count, if any row is still not under the
 *   new key.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { rewrapAllSecrets } from '../directory/secrets-at-rest.js';
import { type CliHelpers, shaped } from '../platform/cli/helpers.js';
import { generateMasterKey, masterKeyId } from '../platform/master-key.js';

export function registerKeyCommands(program: Command, { io, withContext, print }: CliHelpers): void {
  const keys = program.command('keys').description('the master key that encrypts the secrets kept in the database');

  keys
    .command('generate')
    .description('make a new master key for FOYER_MASTER_KEY or FOYER_MASTER_KEY_FILE; printed, or written to a new file (0600) with --out')
    .option('--out <file>', 'write the key to this new file, readable by its owner only, instead of printing it')
    .option('--json', 'print the result as JSON')
    .action((opts: { out?: string; json?: boolean }) => {
      const key = generateMasterKey();
      const keyId = masterKeyId(Buffer.from(key, 'base64url'));
      const use =
        'To move an existing instance to it: set it as FOYER_MASTER_KEY with the old key as FOYER_MASTER_KEY_PREVIOUS on every process, then run `foyer keys rewrap`.';
      if (opts.out) {
        // 'wx': never overwrite a key file (that would lose the key the database is wrapped under).
        writeFileSync(opts.out, `${key}\n`, { mode: 0o600, flag: 'wx' });
        chmodSync(opts.out, 0o600);
        print(!!opts.json, { keyId, file: opts.out }, `Wrote a new master key (id ${keyId}) to ${opts.out}. Set FOYER_MASTER_KEY_FILE=${opts.out}.\n${use}`);
        return;
      }
      print(
        !!opts.json,
        { masterKey: key, keyId },
        `${key}\n\nA new master key (id ${keyId}): set FOYER_MASTER_KEY to it. Keep it outside the database and its backups.\n${use}`,
      );
    });

  keys
    .command('rewrap')
    .description('re-encrypt every secret in the database under FOYER_MASTER_KEY (the old key given as FOYER_MASTER_KEY_PREVIOUS); safe while servers run')
    .option(
      '--settle <seconds>',
      'seconds to wait before the final pass, for secrets a running process sealed under the old key just before the rewrap (default 10)',
      shaped((v) => (/^\d{1,4}$/.test(v) ? undefined : 'a whole number of seconds')),
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean; settle?: string }) => {
      const outcome = await withContext(io, (ctx) => rewrapAllSecrets(ctx, { settleSeconds: opts.settle === undefined ? 10 : Number(opts.settle) }));
      print(
        !!opts.json,
        outcome,
        [
          `Every secret in the database is now wrapped under master key ${outcome.keyId} (${outcome.rewrapped} rewrapped${
            outcome.previousKeyId === outcome.keyId ? '' : `; new secrets were wrapped under ${outcome.previousKeyId} before`
          }).`,
          'Once every process runs with this key as FOYER_MASTER_KEY, remove FOYER_MASTER_KEY_PREVIOUS.',
        ].join('\n'),
      );
    });
}
