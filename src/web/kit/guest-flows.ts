/**
 * Where a guest flow's state (redemption/flow-state.ts) lives between requests: a cookie-backed store
 * (`guest_flows`), so any process serves any step. A flow lasts an hour; starting a new one replaces
 * the browser's old one. The guest page set shows the flow at GUEST_FLOW_PATH; a tenant's sign-in page
 * starts flows and takes back their outcome (guest-hand-back.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import type { GuestFlow } from '../../redemption/index.js';
import { CookieStore } from './cookie-store.js';

export const FLOW_TTL_MS = 60 * 60_000;

/** The guest page set's address: GET shows the flow's current step. */
export const GUEST_FLOW_PATH = '/guest';

export interface LoadedFlow {
  idHash: string;
  flow: GuestFlow;
}

const flows = new CookieStore<GuestFlow>('guest_flows', 'foyer_guest');

export async function startFlow(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, flow: GuestFlow): Promise<LoadedFlow> {
  const record = await flows.create(ctx, request, reply, flow, FLOW_TTL_MS);
  return { idHash: record.idHash, flow };
}

export async function loadFlow(ctx: AppContext, request: FastifyRequest): Promise<LoadedFlow | undefined> {
  const record = await flows.read(ctx, request);
  return record && { idHash: record.idHash, flow: record.payload };
}

export function saveFlow(ctx: AppContext, loaded: LoadedFlow): Promise<void> {
  return flows.save(ctx, loaded.idHash, loaded.flow);
}

export function endFlow(ctx: AppContext, reply: FastifyReply, loaded: LoadedFlow): Promise<void> {
  return flows.end(ctx, reply, loaded.idHash);
}

/** Housekeeping: flows past their hour. */
export function purgeExpiredFlows(ctx: AppContext): Promise<void> {
  return flows.purgeExpired(ctx);
}
