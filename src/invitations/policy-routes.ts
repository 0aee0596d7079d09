/**
 * `/policies/authorizationPolicy` (who may invite), `/policies/b2bManagementPolicy` (which domains) and
 * Foyer's `/policies/invitationPolicy` (how long a redemption link lives). Changes take effect for the
 * next invitation in every process (policies are read per invitation) and are audited.
 */
import { z } from 'zod';
import { activities, recordAudit } from '../directory/audit-log.js';
import { normalizeDomain } from '../directory/domains.js';
import {
  allowInvitesFromValues,
  defaultPolicies,
  emailOtpStates,
  guestUserRoles,
  type InvitationPolicies,
  MAX_POLICY_CHARS,
  readInvitationPolicies,
  writeInvitationPolicy,
} from '../directory/policies.js';
import { fallbackProviders, primaryProviders } from '../directory/redemption-configuration.js';
import { directoryRoles } from '../directory/roles.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody } from '../graph/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';

const GA = [directoryRoles.globalAdministrator.id];
const readRule: AccessRule = {
  app: ['Policy.Read.All', 'Policy.ReadWrite.Authorization'],
  delegated: ['Policy.Read.All', 'Policy.ReadWrite.Authorization'],
  membersOnly: true,
};
const writeRule: AccessRule = { app: ['Policy.ReadWrite.Authorization'], delegated: ['Policy.ReadWrite.Authorization'], roles: GA };
const b2bRead: AccessRule = {
  app: ['Policy.Read.All', 'Policy.Read.B2BManagementPolicy', 'Policy.ReadWrite.B2BManagementPolicy'],
  delegated: ['Policy.Read.All', 'Policy.Read.B2BManagementPolicy', 'Policy.ReadWrite.B2BManagementPolicy'],
  membersOnly: true,
};
// Entra: collaboration restrictions need a Global Administrator (item 35).
const b2bWrite: AccessRule = { app: ['Policy.ReadWrite.B2BManagementPolicy'], delegated: ['Policy.ReadWrite.B2BManagementPolicy'], roles: GA };

const authorizationBody = z.strictObject({
  allowInvitesFrom: z.enum(allowInvitesFromValues, { error: `expected one of ${allowInvitesFromValues.join(', ')}` }).optional(),
  allowEmailVerifiedUsersToJoinOrganization: z.boolean().optional(),
  guestUserRoleId: z.enum(Object.values(guestUserRoles) as [string, ...string[]], { error: 'expected one of the three guest role template ids' }).optional(),
});

const domainList = z.array(z.string().max(260)).max(5000);
const b2bBody = z.strictObject({
  invitationsAllowedAndBlockedDomainsPolicy: z.strictObject({
    allowedDomains: domainList.nullable().optional(),
    blockedDomains: domainList.nullable().optional(),
  }),
});

const crossTenantRead: AccessRule = {
  app: ['Policy.Read.All', 'Policy.ReadWrite.CrossTenantAccess'],
  delegated: ['Policy.Read.All', 'Policy.ReadWrite.CrossTenantAccess'],
  membersOnly: true,
};
const crossTenantWrite: AccessRule = { app: ['Policy.ReadWrite.CrossTenantAccess'], delegated: ['Policy.ReadWrite.CrossTenantAccess'], roles: GA };
const methodRead: AccessRule = {
  app: ['Policy.Read.All', 'Policy.ReadWrite.AuthenticationMethod'],
  delegated: ['Policy.Read.All', 'Policy.ReadWrite.AuthenticationMethod'],
  membersOnly: true,
};
const methodWrite: AccessRule = { app: ['Policy.ReadWrite.AuthenticationMethod'], delegated: ['Policy.ReadWrite.AuthenticationMethod'], roles: GA };

/** Of Graph's `crossTenantAccessPolicyInboundTrust`, Foyer keeps MFA; device claims it cannot check are refused if asked for. */
const inboundTrustBody = z.strictObject({
  isMfaAccepted: z.boolean(),
  isCompliantDeviceAccepted: z.literal(false, { error: 'trusting devices is not supported by Foyer' }).optional(),
  isHybridAzureADJoinedDeviceAccepted: z.literal(false, { error: 'trusting devices is not supported by Foyer' }).optional(),
});

const crossTenantBody = z.strictObject({
  inboundTrust: inboundTrustBody.optional(),
  invitationRedemptionIdentityProviderConfiguration: z
    .strictObject({
      primaryIdentityProviderPrecedenceOrder: z
        .array(z.enum(primaryProviders, { error: `expected values from ${primaryProviders.join(', ')}` }))
        .max(primaryProviders.length)
        .refine((list) => new Set(list).size === list.length, 'each identity provider may appear once')
        .optional(),
      fallbackIdentityProvider: z.enum(fallbackProviders, { error: `expected one of ${fallbackProviders.join(', ')}` }).optional(),
    })
    .optional(),
});

const emailMethodBody = z
  .object({
    '@odata.type': z.literal('#microsoft.graph.emailAuthenticationMethodConfiguration').optional(),
    allowExternalIdToUseEmailOtp: z.enum(emailOtpStates, { error: `expected one of ${emailOtpStates.join(', ')}` }),
  })
  .strict();

const invitationPolicyBody = z.strictObject({
  redemptionTicketLifetimeInDays: z.number().int().min(1).max(3650).nullable(),
});

/** `example.com` or `*.example.com`, lower-cased; anything else is refused with its position. */
function domainPatterns(list: string[], name: string): string[] {
  return [
    ...new Set(
      list.map((entry, i) => {
        const wildcard = entry.trim().startsWith('*.');
        const domain = normalizeDomain(wildcard ? entry.trim().slice(2) : entry);
        if (!domain) throw new FoyerError('policy.invalid', `${name}[${i}] '${entry.slice(0, 100)}' is not a domain name or a *.domain wildcard.`);
        return wildcard ? `*.${domain}` : domain;
      }),
    ),
  ];
}

export function registerPolicyRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;

  const authorizationView = (p: InvitationPolicies) => ({
    '@odata.context': `${base}/$metadata#policies/authorizationPolicy/$entity`,
    id: 'authorizationPolicy',
    displayName: 'Authorization Policy',
    description: 'Used to manage authorization related settings across the company.',
    allowInvitesFrom: p.authorization.allowInvitesFrom,
    allowEmailVerifiedUsersToJoinOrganization: p.authorization.allowEmailVerifiedUsersToJoinOrganization,
    guestUserRoleId: p.authorization.guestUserRoleId,
  });

  /** Stores the policy and its audit event together. */
  async function save<K extends keyof InvitationPolicies>(
    request: import('fastify').FastifyRequest,
    tenantId: string,
    key: K,
    value: InvitationPolicies[K],
    activity: (typeof activities)[keyof typeof activities],
    policy: string,
  ) {
    const who = await caller(request);
    await ctx.db.transaction(async (trx) => {
      await writeInvitationPolicy(trx, tenantId, key, value, ctx.clock.now());
      await recordAudit(trx, {
        tenantId,
        activity,
        category: 'Policy',
        operationType: 'Update',
        result: 'success',
        actor: actorOf(who, request.ip),
        targets: [{ id: policy, type: 'Policy', displayName: policy }],
        details: { newValue: JSON.stringify(value) },
        correlationId: newId(),
        at: ctx.clock.now(),
      });
    });
    await deps.tenantChanged(tenantId);
  }

  app.get('/policies/authorizationPolicy', async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    return authorizationView(await readInvitationPolicies(ctx.db.kysely, who.tenantId));
  });

  app.patch('/policies/authorizationPolicy', async (request, reply) => {
    const who = await caller(request);
    authorize(who, writeRule);
    const body = parseBody(authorizationBody, request.body);
    const current = await readInvitationPolicies(ctx.db.kysely, who.tenantId);
    const next = { ...current.authorization, ...Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) };
    await save(request, who.tenantId, 'authorization', next, activities.updateAuthorizationPolicy, 'authorizationPolicy');
    return reply.code(204).send();
  });

  app.get('/policies/b2bManagementPolicy', async (request) => {
    const who = await caller(request);
    authorize(who, b2bRead);
    const p = await readInvitationPolicies(ctx.db.kysely, who.tenantId);
    return {
      '@odata.context': `${base}/$metadata#policies/b2bManagementPolicy/$entity`,
      id: 'b2bManagementPolicy',
      displayName: 'B2BManagementPolicy',
      ...p.b2bManagement,
    };
  });

  app.patch('/policies/b2bManagementPolicy', async (request, reply) => {
    const who = await caller(request);
    authorize(who, b2bWrite);
    const body = parseBody(b2bBody, request.body);
    const allowed = domainPatterns(body.invitationsAllowedAndBlockedDomainsPolicy.allowedDomains ?? [], 'allowedDomains');
    const blocked = domainPatterns(body.invitationsAllowedAndBlockedDomainsPolicy.blockedDomains ?? [], 'blockedDomains');
    if (allowed.length && blocked.length) {
      throw new FoyerError(
        'policy.invalid',
        'Set either allowedDomains or blockedDomains, not both: domains outside an allow list are blocked, and domains outside a deny list are allowed.',
      );
    }
    // Writing one list replaces the policy, so switching from a deny list to an allow list discards the
    // old list (as in Entra, item 41).
    const next = { invitationsAllowedAndBlockedDomainsPolicy: { allowedDomains: allowed, blockedDomains: blocked } };
    if (JSON.stringify(next).length > MAX_POLICY_CHARS) {
      throw new FoyerError('policy.invalid', `The policy is larger than ${MAX_POLICY_CHARS} characters; use *.domain wildcards to shorten it.`);
    }
    await save(request, who.tenantId, 'b2bManagement', next, activities.updateB2bManagementPolicy, 'b2bManagementPolicy');
    return reply.code(204).send();
  });

  app.get('/policies/invitationPolicy', async (request) => {
    const who = await caller(request);
    authorize(who, readRule);
    const p = await readInvitationPolicies(ctx.db.kysely, who.tenantId);
    return { '@odata.context': `${base}/$metadata#policies/invitationPolicy/$entity`, id: 'invitationPolicy', ...p.invitation };
  });

  app.patch('/policies/invitationPolicy', async (request, reply) => {
    const who = await caller(request);
    authorize(who, writeRule);
    const body = parseBody(invitationPolicyBody, request.body);
    await save(request, who.tenantId, 'invitation', body, activities.updateInvitationPolicy, 'invitationPolicy');
    return reply.code(204).send();
  });

  const crossTenantView = (p: InvitationPolicies) => ({
    '@odata.context': `${base}/$metadata#policies/crossTenantAccessPolicy/default/$entity`,
    isServiceDefault:
      JSON.stringify(p.redemption) === JSON.stringify(defaultPolicies.redemption) &&
      p.inboundTrust.isMfaAccepted === defaultPolicies.inboundTrust.isMfaAccepted,
    inboundTrust: { isMfaAccepted: p.inboundTrust.isMfaAccepted, isCompliantDeviceAccepted: false, isHybridAzureADJoinedDeviceAccepted: false },
    invitationRedemptionIdentityProviderConfiguration: p.redemption,
  });

  app.get('/policies/crossTenantAccessPolicy/default', async (request) => {
    const who = await caller(request);
    authorize(who, crossTenantRead);
    return crossTenantView(await readInvitationPolicies(ctx.db.kysely, who.tenantId));
  });

  app.patch('/policies/crossTenantAccessPolicy/default', async (request, reply) => {
    const who = await caller(request);
    authorize(who, crossTenantWrite);
    const parsed = parseBody(crossTenantBody, request.body);
    const body = parsed.invitationRedemptionIdentityProviderConfiguration;
    if (body) {
      const current = (await readInvitationPolicies(ctx.db.kysely, who.tenantId)).redemption;
      const next = {
        primaryIdentityProviderPrecedenceOrder: body.primaryIdentityProviderPrecedenceOrder ?? current.primaryIdentityProviderPrecedenceOrder,
        fallbackIdentityProvider: body.fallbackIdentityProvider ?? current.fallbackIdentityProvider,
      };
      await save(request, who.tenantId, 'redemption', next, activities.updateCrossTenantAccessPolicy, 'crossTenantAccessPolicy/default');
    }
    if (parsed.inboundTrust) {
      const next = { isMfaAccepted: parsed.inboundTrust.isMfaAccepted };
      await save(request, who.tenantId, 'inboundTrust', next, activities.updateCrossTenantAccessPolicy, 'crossTenantAccessPolicy/default');
    }
    return reply.code(204).send();
  });

  const emailMethodPath = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email';
  app.get(emailMethodPath, async (request) => {
    const who = await caller(request);
    authorize(who, methodRead);
    const p = await readInvitationPolicies(ctx.db.kysely, who.tenantId);
    return {
      '@odata.context': `${base}/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity`,
      '@odata.type': '#microsoft.graph.emailAuthenticationMethodConfiguration',
      id: 'Email',
      state: 'enabled',
      allowExternalIdToUseEmailOtp: p.emailOtp.allowExternalIdToUseEmailOtp,
      includeTargets: [],
      excludeTargets: [],
    };
  });

  app.patch(emailMethodPath, async (request, reply) => {
    const who = await caller(request);
    authorize(who, methodWrite);
    const body = parseBody(emailMethodBody, request.body);
    await save(
      request,
      who.tenantId,
      'emailOtp',
      { allowExternalIdToUseEmailOtp: body.allowExternalIdToUseEmailOtp },
      activities.updateAuthenticationMethodPolicy,
      'authenticationMethodsPolicy/email',
    );
    return reply.code(204).send();
  });
}
