/** Pages the OpenID providers show: protocol errors, the sign-out question, "you signed out". */
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderRegistry, ProviderViews } from '../../oidc/index.js';
import type { AppContext } from '../../platform/context.js';
import { html, raw } from '../../platform/html.js';
import { chooseLocale } from '../../platform/locale.js';
import { endBrowserSession, sessionCookieName } from '../kit/browser-session.js';
import { text } from '../kit/i18n.js';
import { brandOf, messagePage, page, pageHeaders } from '../kit/layout.js';

export function providerViews(
  ctx: AppContext,
  registry: () => ProviderRegistry,
): ProviderViews & {
  signedOut(koa: KoaContextWithOIDC): Promise<void>;
} {
  const localeOf = (koa: KoaContextWithOIDC) => chooseLocale([koa.oidc?.params?.ui_locales as string | undefined], koa.get('accept-language'));
  const brand = async (tenantId: string) => {
    const tenant = await registry().tenant(tenantId);
    return tenant ? brandOf(tenant) : {};
  };
  const send = (koa: KoaContextWithOIDC, body: string) => {
    for (const [k, v] of Object.entries(pageHeaders)) koa.set(k, v);
    koa.body = body;
  };
  return {
    async error(koa, out: ErrorOut, tenantId) {
      // API clients (token endpoint callers, scripts) get the OAuth JSON body; browsers get a page.
      if (koa.accepts('json', 'html') === 'json') {
        koa.type = 'json';
        koa.body = out;
        return;
      }
      const locale = localeOf(koa);
      const t = text(locale);
      send(
        koa,
        messagePage(locale, t.errorTitle, t.errorBody, await brand(tenantId), {
          [t.errorCode]: out.error,
          ...(out.error_description ? { [locale === 'sv-SE' ? 'Beskrivning' : 'Description']: String(out.error_description) } : {}),
        }),
      );
    },
    async logout(koa, form, tenantId) {
      const locale = localeOf(koa);
      const t = text(locale);
      send(
        koa,
        page(
          locale,
          t.logoutTitle,
          html`<h1>${t.logoutQuestion}</h1>
${raw(form)}
<div class="actions">
<button type="submit" form="op.logoutForm" class="secondary">${t.logoutNo}</button>
<button type="submit" form="op.logoutForm" value="yes" name="logout" class="primary" autofocus>${t.logoutYes}</button>
</div>`,
          await brand(tenantId),
        ),
      );
    },
    async loggedOut(koa, tenantId) {
      const locale = localeOf(koa);
      const t = text(locale);
      send(koa, messagePage(locale, t.loggedOutTitle, t.loggedOutBody, await brand(tenantId)));
    },
    /** Signing out of a tenant's app also ends the instance browser session, or SSO would sign back in. */
    async signedOut(koa) {
      await endBrowserSession(ctx, koa.cookies.get(sessionCookieName(ctx)));
      koa.cookies.set(sessionCookieName(ctx), null, { path: '/' });
    },
  };
}
