/**
 * `policies/externalIdentitiesPolicy`: the tenant's "External user leave settings". Foyer keeps
 * `allowExternalIdentitiesToLeave` (default true, as in Entra): whether a guest may leave the organization
 * from their "My organizations" page (leave.ts decides). `allowDeletedIdentitiesDataRemoval` (Entra's
 * request to remove a departed guest's data for good) is always false: Foyer purges soft-deleted users on
 * its own schedule and offers no such request, so a PATCH that sets it true is refused rather than ignored.
 * Stored in `tenant_policies` through the directory's policies.ts; every change is audited.
 */

import { z } from 'zod';
import { activities, recordAudit } from '../directory/audit-log.js';
import { type ExternalIdentitiesPolicy, readInvitationPolicies, writeInvitationPolicy } from '../directory/policies.js';
import { directoryRoles } from '../directory/roles.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody } from '../graph/index.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';

const PATH = '/policies/externalIdentitiesPolicy';

// Graph: reading needs Policy.Read.All (or the write permission); Entra's portal setting needs an External
// Identity Provider Administrator, a role Foyer does not have: its Global Administrator stands in.
const readRule: AccessRule = {
  app: ['Policy.Read.All', 'Policy.ReadWrite.ExternalIdentities'],
  delegated: ['Policy.Read.All', 'Policy.ReadWrite.ExternalIdentities'],
  membersOnly: true,
};
const writeRule: AccessRule = {
  app: ['Policy.ReadWrite.ExternalIdentities'],
  delegated: ['Policy.ReadWrite.ExternalIdentities'],
  roles: [directoryRoles.globalAdministrator.id],
};

const patchBody = z.strictObject({
  allowExternalIdentitiesToLeave: z.boolean().optional(),
  allowDeletedIdentitiesDataRemoval: z.literal(false, { error: 'removing a departed guest’s data on request is not supported by Foyer' }).optional(),
});

/** The tenant's leave setting (Entra's default when never set). */
export async function readExternalIdentitiesPolicy(db: Executor, tenantId: string): Promise<ExternalIdentitiesPolicy> {
  return (await readInvitationPolicies(db, tenantId)).externalIdentities;
}

export function registerExternalIdentitiesPolicyRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get(PATH, async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    const p = await readExternalIdentitiesPolicy(ctx.db.kysely, who.tenantId);
    return {
      '@odata.context': `${base}/$metadata#policies/externalIdentitiesPolicy/$entity`,
      id: 'externalIdentitiesPolicy',
      displayName: 'External Identities Policy',
      description: 'Whether external users may leave the organization by themselves.',
      deletedDateTime: null,
      allowExternalIdentitiesToLeave: p.allowExternalIdentitiesToLeave,
      allowDeletedIdentitiesDataRemoval: false,
    };
  });

  app.patch(PATH, async (request, reply) => {
    const who = await caller(request);
    authorize(who, writeRule);
    const body = parseBody(patchBody, request.body);
    const current = await readExternalIdentitiesPolicy(ctx.db.kysely, who.tenantId);
    const next: ExternalIdentitiesPolicy = { allowExternalIdentitiesToLeave: body.allowExternalIdentitiesToLeave ?? current.allowExternalIdentitiesToLeave };
    await ctx.db.transaction(async (trx) => {
      await writeInvitationPolicy(trx, who.tenantId, 'externalIdentities', next, ctx.clock.now());
      await recordAudit(trx, {
        tenantId: who.tenantId,
        activity: activities.updateExternalIdentitiesPolicy,
        category: 'Policy',
        operationType: 'Update',
        result: 'success',
        actor: actorOf(who, request.ip),
        targets: [{ id: 'externalIdentitiesPolicy', type: 'Policy', displayName: 'externalIdentitiesPolicy' }],
        details: { newValue: JSON.stringify(next) },
        correlationId: newId(),
        at: ctx.clock.now(),
      });
    });
    await deps.tenantChanged(who.tenantId);
    return reply.code(204).send();
  });
}
