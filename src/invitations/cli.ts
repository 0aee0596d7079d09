/**
 * `foyer invite` (one address, or a whole CSV in Entra's bulk-invite format) and `foyer invitation
 * show|list` (with each invitation's e-mail delivery state). The command line is the operator's: it is
 * not rate-limited and needs no token, but it obeys the tenant's policies like any inviter.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type Actor, activities, recordAudit } from '../directory/audit-log.js';
import { normalizeDomain } from '../directory/domains.js';
import { requireTenant } from '../directory/tenants.js';
import { findMemberBySignInName, listRoleIdsOf } from '../directory/users.js';
import { type DeliveryReport, deliveryOf } from '../mail/index.js';
import { type CliHelpers, oneOf, shaped, UsageError } from '../platform/cli/helpers.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { BulkCsvError, type BulkInviteResult, formatBulkInviteResults, parseBulkInviteCsv } from './bulk-csv.js';
import { createInvitation, type Inviter } from './create-invitation.js';
import { findInvitation, listInvitations } from './invitation-queries.js';
import { checkRedirectUrl } from './invite-rules.js';

/** How many invitations a bulk run has in flight at once (PostgreSQL overlaps round trips). */
const BULK_CONCURRENCY = 8;

async function cliInviter(ctx: AppContext, tenantId: string, inviterUpn: string | undefined): Promise<Inviter> {
  if (!inviterUpn) return { kind: 'cli', permissions: new Set(), actor: { kind: 'cli', displayName: 'foyer command line' } };
  const member = await findMemberBySignInName(ctx.db.kysely, tenantId, inviterUpn);
  if (!member) throw new FoyerError('directory.not_found', `--inviter ${inviterUpn} is not a member of this organization.`);
  const actor: Actor = { kind: 'user', id: member.id, displayName: member.displayName, userPrincipalName: member.userPrincipalName, mail: member.mail };
  return { kind: 'cli', permissions: new Set(), roleIds: new Set(await listRoleIdsOf(ctx.db.kysely, tenantId, member.id)), userType: member.userType, actor };
}

function deliveryText(d: DeliveryReport | undefined | null): string {
  if (!d) return 'no e-mail (sendInvitationMessage was false)';
  if (d.state === 'sent') return `sent ${d.sentDateTime} after ${d.attempts} attempt(s)`;
  if (d.state === 'failed') return `FAILED after ${d.attempts} attempt(s): ${d.error}`;
  return d.attempts ? `queued, retry at ${d.nextAttemptDateTime} (last error: ${d.error})` : 'queued';
}

const INVITED_USER_TYPES = ['Guest', 'Member'] as const;

/**
 * Shape checks of the options, so that a bad value is a usage error naming the flag (exit 2). An address
 * needs one `@` and a domain name after it; the invitation's finer rules (Entra's set of characters, no
 * `+`) stay refusals (exit 1) with the invitation's message, as src/cli/shapes.ts does for the others.
 */
const address = shaped((v) =>
  /^[^@\s]+@[^@\s]+$/.test(v.trim()) && normalizeDomain(v.slice(v.lastIndexOf('@') + 1))
    ? undefined
    : "It is not one person's e-mail address, like ada@fabrikam.example.",
);
const redirectUrl = shaped((v) =>
  checkRedirectUrl(v) ? 'It must be an absolute https URL (http only on localhost), without user name or password, of at most 2048 characters.' : undefined,
);

export function registerInvitationCli(program: Command, { io, withContext, print, notePublicUrl }: CliHelpers): void {
  program
    .command('invite')
    .description("invite a guest by e-mail, or many from a CSV file in Entra's bulk-invite format")
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--email <address>', 'the address to invite', address)
    .option('--redirect-url <url>', 'where the guest lands after redeeming (https)', redirectUrl)
    .option('--display-name <name>', "the guest's display name")
    .option('--type <type>', 'Guest or Member, in any case', oneOf(INVITED_USER_TYPES), 'Guest' as const)
    .option('--send', 'send the invitation e-mail (default: only print the redeem link)')
    .option('--message <text>', 'a personal message for the e-mail')
    .option('--language <tag>', 'language of the e-mail, e.g. sv-SE')
    .option('--cc <address>', 'send a copy to this address', address)
    .option('--inviter <upn>', 'a member to name as the inviter and sponsor (Reply-To of the e-mail)')
    .option('--csv <file>', "bulk: Entra's bulk-invite CSV (Email address to invite, Redirection url, Send invitation message, Customized invitation message)")
    .option('--results <file>', 'bulk: where to write the per-row results (default: <file>.results.csv)')
    .option('--json', 'print the result as JSON')
    .action(
      async (opts: {
        tenant: string;
        email?: string;
        redirectUrl?: string;
        displayName?: string;
        type: (typeof INVITED_USER_TYPES)[number];
        send?: boolean;
        message?: string;
        language?: string;
        cc?: string;
        inviter?: string;
        csv?: string;
        results?: string;
        json?: boolean;
      }) => {
        if (opts.csv) return bulkInvite(opts as typeof opts & { csv: string });
        const missing = [...(opts.email ? [] : ['--email']), ...(opts.redirectUrl ? [] : ['--redirect-url'])];
        if (missing.length) throw new UsageError(`missing ${missing.join(' and ')}: give --email and --redirect-url (or --csv FILE for many)`);
        const created = await withContext(io, async (ctx) => {
          const t = await requireTenant(ctx.db.kysely, opts.tenant);
          notePublicUrl(ctx.config);
          return createInvitation(ctx, t.id, await cliInviter(ctx, t.id, opts.inviter), {
            invitedUserEmailAddress: opts.email!,
            inviteRedirectUrl: opts.redirectUrl!,
            invitedUserDisplayName: opts.displayName ?? null,
            invitedUserType: opts.type,
            sendInvitationMessage: !!opts.send,
            customizedMessageBody: opts.message ?? null,
            messageLanguage: opts.language ?? null,
            ccRecipients: opts.cc ? [{ address: opts.cc, name: null }] : [],
          });
        });
        print(
          !!opts.json,
          created,
          [
            `Invited ${created.invitedUserEmailAddress} as ${created.invitedUser.userPrincipalName} (${created.status})`,
            `  invitation id: ${created.id}`,
            `  redeem link:   ${created.inviteRedeemUrl}`,
            `  e-mail:        ${created.sendInvitationMessage ? `queued (see: foyer invitation show --id ${created.id} --tenant ${opts.tenant})` : 'not sent; share the link yourself'}`,
          ].join('\n'),
        );
      },
    );

  async function bulkInvite(opts: { tenant: string; csv: string; results?: string; inviter?: string; json?: boolean }) {
    let content: string;
    try {
      content = await readFile(opts.csv, 'utf8');
    } catch (err) {
      throw new UsageError(`--csv ${opts.csv}: cannot read the file: ${(err as Error).message}`);
    }
    let rows: ReturnType<typeof parseBulkInviteCsv>;
    try {
      rows = parseBulkInviteCsv(content);
    } catch (err) {
      if (err instanceof BulkCsvError) throw new FoyerError('request.invalid_body', `${opts.csv}: ${err.message}`);
      throw err;
    }
    const resultsFile = opts.results ?? `${opts.csv.replace(/\.csv$/i, '')}.results.csv`;
    const results: BulkInviteResult[] = new Array(rows.length);
    const bar =
      !opts.json && process.stderr.isTTY
        ? new SingleBar({ format: 'Inviting [{bar}] {value}/{total} · {failed} failed · ETA {eta_formatted}', stream: process.stderr })
        : undefined;
    let failed = 0;
    await withContext(io, async (ctx) => {
      const tenant = await requireTenant(ctx.db.kysely, opts.tenant);
      notePublicUrl(ctx.config);
      const inviter = await cliInviter(ctx, tenant.id, opts.inviter);
      const correlationId = newId();
      bar?.start(rows.length, 0, { failed });
      let next = 0;
      const work = async () => {
        for (;;) {
          const i = next++;
          if (i >= rows.length) return;
          const row = rows[i]!;
          if (row.error) {
            results[i] = { row, outcome: 'failed', error: row.error };
          } else {
            try {
              const c = await createInvitation(
                ctx,
                tenant.id,
                inviter,
                {
                  invitedUserEmailAddress: row.email,
                  inviteRedirectUrl: row.redirectUrl,
                  sendInvitationMessage: row.sendInvitationMessage,
                  customizedMessageBody: row.customizedMessage,
                },
                // Settings are re-read every 2 seconds: a policy changed during a long run applies to it.
                { correlationId },
              );
              results[i] = {
                row,
                outcome: 'invited',
                invitationId: c.id,
                invitedUserId: c.invitedUser.id,
                inviteRedeemUrl: c.inviteRedeemUrl,
                status: c.status,
              };
            } catch (err) {
              // One bad row never stops the batch; its reason goes to the results file.
              results[i] = { row, outcome: 'failed', error: err instanceof FoyerError ? err.message : `unexpected error: ${(err as Error).message}` };
            }
          }
          if (results[i]!.outcome === 'failed') failed++;
          bar?.increment(1, { failed });
        }
      };
      await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, Math.max(1, rows.length)) }, work));
      bar?.stop();
      await recordAudit(ctx.db.kysely, {
        tenantId: tenant.id,
        activity: activities.bulkInviteFinished,
        category: 'UserManagement',
        operationType: 'Add',
        result: failed === 0 ? 'success' : 'failure',
        resultReason: failed ? `${failed} of ${rows.length} rows failed` : null,
        actor: inviter.actor,
        targets: [{ id: null, type: 'User', displayName: opts.csv }],
        details: { rows: String(rows.length), invited: String(rows.length - failed), failed: String(failed) },
        correlationId,
        at: ctx.clock.now(),
      });
    });
    // Redeem links are bearer secrets: the results file is readable by its owner only.
    // Redeem links inside: owner only. `mode` applies to a new file only, so an older results file that
    // others could read is made private before the links are written into it.
    await writeFile(resultsFile, '', { mode: 0o600 });
    await chmod(resultsFile, 0o600);
    await writeFile(resultsFile, formatBulkInviteResults(results));
    const summary = { rows: rows.length, invited: rows.length - failed, failed, resultsFile };
    print(!!opts.json, summary, `Invited ${summary.invited} of ${summary.rows}; ${failed} failed. Results: ${resultsFile}`);
  }

  const invitation = program.command('invitation').description('invitations and their e-mail delivery');
  invitation
    .command('show')
    .description('an invitation and the delivery state of its e-mail')
    .argument('[id]', 'invitation id (the same as --id)')
    .option('--id <id>', 'invitation id')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--json', 'print the result as JSON')
    .action(async (positional: string | undefined, opts: { id?: string; tenant: string; json?: boolean }) => {
      if (positional && opts.id && positional !== opts.id) throw new UsageError(`two different invitation ids: ${positional} and --id ${opts.id}`);
      const id = opts.id ?? positional;
      if (!id) throw new UsageError('missing --id: which invitation to show');
      const value = await withContext(io, async (ctx) => {
        const t = await requireTenant(ctx.db.kysely, opts.tenant);
        const inv = await findInvitation(ctx.db.kysely, t.id, id);
        if (!inv) throw new FoyerError('invitation.not_found', `Invitation '${id}' does not exist in this organization.`);
        const delivery = (await deliveryOf(ctx.db.kysely, [inv.id])).get(inv.id) ?? null;
        return { ...inv, messageDeliveryStatus: delivery };
      });
      print(
        !!opts.json,
        value,
        [
          `Invitation ${value.id} for ${value.invitedUserEmailAddress} (${value.status})`,
          `  guest:   ${value.invitedUser.userPrincipalName ?? '(deleted)'} (${value.invitedUser.id})`,
          `  created: ${new Date(value.createdAt).toISOString()}`,
          `  link:    ${value.ticketState}${value.ticketExpiresAt ? `, expires ${new Date(value.ticketExpiresAt).toISOString()}` : ''}`,
          `  e-mail:  ${deliveryText(value.messageDeliveryStatus)}`,
        ].join('\n'),
      );
    });

  invitation
    .command('list')
    .description('recent invitations, newest first, with their e-mail delivery state')
    .requiredOption('--tenant <tenant>', 'tenant id or domain')
    .option('--user <id>', "only this guest's invitations")
    .option('--top <n>', 'how many, 1 to 999', '50')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { tenant: string; user?: string; top: string; json?: boolean }) => {
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 1 || top > 999) throw new UsageError(`--top ${opts.top}: expected a whole number from 1 to 999`);
      const value = await withContext(io, async (ctx) => {
        const t = await requireTenant(ctx.db.kysely, opts.tenant);
        const page = await listInvitations(ctx.db.kysely, t.id, { top, userId: opts.user });
        const delivery = await deliveryOf(
          ctx.db.kysely,
          page.items.map((i) => i.id),
        );
        return page.items.map((i) => ({ ...i, messageDeliveryStatus: delivery.get(i.id) ?? null }));
      });
      print(
        !!opts.json,
        value,
        value.length
          ? value.map((i) => `${i.id}  ${i.invitedUserEmailAddress}  ${i.status}  e-mail: ${deliveryText(i.messageDeliveryStatus)}`).join('\n')
          : 'No invitations.',
      );
    });
}
