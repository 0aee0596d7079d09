/** Tidying the OpenID provider's table: sessions, codes, grants and tokens past their expiry. */
import type { AppContext } from '../platform/context.js';

export async function purgeExpiredPayloads(ctx: AppContext): Promise<void> {
  await ctx.db.kysely.deleteFrom('oidc_payloads').where('expires_at', '<', ctx.clock.now()).execute();
}
