/**
 * `identityGovernance/termsOfUse/agreements` (Graph's `agreement`: list, get, create, update, delete) and
 * `…/agreements/{id}/acceptances` (Graph's `agreementAcceptance`). Every change is audited under Entra's
 * activity name, in the change's transaction (terms-store.ts).
 */
import type { FastifyRequest } from 'fastify';
import { directoryRoles } from '../directory/roles.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody } from '../graph/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type AgreementAcceptance, listAcceptances } from './terms-acceptances.js';
import { checkAgreement, createAgreementBody, filesOf, MAX_AGREEMENTS, refusePerDevice, updateAgreementBody } from './terms-body.js';
import {
  type Agreement,
  type AgreementPatch,
  countAgreements,
  createAgreement,
  deleteAgreement,
  findAgreement,
  listAgreements,
  updateAgreement,
} from './terms-store.js';

// Entra: the terms are managed by Conditional Access and Security Administrators (and Global Administrators).
const ADMINS = [directoryRoles.globalAdministrator.id, directoryRoles.securityAdministrator.id, directoryRoles.conditionalAccessAdministrator.id];
const read: AccessRule = {
  app: ['Agreement.Read.All', 'Agreement.ReadWrite.All'],
  delegated: ['Agreement.Read.All', 'Agreement.ReadWrite.All'],
  roles: ADMINS,
};
const write: AccessRule = { app: ['Agreement.ReadWrite.All'], delegated: ['Agreement.ReadWrite.All'], roles: ADMINS };
const readAcceptances: AccessRule = {
  app: ['AgreementAcceptance.Read.All', 'Agreement.Read.All', 'Agreement.ReadWrite.All'],
  delegated: ['AgreementAcceptance.Read.All', 'Agreement.Read.All', 'Agreement.ReadWrite.All'],
  roles: ADMINS,
};

const AGREEMENTS = '/identityGovernance/termsOfUse/agreements';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const notFound = (id: string) =>
  new FoyerError('directory.not_found', `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`);

/**
 * Query options are refused, but for `$expand=files` (or `file`) on an agreement: Graph's `files` is a
 * relationship that needs it, and Foyer returns the files inline anyway, so it changes nothing.
 */
function refuseQueryOptions(request: FastifyRequest, expandFiles = false): void {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const option = Object.keys(query).find((k) => {
    if (!k.startsWith('$')) return false;
    if (!expandFiles || k !== '$expand') return true;
    const value = query[k];
    return typeof value !== 'string' || !['files', 'file'].includes(value.trim());
  });
  if (option) throw new FoyerError('request.invalid_query', `Query option '${option}' on terms of use is not supported by Foyer.`);
}

/** The agreement as Graph shows it; `withData`: the files' contents too (a single agreement, not a list). */
export function agreementView(a: Agreement, withData: boolean) {
  return {
    id: a.id,
    displayName: a.displayName,
    isViewingBeforeAcceptanceRequired: a.isViewingBeforeAcceptanceRequired,
    isPerDeviceAcceptanceRequired: false,
    userReacceptRequiredFrequency: a.userReacceptRequiredFrequency,
    termsExpiration: a.termsExpiration,
    version: a.version,
    files: a.files.map((f) => ({
      id: f.id,
      language: f.language,
      fileName: f.fileName,
      displayName: f.displayName,
      isDefault: f.isDefault,
      isMajorVersion: true,
      createdDateTime: iso(f.createdAt),
      ...(withData ? { fileData: { data: f.data } } : {}),
    })),
  };
}

const acceptanceView = (a: AgreementAcceptance) => ({
  id: a.id,
  agreementId: a.agreementId,
  agreementFileId: a.agreementFileId,
  agreementVersion: a.version,
  userId: a.userId,
  userDisplayName: a.userDisplayName,
  userPrincipalName: a.userPrincipalName,
  userEmail: a.userEmail,
  recordedDateTime: iso(a.recordedAt),
  expirationDateTime: a.expiresAt === null ? null : iso(a.expiresAt),
  state: a.state,
});

export function termsRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;

  const agreementOf = async (tenantId: string, id: string) => {
    const found = GUID.test(id) ? await findAgreement(db, tenantId, id.toLowerCase()) : undefined;
    if (!found) throw notFound(id);
    return found;
  };

  app.get(AGREEMENTS, async (request) => {
    const who = await caller(request);
    authorize(who, read);
    refuseQueryOptions(request, true);
    return {
      '@odata.context': `${base}/$metadata#identityGovernance/termsOfUse/agreements`,
      value: (await listAgreements(db, who.tenantId)).map((a) => agreementView(a, false)),
    };
  });

  app.post(AGREEMENTS, async (request, reply) => {
    const who = await caller(request);
    authorize(who, write);
    const b = parseBody(createAgreementBody, request.body);
    refusePerDevice(b.isPerDeviceAcceptanceRequired);
    const input = {
      displayName: b.displayName,
      isViewingBeforeAcceptanceRequired: b.isViewingBeforeAcceptanceRequired ?? false,
      userReacceptRequiredFrequency: b.userReacceptRequiredFrequency ?? null,
      termsExpiration: b.termsExpiration ?? null,
      files: filesOf(b.files),
    };
    checkAgreement(input);
    if ((await countAgreements(db, who.tenantId)) >= MAX_AGREEMENTS) {
      throw new FoyerError('agreement.invalid', `A tenant has at most ${MAX_AGREEMENTS} terms of use; delete one first.`);
    }
    const created = await createAgreement(ctx, who.tenantId, input, actorOf(who, request.ip));
    return reply.code(201).send({ '@odata.context': `${base}/$metadata#identityGovernance/termsOfUse/agreements/$entity`, ...agreementView(created, true) });
  });

  app.get(`${AGREEMENTS}/:id`, async (request) => {
    const who = await caller(request);
    authorize(who, read);
    refuseQueryOptions(request, true);
    const { id } = request.params as { id: string };
    const found = await agreementOf(who.tenantId, id);
    return { '@odata.context': `${base}/$metadata#identityGovernance/termsOfUse/agreements/$entity`, ...agreementView(found, true) };
  });

  app.patch(`${AGREEMENTS}/:id`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, write);
    const { id } = request.params as { id: string };
    const b = parseBody(updateAgreementBody, request.body);
    refusePerDevice(b.isPerDeviceAcceptanceRequired);
    const patch: AgreementPatch = {
      ...(b.displayName !== undefined ? { displayName: b.displayName } : {}),
      ...(b.isViewingBeforeAcceptanceRequired !== undefined ? { isViewingBeforeAcceptanceRequired: b.isViewingBeforeAcceptanceRequired } : {}),
      ...(b.userReacceptRequiredFrequency !== undefined ? { userReacceptRequiredFrequency: b.userReacceptRequiredFrequency } : {}),
      ...(b.termsExpiration !== undefined ? { termsExpiration: b.termsExpiration } : {}),
      ...(b.files !== undefined ? { files: filesOf(b.files) } : {}),
    };
    const updated = GUID.test(id) ? await updateAgreement(ctx, who.tenantId, id.toLowerCase(), patch, actorOf(who, request.ip), checkAgreement) : undefined;
    if (!updated) throw notFound(id);
    return reply.code(204).send();
  });

  app.delete(`${AGREEMENTS}/:id`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, write);
    const { id } = request.params as { id: string };
    if (!GUID.test(id) || !(await deleteAgreement(ctx, who.tenantId, id.toLowerCase(), actorOf(who, request.ip)))) throw notFound(id);
    return reply.code(204).send();
  });

  app.get(`${AGREEMENTS}/:id/acceptances`, async (request) => {
    const who = await caller(request);
    authorize(who, readAcceptances);
    refuseQueryOptions(request);
    const { id } = request.params as { id: string };
    const found = await agreementOf(who.tenantId, id);
    return {
      '@odata.context': `${base}/$metadata#identityGovernance/termsOfUse/agreements('${found.id}')/acceptances`,
      value: (await listAcceptances(db, who.tenantId, found.id)).map(acceptanceView),
    };
  });
}
