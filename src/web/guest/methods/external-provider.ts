/**
 * External OpenID provider: an address at a domain the tenant trusts an external provider for (a
 * partner's own IdP, a social provider) proves itself there. Foyer is the provider's relying party
 * (redemption/external-providers.ts: code flow, PKCE, state, nonce); this sends the browser there and
 * takes its answer at /guest/callback.
 */
import { parseEmailAddress } from '../../../directory/domains.js';
import type { HomeRoute } from '../../../redemption/index.js';
import { beginExternalSignIn, findExternalProvider, finishExternalSignIn } from '../../../redemption/index.js';
import { saveFlow } from '../../kit/guest-flows.js';
import { redemptionText } from '../../kit/guest-texts.js';
import { G, type GuestPages } from '../guest-page.js';
import type { SignInMethod } from './method.js';

const providerOf = (pages: GuestPages, tenantId: string, route: HomeRoute) =>
  route.kind === 'external' ? findExternalProvider(pages.ctx.db.kysely, tenantId, route.providerId) : Promise.resolve(undefined);

export const externalProviderMethod: SignInMethod = {
  name: 'external OpenID provider',
  routes: ['external'],
  proves: "the provider's issuer and subject; the address it vouches for (email_verified not false); the amr it states",
  limits: "the provider's own; Foyer keeps one pending authorization per flow, valid for the flow's hour",
  async issuer(pages, flow, tenant) {
    return (await providerOf(pages, tenant.id, flow.route))?.issuer;
  },
  async start(pages, f) {
    const t = redemptionText(f.v.locale);
    const provider = await providerOf(pages, f.tenant.id, f.loaded.flow.route);
    if (!provider) return pages.refuse(f.reply, f.v, 'no-route', { organization: f.tenant.displayName, address: f.loaded.flow.address });
    try {
      const callbackUrl = `${pages.ctx.config.publicUrl}${G}/callback`;
      const { url, pending } = await beginExternalSignIn(pages.ctx, provider, callbackUrl, f.loaded.flow.address, !!f.loaded.flow.freshSignIn);
      f.loaded.flow.external = { ...pending, providerId: provider.id };
      await saveFlow(pages.ctx, f.loaded);
      return f.reply.redirect(url, 303);
    } catch (err) {
      f.request.log.warn({ err, provider: provider.issuer }, 'external identity provider unreachable');
      return pages.message(f.reply, f.v, 502, t.externalFailedTitle, t.externalFailedBody);
    }
  },
  endpoints: {
    callback: {
      method: 'GET',
      async handle(pages, f) {
        const t = redemptionText(f.v.locale);
        const { flow } = f.loaded;
        const pending = flow.external;
        const provider = pending ? await findExternalProvider(pages.ctx.db.kysely, f.tenant.id, pending.providerId) : undefined;
        if (!pending || !provider) return pages.flowExpired(f.reply, f.v);
        // One answer per authorization: a replayed callback finds nothing pending.
        delete flow.external;
        await saveFlow(pages.ctx, f.loaded);
        try {
          const identity = await finishExternalSignIn(pages.ctx, provider, new URL(f.request.url, pages.ctx.config.publicUrl), pending);
          const vouched = identity.emailVerified ? parseEmailAddress(identity.email) : undefined;
          if (!vouched) throw new Error('the provider did not vouch for a valid e-mail address');
          return await pages.proved(f, {
            identity: {
              issuer: provider.issuer,
              subject: identity.subject,
              email: vouched.lower,
              displayName: identity.name,
              amr: identity.amr,
              authTime: pages.authTime(),
            },
            session: { tenantId: '', userId: '' },
          });
        } catch (err) {
          f.request.log.warn({ err, provider: provider.issuer }, 'external sign-in failed');
          return pages.message(f.reply, f.v, 400, t.externalFailedTitle, t.externalFailedBody);
        }
      },
    },
  },
};
