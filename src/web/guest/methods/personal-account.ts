/**
 * Personal account: an address that has an account in the instance's consumer directory (what a
 * Microsoft account is to Entra) proves itself with that account's password, on an unbranded page.
 */
import { findPersonalAccount, personalIssuer } from '../../../redemption/index.js';
import type { SignInMethod } from './method.js';
import { passwordPage, verifyPassword } from './password.js';

export const personalAccountMethod: SignInMethod = {
  name: 'personal account',
  routes: ['personal'],
  proves: 'the personal-account issuer ({publicUrl}/consumers/v2.0) and the account id; its address; amr pwd',
  limits: 'the password limits of a tenant sign-in, counted per personal account',
  async issuer(pages) {
    return personalIssuer(pages.ctx.config.publicUrl);
  },
  async start(pages, f) {
    return pages.send(f.reply, 200, passwordPage(f, undefined));
  },
  endpoints: {
    password: {
      method: 'POST',
      async handle(pages, f) {
        const lower = f.loaded.flow.address.toLowerCase();
        const account = await findPersonalAccount(pages.ctx.db.kysely, lower);
        return verifyPassword(pages, f, {
          key: `consumers:${account?.id ?? lower}`,
          passwordHash: account?.passwordHash,
          ...(account ? { found: { id: account.id, name: account.displayName, enabled: true } } : {}),
          issuer: personalIssuer(pages.ctx.config.publicUrl),
          // Outside every tenant: the session names it by issuer and subject only.
          session: () => ({ tenantId: '', userId: '' }),
        });
      },
    },
  },
};
