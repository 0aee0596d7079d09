/**
 * A server-side record behind a cookie, the one way Foyer's pages keep state in a browser: the cookie
 * holds 256 random bits, the database only their SHA-256 (a leaked table opens no session), each record
 * has an expiry, and over https the cookie is `__Host-` prefixed (this exact origin, Path=/, Secure).
 * The browser session and the guest flow are two such stores.
 *
 * One exception, on purpose: the proof of the password checked before a forced password change
 * (web/sign-in/change-password.ts) is a signed cookie with no record. It grants nothing by itself (only that
 * change, in that interaction, while that password is still the member's), so a table would add nothing.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { randomToken, sha256 } from '../../platform/ids.js';

/** The tables shaped as `id_hash, payload, created_at, expires_at`, owned by the web kit. */
type StoreTable = 'browser_sessions' | 'guest_flows' | 'mfa_gates' | 'terms_gates';

export interface StoredRecord<T> {
  idHash: string;
  payload: T;
  expiresAt: number;
}

/** Cookie values longer than this are not ours: they are not even hashed. */
const MAX_COOKIE_VALUE = 100;

export class CookieStore<T> {
  constructor(
    private readonly table: StoreTable,
    private readonly baseName: string,
  ) {}

  cookieName(ctx: AppContext): string {
    return ctx.config.publicUrl.startsWith('https:') ? `__Host-${this.baseName}` : this.baseName;
  }

  /** The record this browser's cookie names, unless it is missing or expired. */
  async read(ctx: AppContext, request: FastifyRequest): Promise<StoredRecord<T> | undefined> {
    return this.readValue(ctx, request.cookies[this.cookieName(ctx)]);
  }

  /** The record a cookie value names (read by someone other than Fastify: the OpenID provider's checks). */
  async readValue(ctx: AppContext, value: string | undefined): Promise<StoredRecord<T> | undefined> {
    if (!value || value.length > MAX_COOKIE_VALUE) return undefined;
    const idHash = sha256(value);
    const row = await ctx.db.kysely.selectFrom(this.table).selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row || row.expires_at <= ctx.clock.now()) return undefined;
    return { idHash, payload: JSON.parse(row.payload) as T, expiresAt: row.expires_at };
  }

  /**
   * Stores a new record under a new id and sets the cookie; the record the browser had before is
   * deleted. A new id every time: an id planted in the browser beforehand is worth nothing after.
   */
  async create(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, payload: T, ttlMs: number): Promise<StoredRecord<T>> {
    const previous = request.cookies[this.cookieName(ctx)];
    const id = randomToken(32);
    const idHash = sha256(id);
    const now = ctx.clock.now();
    const expiresAt = now + ttlMs;
    await ctx.db.transaction(async (trx) => {
      if (previous && previous.length <= MAX_COOKIE_VALUE) await trx.deleteFrom(this.table).where('id_hash', '=', sha256(previous)).execute();
      await trx
        .insertInto(this.table)
        .values({ id_hash: idHash, payload: JSON.stringify(payload), created_at: now, expires_at: expiresAt })
        .execute();
    });
    reply.setCookie(this.cookieName(ctx), id, {
      path: '/',
      httpOnly: true,
      // lax: an external provider's callback, and the app's redirect to a sign-in page, are top-level GET
      // navigations from another site.
      sameSite: 'lax',
      secure: ctx.config.publicUrl.startsWith('https:'),
      maxAge: Math.floor(ttlMs / 1000),
    });
    return { idHash, payload, expiresAt };
  }

  async save(ctx: AppContext, idHash: string, payload: T): Promise<void> {
    await ctx.db.transaction((trx) =>
      trx
        .updateTable(this.table)
        .set({ payload: JSON.stringify(payload) })
        .where('id_hash', '=', idHash)
        .execute(),
    );
  }

  /** Deletes the record and clears the cookie. */
  async end(ctx: AppContext, reply: FastifyReply, idHash: string): Promise<void> {
    await ctx.db.transaction((trx) => trx.deleteFrom(this.table).where('id_hash', '=', idHash).execute());
    reply.clearCookie(this.cookieName(ctx), { path: '/' });
  }

  /** Deletes the record a cookie value names (the caller clears the cookie its own way). */
  async endByCookieValue(ctx: AppContext, value: string | undefined): Promise<void> {
    if (value && value.length <= MAX_COOKIE_VALUE) await ctx.db.kysely.deleteFrom(this.table).where('id_hash', '=', sha256(value)).execute();
  }

  /** Housekeeping: records past their expiry. */
  async purgeExpired(ctx: AppContext): Promise<void> {
    await ctx.db.kysely.deleteFrom(this.table).where('expires_at', '<', ctx.clock.now()).execute();
  }
}
