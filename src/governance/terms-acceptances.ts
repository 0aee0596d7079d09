/**
 * People's answers to terms of use (`agreement_acceptances`): recording an acceptance or a decline (with
 * the version and language file shown, and when an acceptance stops counting), audited under Entra's
 * names; which agreements a person must answer now; and Graph's list of an agreement's acceptances.
 *
 * Who the terms apply to: every agreement of a tenant applies to all of its guests (userType Guest), and
 * to no member. Entra attaches terms through a Conditional Access grant control; Foyer keeps the simpler
 * rule (docs/api.md says so).
 */
import { activities, recordAudit } from '../directory/audit-log.js';
import type { User } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { AgreementAcceptancesTable } from '../platform/storage/schema.js';
import { acceptanceExpiry, type LatestAnswer, mustAnswer } from './terms-rules.js';
import { type Agreement, type AgreementVersion, findAgreement, listAgreementVersions } from './terms-store.js';

export interface AgreementAcceptance {
  id: string;
  agreementId: string;
  agreementFileId: string;
  version: number;
  userId: string;
  userDisplayName: string | null;
  userPrincipalName: string | null;
  userEmail: string | null;
  state: 'accepted' | 'declined';
  recordedAt: number;
  expiresAt: number | null;
}

const fromRow = (r: AgreementAcceptancesTable): AgreementAcceptance => ({
  id: r.id,
  agreementId: r.agreement_id,
  agreementFileId: r.agreement_file_id,
  version: Number(r.version),
  userId: r.user_id,
  userDisplayName: r.user_display_name,
  userPrincipalName: r.user_principal_name,
  userEmail: r.user_email,
  state: r.state === 'declined' ? 'declined' : 'accepted',
  recordedAt: Number(r.recorded_at),
  expiresAt: r.expires_at === null ? null : Number(r.expires_at),
});

/** Whether a tenant's terms apply to this person: its guests, all of them. */
export const termsApplyTo = (user: Pick<User, 'userType'>): boolean => user.userType === 'Guest';

/** An agreement's answers, oldest first. */
export async function listAcceptances(db: Executor, tenantId: string, agreementId: string): Promise<AgreementAcceptance[]> {
  const rows = await db
    .selectFrom('agreement_acceptances')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('agreement_id', '=', agreementId)
    .orderBy('id')
    .execute();
  return rows.map(fromRow);
}

/** A person's latest answer to each agreement of the tenant. */
async function latestAnswers(db: Executor, tenantId: string, userId: string): Promise<Map<string, LatestAnswer>> {
  const rows = await db
    .selectFrom('agreement_acceptances')
    .select(['agreement_id', 'state', 'version', 'expires_at'])
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .orderBy('recorded_at')
    .orderBy('id')
    .execute();
  const latest = new Map<string, LatestAnswer>();
  for (const r of rows) {
    latest.set(r.agreement_id, {
      state: r.state === 'declined' ? 'declined' : 'accepted',
      version: Number(r.version),
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    });
  }
  return latest;
}

/**
 * The agreements this person must answer before going on (oldest first): none for a member; for a guest,
 * each agreement whose current version they have not accepted, or whose acceptance has expired. Asked at
 * every sign-in and refresh of a guest, so it reads ids and versions only, never the files.
 */
export async function agreementsDue(ctx: AppContext, tenantId: string, user: Pick<User, 'id' | 'userType'>): Promise<AgreementVersion[]> {
  if (!termsApplyTo(user)) return [];
  const agreements = await listAgreementVersions(ctx.db.kysely, tenantId);
  if (agreements.length === 0) return [];
  const latest = await latestAnswers(ctx.db.kysely, tenantId, user.id);
  const now = ctx.clock.now();
  return agreements.filter((a) => mustAnswer(a.version, latest.get(a.id), now));
}

/**
 * The first agreement this person must answer, with its files (the one a terms page shows), and how many
 * are due in all; `first` undefined: nothing is due.
 */
export async function firstAgreementDue(
  ctx: AppContext,
  tenantId: string,
  user: Pick<User, 'id' | 'userType'>,
): Promise<{ first: Agreement | undefined; due: number }> {
  const due = await agreementsDue(ctx, tenantId, user);
  for (const [i, d] of due.entries()) {
    // Deleted since the list was read: the next one.
    const first = await findAgreement(ctx.db.kysely, tenantId, d.id);
    if (first) return { first, due: due.length - i };
  }
  return { first: undefined, due: 0 };
}

export interface Answer {
  tenantId: string;
  agreement: Agreement;
  /** The language file the person was shown. */
  fileId: string;
  user: Pick<User, 'id' | 'displayName' | 'userPrincipalName' | 'mail'>;
  state: 'accepted' | 'declined';
  ipAddress: string | null;
}

/** Records a person's answer and audits it ("Accept terms of use" / "Decline terms of use"), in one transaction. */
export async function recordAnswer(ctx: AppContext, a: Answer): Promise<AgreementAcceptance> {
  const now = ctx.clock.now();
  const row: AgreementAcceptancesTable = {
    id: newId(),
    tenant_id: a.tenantId,
    agreement_id: a.agreement.id,
    user_id: a.user.id,
    user_display_name: a.user.displayName,
    user_principal_name: a.user.userPrincipalName,
    user_email: a.user.mail,
    version: a.agreement.version,
    agreement_file_id: a.fileId,
    state: a.state,
    recorded_at: now,
    expires_at: a.state === 'accepted' ? acceptanceExpiry(now, a.agreement) : null,
  };
  await ctx.db.transaction(async (trx) => {
    await trx.insertInto('agreement_acceptances').values(row).execute();
    await recordAudit(trx, {
      tenantId: a.tenantId,
      activity: a.state === 'accepted' ? activities.acceptTermsOfUse : activities.declineTermsOfUse,
      category: 'Policy',
      service: 'Terms Of Use',
      operationType: 'Other',
      result: 'success',
      actor: {
        kind: 'user',
        id: a.user.id,
        displayName: a.user.displayName,
        userPrincipalName: a.user.userPrincipalName,
        mail: a.user.mail,
        ipAddress: a.ipAddress,
      },
      targets: [{ id: a.agreement.id, type: 'Policy', displayName: a.agreement.displayName }],
      details: { version: String(a.agreement.version), agreementFileId: a.fileId },
      correlationId: row.id,
      at: now,
    });
  });
  return fromRow(row);
}

/**
 * A purged user's answers go with the user (the directory publishes `user.purged`, terms-directory-events.ts):
 * acceptances name a person, and nothing of a purged person stays but the audit log.
 */
export async function deleteAcceptancesOf(tx: Executor, tenantId: string, userId: string): Promise<void> {
  await tx.deleteFrom('agreement_acceptances').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
}
