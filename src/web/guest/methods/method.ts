/**
 * A sign-in method: one way a guest proves a home identity. Each lives in its own file in this folder
 * and is listed in index.ts; the guest pages (steps.ts) ask the method of the flow's home route to
 * start, and route its forms and callbacks to it. Its core (password check, passcodes, the external
 * provider's protocol, personal accounts) lives in the feature below; a method is the page side of it.
 *
 * Adding a method (TOTP, passkeys) is one file here and one line in index.ts; a method that is a second
 * factor rather than a home identity also adds its step to redemption/next-step.ts.
 */
import type { FastifyReply } from 'fastify';
import type { Tenant } from '../../../directory/tenants.js';
import type { GuestFlow, HomeRoute } from '../../../redemption/index.js';
import type { GuestPages, InFlow } from '../guest-page.js';

export type RouteKind = Exclude<HomeRoute['kind'], 'none'>;

/** A form or callback of a method, at `/guest/{path}`. */
export interface MethodEndpoint {
  method: 'GET' | 'POST';
  /** Answers for a flow whose home route is one of the method's. A POST is CSRF-checked and reaches here only before a proof. */
  handle(pages: GuestPages, f: InFlow): Promise<FastifyReply>;
}

export interface SignInMethod {
  /** For logs and docs. */
  readonly name: string;
  /** The home routes (home-realm.ts) whose identities this method proves. */
  readonly routes: readonly RouteKind[];
  /** What a proof by it says: issuer and subject of the identity, the address, `amr`. For docs and the method's tests. */
  readonly proves: string;
  /** The limits on trying (all counted in the database, so every process sees them). */
  readonly limits: string;
  /**
   * The issuer of the identities it proves for this flow: an earlier proof from that issuer in this
   * browser may stand in for asking again (single sign-on). undefined: an earlier proof never counts.
   */
  issuer(pages: GuestPages, flow: GuestFlow, tenant: Tenant): Promise<string | undefined>;
  /** Shows the method's page, or sends the browser where the proof happens. */
  start(pages: GuestPages, f: InFlow): Promise<FastifyReply>;
  /** Its forms and callbacks, by path under /guest. Two methods may share a path: the flow's route picks the method. */
  readonly endpoints: Readonly<Record<string, MethodEndpoint>>;
}
