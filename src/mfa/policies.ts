/**
 * A tenant's Conditional Access policies (`conditional_access_policies`) and its partner-specific
 * cross-tenant settings (`cross_tenant_partners`): storage, the audit of every change (in the change's
 * transaction), and the facts a sign-in's evaluation needs. The decisions themselves are in
 * `conditional-access.ts`.
 */
import { type Actor, type AuditEvent, activities, recordAudit } from '../directory/audit-log.js';
import { transitiveGroupIdsOf } from '../directory/memberships.js';
import { readInvitationPolicies } from '../directory/policies.js';
import { listRoleIdsOf, type User } from '../directory/users.js';
import type { AppContext } from '../platform/context.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { ConditionalAccessPoliciesTable, CrossTenantPartnersTable } from '../platform/storage/schema.js';
import { type ConditionalAccessPolicy, evaluatePolicies, type PolicyOutcome } from './conditional-access.js';

/** What a client sets: the policy without its id and times. */
export type PolicyInput = Omit<ConditionalAccessPolicy, 'id' | 'createdDateTime' | 'modifiedDateTime'>;

/** A PATCH body: any part of the input; nested objects merge, lists and `null` replace. */
export type PolicyPatch = {
  displayName?: string;
  state?: PolicyInput['state'];
  conditions?: {
    users?: Partial<PolicyInput['conditions']['users']>;
    applications?: Partial<PolicyInput['conditions']['applications']>;
    clientAppTypes?: string[];
  };
  grantControls?: PolicyInput['grantControls'];
  sessionControls?: PolicyInput['sessionControls'];
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function policyFromRow(r: ConditionalAccessPoliciesTable): ConditionalAccessPolicy {
  const document = JSON.parse(r.document) as Pick<ConditionalAccessPolicy, 'conditions' | 'grantControls' | 'sessionControls'>;
  return {
    id: r.id,
    displayName: r.display_name,
    state: r.state,
    createdDateTime: iso(Number(r.created_at)),
    modifiedDateTime: r.modified_at === null ? null : iso(Number(r.modified_at)),
    conditions: document.conditions,
    grantControls: document.grantControls,
    sessionControls: document.sessionControls,
  };
}

const documentOf = (p: PolicyInput) => JSON.stringify({ conditions: p.conditions, grantControls: p.grantControls, sessionControls: p.sessionControls });

/** The tenant's policies, oldest first (the order the sign-in log lists them in). */
export async function listPolicies(db: Executor, tenantId: string): Promise<ConditionalAccessPolicy[]> {
  const rows = await db.selectFrom('conditional_access_policies').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.map(policyFromRow);
}

export async function findPolicy(db: Executor, tenantId: string, id: string): Promise<ConditionalAccessPolicy | undefined> {
  const row = await db.selectFrom('conditional_access_policies').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? policyFromRow(row) : undefined;
}

function policyAudit(tenantId: string, activity: AuditEvent['activity'], policy: ConditionalAccessPolicy, actor: Actor, at: number): AuditEvent {
  return {
    tenantId,
    activity,
    category: 'Policy',
    operationType: activity === activities.addConditionalAccessPolicy ? 'Add' : activity === activities.deleteConditionalAccessPolicy ? 'Delete' : 'Update',
    result: 'success',
    actor,
    targets: [{ id: policy.id, type: 'Policy', displayName: policy.displayName }],
    details: activity === activities.deleteConditionalAccessPolicy ? {} : { state: policy.state, newValue: documentOf(policy) },
    correlationId: newId(),
    at,
  };
}

export async function createPolicy(ctx: AppContext, tenantId: string, input: PolicyInput, actor: Actor): Promise<ConditionalAccessPolicy> {
  const now = ctx.clock.now();
  const row: ConditionalAccessPoliciesTable = {
    id: newId(),
    tenant_id: tenantId,
    display_name: input.displayName,
    state: input.state,
    document: documentOf(input),
    created_at: now,
    modified_at: null,
  };
  const created = policyFromRow(row);
  await ctx.db.transaction(async (trx) => {
    await trx.insertInto('conditional_access_policies').values(row).execute();
    await recordAudit(trx, policyAudit(tenantId, activities.addConditionalAccessPolicy, created, actor, now));
  });
  return created;
}

/** The policy with the patch applied (pure): nested objects merge, lists and `null` replace. */
export function patchedPolicy(current: PolicyInput, patch: PolicyPatch): PolicyInput {
  const conditions = patch.conditions ?? {};
  return {
    displayName: patch.displayName ?? current.displayName,
    state: patch.state ?? current.state,
    conditions: {
      users: { ...current.conditions.users, ...conditions.users },
      applications: { ...current.conditions.applications, ...conditions.applications },
      clientAppTypes: conditions.clientAppTypes ?? current.conditions.clientAppTypes,
    },
    grantControls: patch.grantControls === undefined ? current.grantControls : patch.grantControls,
    sessionControls: patch.sessionControls === undefined ? current.sessionControls : patch.sessionControls,
  };
}

/**
 * Applies `patch` to the policy, checks the result with `check` (which throws), stores and audits it;
 * undefined when there is no such policy. Read and written in one transaction, so two simultaneous
 * patches to different parts both land.
 */
export async function updatePolicy(
  ctx: AppContext,
  tenantId: string,
  id: string,
  patch: PolicyPatch,
  actor: Actor,
  check: (next: PolicyInput) => void = () => {},
): Promise<ConditionalAccessPolicy | undefined> {
  return ctx.db.transaction(async (trx) => {
    // The write first, so that on PostgreSQL the row is locked before it is read.
    const now = ctx.clock.now();
    const touched = await trx
      .updateTable('conditional_access_policies')
      .set({ modified_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(touched.numUpdatedRows) === 0) return undefined;
    const current = (await findPolicy(trx, tenantId, id))!;
    const next = patchedPolicy(current, patch);
    check(next);
    await trx
      .updateTable('conditional_access_policies')
      .set({ display_name: next.displayName, state: next.state, document: documentOf(next) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
    const updated: ConditionalAccessPolicy = { ...current, ...next, modifiedDateTime: iso(now) };
    await recordAudit(trx, policyAudit(tenantId, activities.updateConditionalAccessPolicy, updated, actor, now));
    return updated;
  });
}

/** Deletes the policy and audits it; undefined when there is no such policy. */
export async function deletePolicy(ctx: AppContext, tenantId: string, id: string, actor: Actor): Promise<ConditionalAccessPolicy | undefined> {
  return ctx.db.transaction(async (trx) => {
    const found = await findPolicy(trx, tenantId, id);
    if (!found) return undefined;
    await trx.deleteFrom('conditional_access_policies').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await recordAudit(trx, policyAudit(tenantId, activities.deleteConditionalAccessPolicy, found, actor, ctx.clock.now()));
    return found;
  });
}

/**
 * Everything the evaluation needs for one user of one tenant: the tenant's policies, the user's
 * transitive group ids and directory role template ids, and whether they are external (a guest, or a
 * member invited from outside). `creationType` left out counts as null (not invited).
 */
export async function policyOutcomeFor(
  ctx: AppContext,
  tenantId: string,
  user: Pick<User, 'id' | 'userType'> & Partial<Pick<User, 'creationType'>>,
  appId: string | undefined,
): Promise<PolicyOutcome> {
  const db = ctx.db.kysely;
  const policies = await listPolicies(db, tenantId);
  const who = { userId: user.id, userType: user.userType, external: user.userType === 'Guest' || user.creationType === 'Invitation', appId };
  // No policy, nothing to look up (the common case in a tenant without Conditional Access).
  if (policies.every((p) => p.state === 'disabled')) return evaluatePolicies(policies, { ...who, groupIds: [], roleTemplateIds: [] });
  const [groupIds, roleTemplateIds] = await Promise.all([transitiveGroupIdsOf(db, tenantId, user.id), listRoleIdsOf(db, tenantId, user.id)]);
  return evaluatePolicies(policies, { ...who, groupIds, roleTemplateIds });
}

// --- partners ------------------------------------------------------------------------------------------

/** Graph's `crossTenantAccessPolicyConfigurationPartner`, the part Foyer keeps. */
export interface CrossTenantPartner {
  tenantId: string;
  /** null: the partner inherits the default's inbound trust. */
  inboundTrust: { isMfaAccepted: boolean } | null;
  createdAt: number;
}

function partnerFromRow(r: CrossTenantPartnersTable): CrossTenantPartner {
  return {
    tenantId: r.partner_tenant_id,
    inboundTrust: r.inbound_trust === null ? null : (JSON.parse(r.inbound_trust) as { isMfaAccepted: boolean }),
    createdAt: Number(r.created_at),
  };
}

export async function listPartners(db: Executor, tenantId: string): Promise<CrossTenantPartner[]> {
  const rows = await db.selectFrom('cross_tenant_partners').selectAll().where('tenant_id', '=', tenantId).orderBy('partner_tenant_id').execute();
  return rows.map(partnerFromRow);
}

export async function findPartner(db: Executor, tenantId: string, partnerTenantId: string): Promise<CrossTenantPartner | undefined> {
  const row = await db
    .selectFrom('cross_tenant_partners')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('partner_tenant_id', '=', partnerTenantId)
    .executeTakeFirst();
  return row ? partnerFromRow(row) : undefined;
}

function partnerAudit(tenantId: string, activity: AuditEvent['activity'], partner: CrossTenantPartner, actor: Actor, at: number): AuditEvent {
  return {
    tenantId,
    activity,
    category: 'Policy',
    operationType: activity === activities.addCrossTenantPartner ? 'Add' : activity === activities.deleteCrossTenantPartner ? 'Delete' : 'Update',
    result: 'success',
    actor,
    targets: [{ id: partner.tenantId, type: 'Policy', displayName: `crossTenantAccessPolicy/partners/${partner.tenantId}` }],
    details: activity === activities.deleteCrossTenantPartner ? {} : { inboundTrust: JSON.stringify(partner.inboundTrust) },
    correlationId: newId(),
    at,
  };
}

/** Adds a partner entry; undefined when the tenant already has one for that partner. */
export async function createPartner(
  ctx: AppContext,
  tenantId: string,
  partner: Omit<CrossTenantPartner, 'createdAt'>,
  actor: Actor,
): Promise<CrossTenantPartner | undefined> {
  const now = ctx.clock.now();
  const created: CrossTenantPartner = { ...partner, createdAt: now };
  return ctx.db.transaction(async (trx) => {
    // ON CONFLICT DO NOTHING: two simultaneous POSTs for one partner, one 201 and one conflict, no 500.
    const inserted = await trx
      .insertInto('cross_tenant_partners')
      .values({
        tenant_id: tenantId,
        partner_tenant_id: partner.tenantId,
        inbound_trust: partner.inboundTrust === null ? null : JSON.stringify(partner.inboundTrust),
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'partner_tenant_id']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
    await recordAudit(trx, partnerAudit(tenantId, activities.addCrossTenantPartner, created, actor, now));
    return created;
  });
}

/** Sets the partner's inbound trust (`undefined` leaves it); undefined when there is no such partner. */
export async function updatePartner(
  ctx: AppContext,
  tenantId: string,
  partnerTenantId: string,
  inboundTrust: CrossTenantPartner['inboundTrust'] | undefined,
  actor: Actor,
): Promise<CrossTenantPartner | undefined> {
  return ctx.db.transaction(async (trx) => {
    let query = trx.updateTable('cross_tenant_partners').where('tenant_id', '=', tenantId).where('partner_tenant_id', '=', partnerTenantId);
    query =
      inboundTrust === undefined
        ? query.set((eb) => ({ inbound_trust: eb.ref('inbound_trust') }))
        : query.set({ inbound_trust: inboundTrust === null ? null : JSON.stringify(inboundTrust) });
    const updated = await query.executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return undefined;
    const partner = (await findPartner(trx, tenantId, partnerTenantId))!;
    await recordAudit(trx, partnerAudit(tenantId, activities.updateCrossTenantAccessPolicy, partner, actor, ctx.clock.now()));
    return partner;
  });
}

export async function deletePartner(ctx: AppContext, tenantId: string, partnerTenantId: string, actor: Actor): Promise<CrossTenantPartner | undefined> {
  return ctx.db.transaction(async (trx) => {
    const found = await findPartner(trx, tenantId, partnerTenantId);
    if (!found) return undefined;
    await trx.deleteFrom('cross_tenant_partners').where('tenant_id', '=', tenantId).where('partner_tenant_id', '=', partnerTenantId).execute();
    await recordAudit(trx, partnerAudit(tenantId, activities.deleteCrossTenantPartner, found, actor, ctx.clock.now()));
    return found;
  });
}

/**
 * Does `resourceTenantId` accept MFA performed in `homeTenantId`? The partner entry's
 * `inboundTrust.isMfaAccepted` if it sets one, else the default's (false unless changed), as in Entra.
 */
export async function isMfaTrusted(ctx: AppContext, resourceTenantId: string, homeTenantId: string): Promise<boolean> {
  if (resourceTenantId === homeTenantId) return true;
  const partner = await findPartner(ctx.db.kysely, resourceTenantId, homeTenantId);
  if (partner?.inboundTrust) return partner.inboundTrust.isMfaAccepted;
  return (await readInvitationPolicies(ctx.db.kysely, resourceTenantId)).inboundTrust.isMfaAccepted;
}
