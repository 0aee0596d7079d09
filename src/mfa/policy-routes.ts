/**
 * `identity/conditionalAccess/policies` (Graph's `conditionalAccessPolicy`, the subset Foyer enforces:
 * who, which apps, MFA, sign-in frequency) and `policies/crossTenantAccessPolicy/partners/{tenantId}`
 * (a partner organization's `inboundTrust`, overriding the default's). Every change is audited under
 * Entra's activity name, in the change's transaction.
 */
import { directoryRoles } from '../directory/roles.js';
import { findTenant } from '../directory/tenants.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody } from '../graph/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { ConditionalAccessPolicy } from './conditional-access.js';
import { refuseQueryOptions } from './method-routes.js';
import {
  type CrossTenantPartner,
  createPartner,
  createPolicy,
  deletePartner,
  deletePolicy,
  findPartner,
  findPolicy,
  listPartners,
  listPolicies,
  updatePartner,
  updatePolicy,
} from './policies.js';
import {
  checkPolicy,
  conditionsOf,
  createPartnerBody,
  createPolicyBody,
  grantControlsOf,
  isGuid,
  patchOf,
  sessionControlsOf,
  updatePartnerBody,
  updatePolicyBody,
} from './policy-body.js';

const GA = [directoryRoles.globalAdministrator.id];
// Entra: reading Conditional Access needs an administrator role too (a policy's exclusions are sensitive).
const policyRead: AccessRule = {
  app: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'],
  delegated: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'],
  roles: GA,
};
const policyWrite: AccessRule = { app: ['Policy.ReadWrite.ConditionalAccess'], delegated: ['Policy.ReadWrite.ConditionalAccess'], roles: GA };
// As the default's (invitations/policy-routes.ts).
const partnerRead: AccessRule = {
  app: ['Policy.Read.All', 'Policy.ReadWrite.CrossTenantAccess'],
  delegated: ['Policy.Read.All', 'Policy.ReadWrite.CrossTenantAccess'],
  membersOnly: true,
};
const partnerWrite: AccessRule = { app: ['Policy.ReadWrite.CrossTenantAccess'], delegated: ['Policy.ReadWrite.CrossTenantAccess'], roles: GA };

const POLICIES = '/identity/conditionalAccess/policies';
const PARTNERS = '/policies/crossTenantAccessPolicy/partners';

const notFound = (id: string) =>
  new FoyerError('directory.not_found', `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`);

const policyView = (p: ConditionalAccessPolicy) => ({
  id: p.id,
  displayName: p.displayName,
  state: p.state,
  createdDateTime: p.createdDateTime,
  modifiedDateTime: p.modifiedDateTime,
  conditions: p.conditions,
  grantControls: p.grantControls,
  sessionControls: p.sessionControls
    ? {
        signInFrequency: p.sessionControls.signInFrequency
          ? { ...p.sessionControls.signInFrequency, authenticationType: 'secondaryAuthentication', frequencyInterval: 'timeBased' }
          : null,
      }
    : null,
});

const partnerView = (p: CrossTenantPartner) => ({
  tenantId: p.tenantId,
  inboundTrust: p.inboundTrust
    ? { isMfaAccepted: p.inboundTrust.isMfaAccepted, isCompliantDeviceAccepted: false, isHybridAzureADJoinedDeviceAccepted: false }
    : null,
});

/** `tenantId` names the partner in the URL; a body cannot change it. */
function refuseTenantId(body: unknown): void {
  if (body && typeof body === 'object' && 'tenantId' in body)
    throw new FoyerError('request.invalid_body', "Property 'tenantId' is read-only and cannot be set.");
}

export function mfaPolicyRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  app.get(POLICIES, async (request) => {
    const who = await caller(request);
    authorize(who, policyRead);
    refuseQueryOptions(request, 'Conditional Access policies');
    return {
      '@odata.context': `${base}/$metadata#identity/conditionalAccess/policies`,
      value: (await listPolicies(ctx.db.kysely, who.tenantId)).map(policyView),
    };
  });

  app.post(POLICIES, async (request, reply) => {
    const who = await caller(request);
    authorize(who, policyWrite);
    const b = parseBody(createPolicyBody, request.body);
    const input = {
      displayName: b.displayName,
      state: b.state,
      conditions: conditionsOf(b.conditions),
      grantControls: grantControlsOf(b.grantControls),
      sessionControls: sessionControlsOf(b.sessionControls ?? undefined),
    };
    checkPolicy(input);
    const created = await createPolicy(ctx, who.tenantId, input, actorOf(who, request.ip));
    return reply.code(201).send({ '@odata.context': `${base}/$metadata#identity/conditionalAccess/policies/$entity`, ...policyView(created) });
  });

  app.get(`${POLICIES}/:id`, async (request) => {
    const who = await caller(request);
    authorize(who, policyRead);
    refuseQueryOptions(request, 'Conditional Access policies');
    const { id } = request.params as { id: string };
    const found = isGuid(id) ? await findPolicy(ctx.db.kysely, who.tenantId, id.toLowerCase()) : undefined;
    if (!found) throw notFound(id);
    return { '@odata.context': `${base}/$metadata#identity/conditionalAccess/policies/$entity`, ...policyView(found) };
  });

  app.patch(`${POLICIES}/:id`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, policyWrite);
    const { id } = request.params as { id: string };
    const patch = patchOf(parseBody(updatePolicyBody, request.body));
    const updated = isGuid(id) ? await updatePolicy(ctx, who.tenantId, id.toLowerCase(), patch, actorOf(who, request.ip), checkPolicy) : undefined;
    if (!updated) throw notFound(id);
    return reply.code(204).send();
  });

  app.delete(`${POLICIES}/:id`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, policyWrite);
    const { id } = request.params as { id: string };
    if (!isGuid(id) || !(await deletePolicy(ctx, who.tenantId, id.toLowerCase(), actorOf(who, request.ip)))) throw notFound(id);
    return reply.code(204).send();
  });

  app.get(PARTNERS, async (request) => {
    const who = await caller(request);
    authorize(who, partnerRead);
    refuseQueryOptions(request, 'cross-tenant partner settings');
    return {
      '@odata.context': `${base}/$metadata#policies/crossTenantAccessPolicy/partners`,
      value: (await listPartners(ctx.db.kysely, who.tenantId)).map(partnerView),
    };
  });

  app.post(PARTNERS, async (request, reply) => {
    const who = await caller(request);
    authorize(who, partnerWrite);
    const b = parseBody(createPartnerBody, request.body);
    const tenantId = b.tenantId.toLowerCase();
    if (tenantId === who.tenantId) throw new FoyerError('policy.invalid', 'tenantId is this organization itself; its own sign-ins need no partner setting.');
    if (!(await findTenant(ctx.db.kysely, tenantId))) {
      throw new FoyerError('policy.invalid', `tenantId '${tenantId}' is not an organization on this Foyer instance.`);
    }
    const created = await createPartner(
      ctx,
      who.tenantId,
      { tenantId, inboundTrust: b.inboundTrust ? { isMfaAccepted: b.inboundTrust.isMfaAccepted } : null },
      actorOf(who, request.ip),
    );
    if (!created) throw new FoyerError('directory.conflict', `A partner setting for tenant '${tenantId}' already exists; change it with PATCH.`);
    return reply.code(201).send({ '@odata.context': `${base}/$metadata#policies/crossTenantAccessPolicy/partners/$entity`, ...partnerView(created) });
  });

  app.get(`${PARTNERS}/:tenantId`, async (request) => {
    const who = await caller(request);
    authorize(who, partnerRead);
    refuseQueryOptions(request, 'cross-tenant partner settings');
    const { tenantId } = request.params as { tenantId: string };
    const found = isGuid(tenantId) ? await findPartner(ctx.db.kysely, who.tenantId, tenantId.toLowerCase()) : undefined;
    if (!found) throw notFound(tenantId);
    return { '@odata.context': `${base}/$metadata#policies/crossTenantAccessPolicy/partners/$entity`, ...partnerView(found) };
  });

  app.patch(`${PARTNERS}/:tenantId`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, partnerWrite);
    const { tenantId } = request.params as { tenantId: string };
    refuseTenantId(request.body);
    const b = parseBody(updatePartnerBody, request.body);
    const trust = b.inboundTrust === undefined ? undefined : b.inboundTrust && { isMfaAccepted: b.inboundTrust.isMfaAccepted };
    const updated = isGuid(tenantId) ? await updatePartner(ctx, who.tenantId, tenantId.toLowerCase(), trust, actorOf(who, request.ip)) : undefined;
    if (!updated) throw notFound(tenantId);
    return reply.code(204).send();
  });

  app.delete(`${PARTNERS}/:tenantId`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, partnerWrite);
    const { tenantId } = request.params as { tenantId: string };
    if (!isGuid(tenantId) || !(await deletePartner(ctx, who.tenantId, tenantId.toLowerCase(), actorOf(who, request.ip)))) throw notFound(tenantId);
    return reply.code(204).send();
  });
}
