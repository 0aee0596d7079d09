/**
 * Graph's delta queries: `GET /users/delta` and `GET /groups/delta`.
 *
 * A first request (optionally with `$select`) pages through every user or group; the last page carries an
 * `@odata.deltaLink`, and following it later answers only what changed since: objects created or changed,
 * as they are now, and objects deleted, as `{ id, "@removed": { reason } }`. A group whose members
 * changed comes with `members@delta`, the members added and those removed (with `@removed`).
 * `$deltatoken=latest` skips the first round: no objects, only a deltaLink from now.
 *
 * What a token holds (directory/delta.ts explains the counter): the tenant, the resource, the `$select`
 * of the first request, and a window of the tenant's change counter. Tokens are base64url JSON: opaque to
 * clients, and checked field by field here, because a token is client input like any other. Editing one
 * could only show the caller another slice of what it may read anyway; a token of another tenant or
 * resource is refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type DeltaCursor,
  type DeltaEntry,
  type MemberDelta,
  readChangeCounter,
  readGroupChanges,
  readGroupChangesWithMembers,
  readUserChanges,
} from '../directory/delta.js';
import { type Group, groupsCollection } from '../directory/groups.js';
import { listIdentities } from '../directory/identities.js';
import { usersCollection } from '../directory/user-list.js';
import type { User } from '../directory/users.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { type AccessRule, authorize } from './auth.js';
import { toGraphGroup } from './group-view.js';
import { groupRules } from './groups.js';
import type { GraphDeps } from './kit.js';
import { toGraphUser, userRules } from './users.js';

type Resource = 'users' | 'groups';

/** Objects per page when the client does not ask (`Prefer: odata.maxpagesize`); Graph's directory pages hold about as many. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A `$skiptoken`: a round under way. */
interface SkipState extends DeltaCursor {
  tenant: string;
  resource: Resource;
  select: string[] | null;
}

/** A `$deltatoken`: where the next round starts. */
interface DeltaState {
  tenant: string;
  resource: Resource;
  select: string[] | null;
  seq: number;
}

function expired(): FoyerError {
  return new FoyerError('request.delta_token_expired', 'The delta token has expired: start over with a delta query without a token (a full synchronization).');
}

function invalidToken(): FoyerError {
  return new FoyerError(
    'request.invalid_delta_token',
    'The delta token is not valid for this request. Follow @odata.nextLink and @odata.deltaLink as returned, without changing them.',
  );
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(token: string): Record<string, unknown> {
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalidToken();
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // refused below
  }
  throw invalidToken();
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The fields every token has, checked against the request it came with. */
function checkCommon(raw: Record<string, unknown>, keys: string[], tenant: string, resource: Resource, selectable: readonly string[]): string[] | null {
  const actual = Object.keys(raw).sort();
  if (actual.length !== keys.length || actual.some((k, i) => k !== [...keys].sort()[i])) throw invalidToken();
  if (raw.v !== 1 || raw.t !== tenant || raw.r !== resource) throw invalidToken();
  const select = raw.s;
  if (select === null) return null;
  if (!Array.isArray(select) || select.length === 0 || select.some((p) => typeof p !== 'string' || !selectable.includes(p))) throw invalidToken();
  return select as string[];
}

function decodeSkip(token: string, tenant: string, resource: Resource, selectable: readonly string[]): SkipState {
  const raw = decode(token);
  // `m`: the member after which a group's `members@delta` goes on (a page that ended inside a group).
  const keys = ['v', 't', 'r', 's', 'f', 'u', 'p', 'a', ...('m' in raw ? ['m'] : [])];
  const select = checkCommon(raw, keys, tenant, resource, selectable);
  const { f: from, u: to, p: phase, a: after, m: memberAfter } = raw;
  if (!(from === null || isSeq(from)) || !isSeq(to) || (from !== null && from > to)) throw invalidToken();
  if (phase !== 'objects' && phase !== 'removed') throw invalidToken();
  if (!(after === null || (typeof after === 'string' && UUID.test(after)))) throw invalidToken();
  if (memberAfter === undefined) return { tenant, resource, select, from, to, phase, after };
  if (resource !== 'groups' || phase !== 'objects' || after === null || typeof memberAfter !== 'string' || !UUID.test(memberAfter)) throw invalidToken();
  return { tenant, resource, select, from, to, phase, after, memberAfter };
}

function decodeDelta(token: string, tenant: string, resource: Resource, selectable: readonly string[]): DeltaState {
  const raw = decode(token);
  const select = checkCommon(raw, ['v', 't', 'r', 's', 'n'], tenant, resource, selectable);
  if (!isSeq(raw.n)) throw invalidToken();
  return { tenant, resource, select, seq: raw.n };
}

const skipToken = (s: SkipState) =>
  encode({ v: 1, t: s.tenant, r: s.resource, s: s.select, f: s.from, u: s.to, p: s.phase, a: s.after, ...(s.memberAfter ? { m: s.memberAfter } : {}) });
const deltaToken = (s: DeltaState) => encode({ v: 1, t: s.tenant, r: s.resource, s: s.select, n: s.seq });

function unsupported(message: string): FoyerError {
  return new FoyerError('request.invalid_query', message);
}

/** The query options of a delta request: a token, or `$select` on a first request; anything else is refused, never ignored. */
function deltaOptions(params: Record<string, unknown>): { select?: string; skip?: string; delta?: string } {
  const out: { select?: string; skip?: string; delta?: string } = {};
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith('$')) continue;
    const name = key.toLowerCase();
    if (typeof value !== 'string') throw unsupported(`Query option '${key}' was given more than once.`);
    if (name === '$select') out.select = value;
    else if (name === '$skiptoken') out.skip = value;
    else if (name === '$deltatoken') out.delta = value;
    else if (name === '$top')
      throw unsupported("Query option '$top' is not supported by Foyer on delta queries: send the header 'Prefer: odata.maxpagesize=n'.");
    else throw unsupported(`Query option '${key}' is not supported by Foyer on delta queries.`);
  }
  if (out.skip !== undefined && out.delta !== undefined) throw invalidToken();
  if (out.select !== undefined && (out.skip !== undefined || (out.delta !== undefined && out.delta !== 'latest'))) {
    throw unsupported('A delta link carries the $select of the first request: follow it as returned, without adding $select.');
  }
  return out;
}

/** `$select` as Graph takes it: known properties, `id` always included. */
function parseSelect(text: string, selectable: readonly string[], typeName: string): string[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw unsupported("'$select' names no property.");
  const select = names.map((name) => {
    const match = selectable.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!match) throw unsupported(`Could not find a property named '${name}' on type '${typeName}'.`);
    return match;
  });
  return select.includes('id') ? [...new Set(select)] : ['id', ...new Set(select)];
}

/** `Prefer: odata.maxpagesize=n` (1 to 999), as Graph honours it on delta queries. */
function pageSize(request: FastifyRequest, reply: FastifyReply): number {
  const prefer = request.headers.prefer;
  const text = Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '');
  const m = /(?:^|[,;\s])odata\.maxpagesize\s*=\s*"?(\d{1,6})"?/i.exec(text);
  if (!m) return DEFAULT_PAGE_SIZE;
  const size = Math.min(Math.max(Number(m[1]), 1), MAX_PAGE_SIZE);
  reply.header('preference-applied', `odata.maxpagesize=${size}`);
  return size;
}

/** A page as read: its entries, where the next starts, and (groups) each group's `members@delta` on this page. */
interface DeltaRead<T> {
  entries: DeltaEntry<T>[];
  next?: DeltaCursor;
  members?: Map<string, MemberDelta[]>;
}

interface ResourceSpec<T extends { id: string }> {
  resource: Resource;
  rule: AccessRule;
  typeName: string;
  selectable: readonly string[];
  defaultSelect: readonly string[];
  read(tenantId: string, cursor: DeltaCursor, limit: number, select: readonly string[]): Promise<DeltaRead<T>>;
  /** The page's objects in Graph's shape, in order. */
  render(tenantId: string, page: DeltaRead<T>, select: readonly string[]): Promise<Record<string, unknown>[]>;
}

const removedView = (e: { removed: { id: string; reason: string } }) => ({ id: e.removed.id, '@removed': { reason: e.removed.reason } });

function memberView(m: MemberDelta): Record<string, unknown> {
  return { '@odata.type': `#microsoft.graph.${m.type}`, id: m.id, ...(m.removed ? { '@removed': { reason: 'deleted' } } : {}) };
}

export function registerDeltaRoutes(deps: GraphDeps): void {
  const { app, ctx, caller, base } = deps;
  const db = ctx.db.kysely;

  const users: ResourceSpec<User> = {
    resource: 'users',
    rule: userRules.read,
    typeName: 'microsoft.graph.user',
    selectable: usersCollection.selectable,
    defaultSelect: usersCollection.defaultSelect,
    read: (tenantId, cursor, limit) => readUserChanges(db, tenantId, cursor, limit),
    async render(_tenantId, { entries }, select) {
      const ids = entries.flatMap((e) => ('object' in e ? [e.object.id] : []));
      const identities = select.includes('identities') ? await listIdentities(db, ids) : new Map();
      return entries.map((e) => ('object' in e ? toGraphUser(e.object, select, identities.get(e.object.id)) : removedView(e)));
    },
  };

  const groups: ResourceSpec<Group> = {
    resource: 'groups',
    rule: groupRules.read,
    typeName: 'microsoft.graph.group',
    // `members` is a property of delta only: the members, or on later rounds their changes, as `members@delta`.
    selectable: [...groupsCollection.selectable, 'members'],
    defaultSelect: [...groupsCollection.defaultSelect, 'members'],
    // With `members`, each member counts toward the page size (directory/delta.ts).
    read: (tenantId, cursor, limit, select) =>
      select.includes('members') ? readGroupChangesWithMembers(db, tenantId, cursor, limit) : readGroupChanges(db, tenantId, cursor, limit),
    async render(_tenantId, { entries, members = new Map() }, select) {
      const properties = select.filter((p) => p !== 'members');
      return entries.map((e) => {
        if (!('object' in e)) return removedView(e);
        const view = toGraphGroup(e.object, properties);
        const changed = members.get(e.object.id);
        return changed?.length ? { ...view, 'members@delta': changed.map(memberView) } : view;
      });
    },
  };

  async function delta<T extends { id: string }>(spec: ResourceSpec<T>, request: FastifyRequest, reply: FastifyReply) {
    const who = await caller(request);
    authorize(who, spec.rule);
    const options = deltaOptions(request.query as Record<string, unknown>);
    const counter = await readChangeCounter(db, who.tenantId);
    const tooOld = (seq: number) => {
      if (seq > counter.value) throw invalidToken();
      if (seq < counter.prunedThrough) throw expired();
    };
    let select: string[] | null = options.select === undefined ? null : parseSelect(options.select, spec.selectable, spec.typeName);
    let cursor: DeltaCursor;
    const link = `${base}/${spec.resource}/delta`;
    const context = (s: string[] | null) => `${base}/$metadata#${spec.resource}${s ? `(${s.join(',')})` : ''}`;
    if (options.delta === 'latest') {
      // Graph's "from now on": no objects, only a link for the changes that follow.
      return {
        '@odata.context': context(select),
        '@odata.deltaLink': `${link}?$deltatoken=${deltaToken({ tenant: who.tenantId, resource: spec.resource, select, seq: counter.value })}`,
        value: [],
      };
    }
    if (options.skip !== undefined) {
      const state = decodeSkip(options.skip, who.tenantId, spec.resource, spec.selectable);
      if (state.from !== null) tooOld(state.from);
      if (state.to > counter.value) throw invalidToken();
      select = state.select;
      cursor = state;
    } else if (options.delta !== undefined) {
      const state = decodeDelta(options.delta, who.tenantId, spec.resource, spec.selectable);
      tooOld(state.seq);
      select = state.select;
      cursor = { from: state.seq, to: counter.value, phase: 'objects', after: null };
    } else {
      cursor = { from: null, to: counter.value, phase: 'objects', after: null };
    }
    const effective = select ?? spec.defaultSelect;
    const window: DeltaCursor = { from: cursor.from, to: cursor.to, phase: cursor.phase, after: cursor.after };
    if (cursor.memberAfter !== undefined) window.memberAfter = cursor.memberAfter;
    const page = await spec.read(who.tenantId, window, pageSize(request, reply), effective);
    const body: Record<string, unknown> = { '@odata.context': context(select) };
    if (page.next) {
      body['@odata.nextLink'] = `${link}?$skiptoken=${skipToken({ ...page.next, tenant: who.tenantId, resource: spec.resource, select })}`;
    } else {
      body['@odata.deltaLink'] = `${link}?$deltatoken=${deltaToken({ tenant: who.tenantId, resource: spec.resource, select, seq: cursor.to })}`;
    }
    body.value = await spec.render(who.tenantId, page, effective);
    // Housekeeping may have forgotten part of the window between the counter read above and the page's
    // reads of the change log (deletions, member changes): read its mark again, so such a page is never
    // answered as if complete (410: start over), rather than silently missing a deletion.
    if (cursor.from !== null && cursor.from < (await readChangeCounter(db, who.tenantId)).prunedThrough) throw expired();
    return body;
  }

  // Graph answers the function with and without its parentheses; the Kiota SDKs call `delta()`.
  for (const path of ['/users/delta', '/users/delta()']) app.get(path, (request, reply) => delta(users, request, reply));
  for (const path of ['/groups/delta', '/groups/delta()']) app.get(path, (request, reply) => delta(groups, request, reply));
}
