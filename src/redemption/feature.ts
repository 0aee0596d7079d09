/** The redemption feature: external identity providers (Graph and CLI), the passcode e-mail, and tidying. */
import { activities } from '../directory/audit-log.js';
import type { GraphSlots } from '../graph/index.js';
import type { MailSlots } from '../mail/index.js';
import type { AppContext } from '../platform/context.js';
import type { Feature } from '../platform/feature.js';
import { registerIdentityProviderCli } from './cli.js';
import { registerIdentityProviderRoutes } from './graph-routes.js';
import { passcodeMail } from './passcode-mail.js';
import { redemptionResources } from './resources.js';

/**
 * Expired codes are kept a day: a code typed a little late still finds its row and the page says it
 * expired, rather than that no code was sent.
 */
const SPENT_PASSCODES_KEPT_MS = 86_400_000;

async function purgeOldPasscodes(ctx: AppContext): Promise<void> {
  await ctx.db.kysely
    .deleteFrom('passcodes')
    .where('expires_at', '<', ctx.clock.now() - SPENT_PASSCODES_KEPT_MS)
    .execute();
}

export const redemptionFeature: Feature<GraphSlots & MailSlots> = {
  name: 'redemption',
  graphRoutes: [registerIdentityProviderRoutes],
  graphResources: [redemptionResources],
  mailKinds: [passcodeMail],
  cli: [registerIdentityProviderCli],
  housekeeping: [purgeOldPasscodes],
  auditActivities: [activities.redeem, activities.addIdentityProvider, activities.deleteIdentityProvider],
};
