/**
 * A tenant's terms of use (`agreements`): storage and the audit of every change, in the change's
 * transaction. An agreement's files (one per language, text or PDF) are kept with it as JSON; `version`
 * counts changes of the files, and a new version must be accepted again by everyone (the acceptances name
 * the version they accepted, terms-acceptances.ts).
 */
import { type Actor, type AuditEvent, activities, recordAudit } from '../directory/audit-log.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { AgreementsTable } from '../platform/storage/schema.js';

/** One language's terms. `data` is base64: UTF-8 text (kind text) or a PDF's bytes (kind pdf). */
export interface AgreementFile {
  id: string;
  language: string;
  fileName: string;
  displayName: string;
  isDefault: boolean;
  /** Epoch ms. */
  createdAt: number;
  kind: 'text' | 'pdf';
  data: string;
}

export type FileInput = Omit<AgreementFile, 'id' | 'createdAt'>;

export interface Agreement {
  id: string;
  tenantId: string;
  displayName: string;
  isViewingBeforeAcceptanceRequired: boolean;
  userReacceptRequiredFrequency: string | null;
  termsExpiration: { startDateTime: string; frequency: string } | null;
  files: AgreementFile[];
  version: number;
  createdAt: number;
  modifiedAt: number | null;
}

export interface AgreementInput {
  displayName: string;
  isViewingBeforeAcceptanceRequired: boolean;
  userReacceptRequiredFrequency: string | null;
  termsExpiration: Agreement['termsExpiration'];
  files: FileInput[];
}

export type AgreementPatch = Partial<AgreementInput>;

function fromRow(r: AgreementsTable): Agreement {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    displayName: r.display_name,
    isViewingBeforeAcceptanceRequired: r.is_viewing_before_acceptance_required === 1,
    userReacceptRequiredFrequency: r.user_reaccept_required_frequency,
    termsExpiration: r.terms_expiration === null ? null : (JSON.parse(r.terms_expiration) as Agreement['termsExpiration']),
    files: JSON.parse(r.files) as AgreementFile[],
    version: Number(r.version),
    createdAt: Number(r.created_at),
    modifiedAt: r.modified_at === null ? null : Number(r.modified_at),
  };
}

/** Files as stored: ids and times given, and a lone file is the default. */
function storedFiles(files: FileInput[], now: number): AgreementFile[] {
  return files.map((f) => ({ ...f, isDefault: files.length === 1 ? true : f.isDefault, id: newId(), createdAt: now }));
}

/** Whether two lists of files say the same thing (then a PATCH makes no new version). */
function sameFiles(a: readonly FileInput[], b: readonly FileInput[]): boolean {
  const key = (f: FileInput) => JSON.stringify([f.language.toLowerCase(), f.fileName, f.displayName, f.isDefault, f.kind, f.data]);
  return a.length === b.length && a.every((f, i) => key(f) === key(b[i]!));
}

/** The tenant's agreements, oldest first. */
export async function listAgreements(db: Executor, tenantId: string): Promise<Agreement[]> {
  const rows = await db.selectFrom('agreements').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.map(fromRow);
}

/** An agreement as the check of what a person owes needs it: no files (they may be PDFs of megabytes). */
export interface AgreementVersion {
  id: string;
  version: number;
}

/** The tenant's agreements' ids and versions, oldest first (each sign-in asks: see terms-acceptances.ts). */
export async function listAgreementVersions(db: Executor, tenantId: string): Promise<AgreementVersion[]> {
  const rows = await db.selectFrom('agreements').select(['id', 'version']).where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, version: Number(r.version) }));
}

export async function countAgreements(db: Executor, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('agreements')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function findAgreement(db: Executor, tenantId: string, id: string): Promise<Agreement | undefined> {
  const row = await db.selectFrom('agreements').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

function agreementAudit(activity: AuditEvent['activity'], a: Agreement, actor: Actor, at: number, details: Record<string, string> = {}): AuditEvent {
  return {
    tenantId: a.tenantId,
    activity,
    category: 'Policy',
    service: 'Terms Of Use',
    operationType: activity === activities.createTermsOfUse ? 'Add' : activity === activities.deleteTermsOfUse ? 'Delete' : 'Update',
    result: 'success',
    actor,
    targets: [{ id: a.id, type: 'Policy', displayName: a.displayName }],
    details: { ...details, version: String(a.version) },
    correlationId: newId(),
    at,
  };
}

export async function createAgreement(ctx: AppContext, tenantId: string, input: AgreementInput, actor: Actor): Promise<Agreement> {
  const now = ctx.clock.now();
  const row: AgreementsTable = {
    id: newId(),
    tenant_id: tenantId,
    display_name: input.displayName,
    is_viewing_before_acceptance_required: input.isViewingBeforeAcceptanceRequired ? 1 : 0,
    user_reaccept_required_frequency: input.userReacceptRequiredFrequency,
    terms_expiration: input.termsExpiration ? JSON.stringify(input.termsExpiration) : null,
    files: JSON.stringify(storedFiles(input.files, now)),
    version: 1,
    created_at: now,
    modified_at: null,
  };
  const created = fromRow(row);
  await ctx.db.transaction(async (trx) => {
    await trx.insertInto('agreements').values(row).execute();
    await recordAudit(trx, agreementAudit(activities.createTermsOfUse, created, actor, now));
  });
  return created;
}

/**
 * Applies `patch`, checks the result with `check` (which throws), stores and audits it; undefined when
 * there is no such agreement. New files that differ from the current ones make a new version.
 */
export async function updateAgreement(
  ctx: AppContext,
  tenantId: string,
  id: string,
  patch: AgreementPatch,
  actor: Actor,
  check: (next: AgreementInput) => void,
): Promise<Agreement | undefined> {
  return ctx.db.transaction(async (trx) => {
    const now = ctx.clock.now();
    // The write first, so that on PostgreSQL the row is locked before it is read.
    const touched = await trx.updateTable('agreements').set({ modified_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return undefined;
    const current = (await findAgreement(trx, tenantId, id))!;
    const next: AgreementInput = {
      displayName: patch.displayName ?? current.displayName,
      isViewingBeforeAcceptanceRequired: patch.isViewingBeforeAcceptanceRequired ?? current.isViewingBeforeAcceptanceRequired,
      userReacceptRequiredFrequency:
        patch.userReacceptRequiredFrequency === undefined ? current.userReacceptRequiredFrequency : patch.userReacceptRequiredFrequency,
      termsExpiration: patch.termsExpiration === undefined ? current.termsExpiration : patch.termsExpiration,
      files: patch.files ?? current.files,
    };
    check(next);
    const newVersion = patch.files !== undefined && !sameFiles(storedFiles(patch.files, now), current.files);
    await trx
      .updateTable('agreements')
      .set({
        display_name: next.displayName,
        is_viewing_before_acceptance_required: next.isViewingBeforeAcceptanceRequired ? 1 : 0,
        user_reaccept_required_frequency: next.userReacceptRequiredFrequency,
        terms_expiration: next.termsExpiration ? JSON.stringify(next.termsExpiration) : null,
        ...(newVersion ? { files: JSON.stringify(storedFiles(next.files, now)), version: current.version + 1 } : {}),
      })
      .where('id', '=', id)
      .execute();
    const updated = (await findAgreement(trx, tenantId, id))!;
    await recordAudit(trx, agreementAudit(activities.editTermsOfUse, updated, actor, now, newVersion ? { newVersion: 'true' } : {}));
    return updated;
  });
}

/** Deletes the agreement and its acceptances (the audit log keeps who accepted what). */
export async function deleteAgreement(ctx: AppContext, tenantId: string, id: string, actor: Actor): Promise<boolean> {
  return ctx.db.transaction(async (trx) => {
    const current = await findAgreement(trx, tenantId, id);
    if (!current) return false;
    await trx.deleteFrom('agreement_acceptances').where('agreement_id', '=', id).execute();
    await trx.deleteFrom('agreements').where('id', '=', id).execute();
    await recordAudit(trx, agreementAudit(activities.deleteTermsOfUse, current, actor, ctx.clock.now()));
    return true;
  });
}
