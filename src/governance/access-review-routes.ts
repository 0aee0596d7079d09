/**
 * `identityGovernance/accessReviews/definitions`: access reviews of guests through Graph.
 *   definitions                                   GET, POST        (AccessReview.Read.All / .ReadWrite.All)
 *   definitions/{id}                              GET, DELETE
 *   definitions/{id}/instances[/{id}]             GET
 *   …/instances/{id}/stop, /applyDecisions        POST             (end now; apply an ended instance's decisions)
 *   …/instances/{id}/decisions[/{id}]             GET, PATCH one   (a reviewer records Approve, Deny or NotReviewed)
 *   definitions, …/instances, …/decisions /filterByCurrentUser(on='reviewer')   GET (a signed-in reviewer's own)
 * Delegated callers manage definitions as a Global or User Administrator; a reviewer sees and decides the
 * decision items they review, and nobody else's.
 */
import type { FastifyRequest } from 'fastify';
import { directoryRoles } from '../directory/roles.js';
import { findUser } from '../directory/users.js';
import { type AccessRule, actorOf, authorize, type GraphDeps, parseBody } from '../graph/index.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { createDefinitionBody, decisionBody, definitionOf } from './access-review-body.js';
import { endInstance, requestApply, scopeTargetExists, startDueInstances } from './access-review-run.js';
import {
  createDefinition,
  definitionsInProgress,
  deleteDefinition,
  findDecision,
  findDefinition,
  findInstance,
  listDecisions,
  listDefinitions,
  listInstances,
  type ReviewDecision,
  recordDecision,
  reviewedBy,
} from './access-review-store.js';
import { decisionView, definitionView, instanceView } from './access-review-views.js';

type Caller = Awaited<ReturnType<GraphDeps['caller']>>;

const ADMINS = [directoryRoles.globalAdministrator.id, directoryRoles.userAdministrator.id];
const READ = ['AccessReview.Read.All', 'AccessReview.ReadWrite.All'];
const WRITE = ['AccessReview.ReadWrite.All'];
const manageRead: AccessRule = { app: READ, delegated: READ, roles: ADMINS };
const manageWrite: AccessRule = { app: WRITE, delegated: WRITE, roles: ADMINS };
// Reviewers read and decide their own items: no administrator role needed, the item says who reviews it.
const decisionRead: AccessRule = { app: READ, delegated: READ };
const decisionWrite: AccessRule = { app: WRITE, delegated: WRITE };

const DEFINITIONS = '/identityGovernance/accessReviews/definitions';
const INSTANCE = `${DEFINITIONS}/:id/instances/:instanceId`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (id: string) =>
  new FoyerError('directory.not_found', `Resource '${id.slice(0, 100)}' does not exist or one of its queried reference-property objects are not present.`);

function refuseQueryOptions(request: FastifyRequest): void {
  const option = Object.keys((request.query ?? {}) as Record<string, unknown>).find((k) => k.startsWith('$'));
  if (option) throw new FoyerError('request.invalid_query', `Query option '${option}' on access reviews is not supported by Foyer.`);
}

const REVIEWER_FILTER = /^filterByCurrentUser\(on='([^']*)'\)$/i;

/**
 * Whether a path segment in place of an id is Graph's `filterByCurrentUser(on='reviewer')` (Fastify routes it
 * to the `{id}` route; any other `on` is refused).
 */
function reviewerFilter(segment: string): boolean {
  const m = REVIEWER_FILTER.exec(segment);
  if (!m) return false;
  if (m[1] !== 'reviewer') {
    throw new FoyerError('request.invalid_query', `filterByCurrentUser(on='${m[1]!.slice(0, 50)}') is not supported by Foyer: on='reviewer' is.`);
  }
  return true;
}

/** The signed-in person a reviewer filter is about; an app acting on its own has none. */
function currentUser(who: Caller): string {
  if (who.kind !== 'user' || !who.user) {
    throw new FoyerError(
      'request.invalid_query',
      "filterByCurrentUser(on='reviewer') needs a signed-in user (a delegated token): an app acting on its own has no current user.",
    );
  }
  return who.user.id;
}

/** A delegated caller who holds neither administrator role sees only the items they review. */
const isAdmin = (who: Caller) => who.kind === 'app' || ADMINS.some((r) => who.user?.roleIds.has(r));
const reviews = (who: Caller, d: ReviewDecision) => isAdmin(who) || (who.user !== undefined && d.reviewerIds.includes(who.user.id));

export function accessReviewRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;
  const context = (path: string) => `${base}/$metadata#identityGovernance/accessReviews/${path}`;

  async function definitionOr404(tenantId: string, id: string) {
    const found = GUID.test(id) ? await findDefinition(db, tenantId, id.toLowerCase()) : undefined;
    if (!found) throw notFound(id);
    return found;
  }
  async function instanceOr404(request: FastifyRequest, tenantId: string) {
    const { id, instanceId } = request.params as { id: string; instanceId: string };
    const definition = await definitionOr404(tenantId, id);
    const instance = GUID.test(instanceId) ? await findInstance(db, tenantId, instanceId.toLowerCase(), definition.id) : undefined;
    if (!instance) throw notFound(instanceId);
    return { definition, instance };
  }

  app.get(DEFINITIONS, async (request) => {
    const who = await caller(request);
    authorize(who, manageRead);
    refuseQueryOptions(request);
    const running = await definitionsInProgress(db, who.tenantId);
    return { '@odata.context': context('definitions'), value: (await listDefinitions(db, who.tenantId)).map((d) => definitionView(d, running.has(d.id))) };
  });

  app.post(DEFINITIONS, async (request, reply) => {
    const who = await caller(request);
    authorize(who, manageWrite);
    const input = definitionOf(parseBody(createDefinitionBody, request.body));
    if (!(await scopeTargetExists(db, who.tenantId, input.scope))) {
      const what =
        input.scope.kind === 'groupGuests'
          ? `group '${input.scope.groupId}'`
          : `service principal '${(input.scope as { servicePrincipalId: string }).servicePrincipalId}'`;
      throw new FoyerError('request.invalid_body', `The scope names ${what}, which does not exist in this tenant.`);
    }
    for (const r of [...input.reviewers, ...input.fallbackReviewers]) {
      if (r.kind === 'user' && !(await findUser(db, who.tenantId, r.userId))) {
        throw new FoyerError('request.invalid_body', `The reviewer '/users/${r.userId}' does not exist in this tenant.`);
      }
    }
    const created = await createDefinition(ctx, who.tenantId, input, actorOf(who, request.ip));
    // A review due now starts now, its reviewers' e-mail on its way, rather than at the next housekeeping run.
    await startDueInstances(ctx, created.id);
    const now = (await findDefinition(db, who.tenantId, created.id)) ?? created;
    return reply
      .code(201)
      .send({ '@odata.context': context('definitions/$entity'), ...definitionView(now, now.instancesStarted > 0 && now.nextStartAt === null) });
  });

  app.get(`${DEFINITIONS}/:id`, async (request) => {
    const who = await caller(request);
    const { id } = request.params as { id: string };
    if (reviewerFilter(id)) {
      authorize(who, decisionRead);
      refuseQueryOptions(request);
      const mine = (await reviewedBy(db, who.tenantId, currentUser(who))).definitionIds;
      const running = await definitionsInProgress(db, who.tenantId);
      const value = (await listDefinitions(db, who.tenantId)).filter((d) => mine.has(d.id)).map((d) => definitionView(d, running.has(d.id)));
      return { '@odata.context': context('definitions'), value };
    }
    authorize(who, manageRead);
    refuseQueryOptions(request);
    const d = await definitionOr404(who.tenantId, (request.params as { id: string }).id);
    return { '@odata.context': context('definitions/$entity'), ...definitionView(d, (await definitionsInProgress(db, who.tenantId)).has(d.id)) };
  });

  app.delete(`${DEFINITIONS}/:id`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, manageWrite);
    const { id } = request.params as { id: string };
    if (!GUID.test(id) || !(await deleteDefinition(ctx, who.tenantId, id.toLowerCase(), actorOf(who, request.ip)))) throw notFound(id);
    return reply.code(204).send();
  });

  app.get(`${DEFINITIONS}/:id/instances`, async (request) => {
    const who = await caller(request);
    authorize(who, manageRead);
    refuseQueryOptions(request);
    const d = await definitionOr404(who.tenantId, (request.params as { id: string }).id);
    return {
      '@odata.context': context(`definitions('${d.id}')/instances`),
      value: (await listInstances(db, who.tenantId, d.id)).map((i) => instanceView(i, d)),
    };
  });

  app.get(INSTANCE, async (request) => {
    const who = await caller(request);
    const { id, instanceId } = request.params as { id: string; instanceId: string };
    if (reviewerFilter(instanceId)) {
      authorize(who, decisionRead);
      refuseQueryOptions(request);
      const d = await definitionOr404(who.tenantId, id);
      const mine = (await reviewedBy(db, who.tenantId, currentUser(who))).instanceIds;
      return {
        '@odata.context': context(`definitions('${d.id}')/instances`),
        value: (await listInstances(db, who.tenantId, d.id)).filter((i) => mine.has(i.id)).map((i) => instanceView(i, d)),
      };
    }
    authorize(who, manageRead);
    refuseQueryOptions(request);
    const { definition, instance } = await instanceOr404(request, who.tenantId);
    return { '@odata.context': context(`definitions('${definition.id}')/instances/$entity`), ...instanceView(instance, definition) };
  });

  app.post(`${INSTANCE}/stop`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, manageWrite);
    const { instance } = await instanceOr404(request, who.tenantId);
    if (!(await endInstance(ctx, instance, actorOf(who, request.ip)))) {
      throw new FoyerError('request.invalid_body', 'This access review instance is not in progress.');
    }
    return reply.code(204).send();
  });

  app.post(`${INSTANCE}/applyDecisions`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, manageWrite);
    const { instance } = await instanceOr404(request, who.tenantId);
    if (!(await requestApply(ctx, instance))) {
      throw new FoyerError('request.invalid_body', 'Decisions are applied once the instance has ended (status Completed), and only once.');
    }
    return reply.code(204).send();
  });

  /** The instance's items the caller may see: all of them for an administrator or an app, else those they review; `onlyMine`: those they review. */
  async function decisionList(request: FastifyRequest, who: Caller, onlyMine: boolean) {
    authorize(who, decisionRead);
    refuseQueryOptions(request);
    const userId = onlyMine ? currentUser(who) : undefined;
    const { definition, instance } = await instanceOr404(request, who.tenantId);
    const visible = (await listDecisions(db, who.tenantId, instance.id)).filter((d) =>
      userId === undefined ? reviews(who, d) : d.reviewerIds.includes(userId),
    );
    return {
      '@odata.context': context(`definitions('${definition.id}')/instances('${instance.id}')/decisions`),
      value: visible.map((d) => decisionView(d, base, ctx.clock.now())),
    };
  }

  app.get(`${INSTANCE}/decisions`, async (request) => decisionList(request, await caller(request), false));

  async function decisionOr404(request: FastifyRequest, who: Caller) {
    const { instance, definition } = await instanceOr404(request, who.tenantId);
    const { decisionId } = request.params as { decisionId: string };
    const found = GUID.test(decisionId) ? await findDecision(db, who.tenantId, instance.id, decisionId.toLowerCase()) : undefined;
    if (!found || !reviews(who, found)) throw notFound(decisionId);
    return { instance, definition, decision: found };
  }

  app.get(`${INSTANCE}/decisions/:decisionId`, async (request) => {
    const who = await caller(request);
    if (reviewerFilter((request.params as { decisionId: string }).decisionId)) return decisionList(request, who, true);
    authorize(who, decisionRead);
    refuseQueryOptions(request);
    const { definition, instance, decision } = await decisionOr404(request, who);
    return {
      '@odata.context': context(`definitions('${definition.id}')/instances('${instance.id}')/decisions/$entity`),
      ...decisionView(decision, base, ctx.clock.now()),
    };
  });

  app.patch(`${INSTANCE}/decisions/:decisionId`, async (request, reply) => {
    const who = await caller(request);
    authorize(who, decisionWrite);
    const body = parseBody(decisionBody, request.body);
    const { definition, instance, decision } = await decisionOr404(request, who);
    // Entra: a person decides only as a reviewer of the item, administrator or not.
    if (who.kind === 'user' && !decision.reviewerIds.includes(who.user!.id)) {
      throw new FoyerError('auth.insufficient_privileges', 'Insufficient privileges to complete the operation.', 'the caller does not review this item');
    }
    const justification = body.justification?.trim() || null;
    if (body.decision === 'Approve' && definition.settings.justificationRequiredOnApproval && !justification) {
      throw new FoyerError('request.invalid_body', 'This review asks for a justification with every approval.');
    }
    await recordDecision(ctx, who.tenantId, instance.id, decision.id, { decision: body.decision, justification }, actorOf(who, request.ip));
    return reply.code(204).send();
  });
}
