/**
 * Password at the home tenant: an address at a domain another tenant on this instance verified belongs
 * to a member there, who proves it with that tenant's password, on a page in that tenant's branding.
 * The check (directory/password-check.ts) is the one a tenant's own sign-in page uses, with the same
 * counters, so guessing against an account is counted once wherever it happens.
 */
import { z } from 'zod';
import { issuerFor } from '../../../directory/issuers.js';
import { checkPassword } from '../../../directory/password-check.js';
import { logSignIn } from '../../../directory/sign-in-log.js';
import { findTenant, type Tenant } from '../../../directory/tenants.js';
import { findMemberBySignInName } from '../../../directory/users.js';
import { parseForm, textField } from '../../kit/forms.js';
import { redemptionText } from '../../kit/guest-texts.js';
import { brandOf } from '../../kit/layout.js';
import { G, type GuestPages, type InFlow, type Proof } from '../guest-page.js';
import { passwordStep } from '../views.js';
import type { SignInMethod } from './method.js';

const passwordForm = z.object({ password: textField() });

/** The home account's password page: the home tenant's branding, or none for a personal account. */
export function passwordPage(f: InFlow, home: Tenant | undefined, error?: string): string {
  const t = redemptionText(f.v.locale);
  return passwordStep(
    { ...f.v, brand: home ? brandOf(home) : {} },
    {
      title: home ? t.passwordFor(home.displayName) : t.personalPasswordTitle,
      address: f.loaded.flow.address,
      action: `${G}/password`,
      cancelAction: `${G}/cancel`,
      ...(error ? { error } : {}),
    },
  );
}

/** The account a typed password is checked against, as the home directory knows it. */
export interface PasswordAccount {
  /** The rate-limit key of the account (or of the typed address when there is none). */
  key: string;
  passwordHash: string | null | undefined;
  /** `mustChangePassword`: an administrator set the password with forceChangePasswordNextSignIn. */
  found?: { id: string; name: string; enabled: boolean; mustChangePassword?: boolean };
  /** Whose password page it is (undefined: a personal account's). */
  home?: Tenant;
  issuer: string;
  /** What the browser session records beyond the identity. */
  session: (accountId: string) => Proof['session'];
}

/** Checks the submitted password against `account` and proves the identity, or shows the page again. */
export async function verifyPassword(pages: GuestPages, f: InFlow, account: PasswordAccount) {
  const t = redemptionText(f.v.locale);
  const { password } = parseForm(passwordForm, f.request.body);
  const again = (status: number, error: string) => pages.send(f.reply, status, passwordPage(f, account.home, error));
  const verdict = await checkPassword(pages.ctx, f.request.ip, account.key, account.passwordHash, password);
  // A home tenant on this instance logs the attempt in its own sign-in log, for the tenant signed in to.
  const logged = (errorCode: number) =>
    account.home &&
    logSignIn(pages.ctx, {
      tenantId: account.home.id,
      userId: account.found?.id ?? null,
      typedName: f.loaded.flow.address,
      appId: null,
      ipAddress: f.request.ip,
      errorCode,
      resourceTenantId: f.loaded.flow.tenantId,
    });
  if ('retryAfterMs' in verdict) {
    logged(50053);
    return again(429, t.tooManyAttempts(pages.retryAfter(f.reply, verdict.retryAfterMs)));
  }
  // A disabled account gets the same answer as a wrong password: the page never says who exists.
  if (!verdict.ok || !account.found?.enabled) {
    logged(!account.found ? 50034 : !verdict.ok ? 50126 : 50057);
    return again(400, t.wrongPassword);
  }
  // A member who owes a password change proves nothing with the password an administrator set: the change
  // is made on the home tenant's own sign-in page (web/sign-in/change-password.ts), never here. Said only
  // after a right password, so the page still says nothing about who exists.
  if (account.found.mustChangePassword) {
    const org = account.home?.displayName ?? '';
    return pages.message(
      f.reply,
      { ...f.v, brand: account.home ? brandOf(account.home) : {} },
      403,
      t.changePasswordFirstTitle,
      t.changePasswordFirstBody(org),
    );
  }
  logged(0);
  const email = f.loaded.flow.address.toLowerCase();
  return pages.proved(f, {
    identity: { issuer: account.issuer, subject: account.found.id, email, displayName: account.found.name, amr: ['pwd'], authTime: pages.authTime() },
    session: account.session(account.found.id),
  });
}

const homeTenantOf = (f: InFlow) => (f.loaded.flow.route.kind === 'tenant' ? f.loaded.flow.route.tenantId : '');

export const passwordMethod: SignInMethod = {
  name: 'home tenant password',
  routes: ['tenant'],
  proves: "the home tenant's issuer and the member's object id; the flow's address (one of the member's); amr pwd",
  limits: 'FOYER_SIGNIN_ATTEMPT_LIMIT failures per account and client address per window, five times that per account and per client',
  async issuer(pages, flow) {
    return flow.route.kind === 'tenant' ? issuerFor(pages.ctx.config.publicUrl, flow.route.tenantId) : undefined;
  },
  async start(pages, f) {
    return pages.send(f.reply, 200, passwordPage(f, await findTenant(pages.ctx.db.kysely, homeTenantOf(f))));
  },
  endpoints: {
    password: {
      method: 'POST',
      async handle(pages, f) {
        const db = pages.ctx.db.kysely;
        const homeId = homeTenantOf(f);
        const lower = f.loaded.flow.address.toLowerCase();
        const home = await findTenant(db, homeId);
        const member = home ? await findMemberBySignInName(db, home.id, lower) : undefined;
        return verifyPassword(pages, f, {
          key: `${homeId}:${member?.id ?? lower}`,
          passwordHash: member?.passwordHash,
          ...(member
            ? { found: { id: member.id, name: member.displayName, enabled: member.accountEnabled, mustChangePassword: member.mustChangePassword } }
            : {}),
          ...(home ? { home } : {}),
          issuer: issuerFor(pages.ctx.config.publicUrl, homeId),
          session: (userId) => ({ tenantId: homeId, userId }),
        });
      },
    },
  },
};
