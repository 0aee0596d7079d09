/**
 * A resource tenant ready to invite guests: Foyer with a real SMTP server on loopback, Contoso with an
 * inviting app, and Contoso's app (a real openid-client relying party) that guests land in.
 */
import type { ParsedMail } from 'mailparser';
import type { Page } from 'playwright-core';
import type { Clock } from '../../src/platform/clock.js';
import type { Backend } from './backends.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from './foyer.js';
import { type RelyingParty, startTenantApp } from './relying-party.js';
import { startSmtp, type TestSmtp } from './smtp.js';
import { appToken, graph } from './tokens.js';

export interface GuestWorld {
  foyer: TestFoyer;
  smtp: TestSmtp;
  contoso: TestTenant;
  /** An app token of Contoso with the permissions an administrator's script has. */
  admin: string;
  /** Contoso's app; guests land at `${portal.url}/login`, which signs them in over OpenID Connect. */
  portal: RelyingParty;
  invite(address: string, body?: Record<string, unknown>): Promise<{ id: string; guestId: string; redeemUrl: string; mail?: ParsedMail }>;
  /** The next e-mail to `address` after `after` messages, and the 8-digit code in it. */
  passcode(address: string, after: number): Promise<string>;
  close(): Promise<void>;
}

export const ADMIN_PERMISSIONS = [
  'User.Invite.All',
  'User.ReadWrite.All',
  'Policy.ReadWrite.B2BManagementPolicy',
  'Policy.ReadWrite.CrossTenantAccess',
  'Policy.ReadWrite.AuthenticationMethod',
  'IdentityProvider.ReadWrite.All',
  'AuditLog.Read.All',
];

export async function startGuestWorld(backend: Backend, opts: { clock?: Clock; env?: Record<string, string> } = {}): Promise<GuestWorld> {
  const smtp = await startSmtp();
  const foyer = await startTestFoyer({
    backend,
    ...(opts.clock ? { clock: opts.clock } : {}),
    env: { FOYER_SMTP_URL: smtp.url, FOYER_MAIL_POLL_INTERVAL: '0.1', ...opts.env },
  });
  const contoso = await foyer.createTenant('Contoso', { domains: ['contoso.example'] });
  const admin = await appToken(foyer, contoso, await foyer.createApp(contoso.id, { displayName: 'Admin script', applicationPermissions: ADMIN_PERMISSIONS }));
  const portal = await startTenantApp(foyer, contoso, 'Contoso portal');
  const world: GuestWorld = {
    foyer,
    smtp,
    contoso,
    admin,
    portal,
    async invite(address, body = {}) {
      const before = smtp.messages.length;
      const res = await graph(foyer, admin, 'POST', '/invitations', {
        invitedUserEmailAddress: address,
        inviteRedirectUrl: `${portal.url}/login`,
        sendInvitationMessage: true,
        ...body,
      });
      if (res.status !== 201) throw new Error(`invitation failed: ${res.status} ${JSON.stringify(res.body)}`);
      const sent = body.sendInvitationMessage !== false;
      const mail = sent ? await waitForMail(smtp, address, before) : undefined;
      return { id: res.body.id, guestId: res.body.invitedUser.id, redeemUrl: res.body.inviteRedeemUrl, ...(mail ? { mail } : {}) };
    },
    async passcode(address, after) {
      const mail = await waitForMail(smtp, address, after);
      const code = /\b(\d{8})\b/.exec(mail.text ?? '')?.[1];
      if (!code) throw new Error(`no code in: ${mail.text}`);
      return code;
    },
    async close() {
      await portal.close();
      await foyer.stop();
      await smtp.close();
    },
  };
  return world;
}

export async function waitForMail(smtp: TestSmtp, address: string, after: number, timeoutMs = 15_000): Promise<ParsedMail> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = smtp.messages
      .slice(after)
      .find((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.value.some((v) => v.address?.toLowerCase() === address.toLowerCase())));
    if (found) return found;
    if (Date.now() > until) throw new Error(`no mail to ${address} after message ${after}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The "Accept invitation" link of an invitation e-mail. */
export function linkIn(mail: ParsedMail): string {
  const m = /(http:\/\/localhost:\d+\/redeem\?[^\s"<>]+)/.exec(mail.text ?? '');
  if (!m) throw new Error(`no redeem link in: ${mail.text}`);
  return m[1]!.replace(/&amp;/g, '&');
}

/**
 * A guest redeems an invitation to `address` in `page` with an e-mail passcode and presses Accept on
 * "Review permissions"; `atConsent` runs on that page first (a test's own checks of it).
 */
export async function redeemWithPasscode(w: GuestWorld, page: Page, address: string, atConsent?: (page: Page) => Promise<void>) {
  const inv = await w.invite(address);
  await page.goto(linkIn(inv.mail!));
  await page.getByRole('button', { name: 'Next' }).click();
  const before = w.smtp.messages.length;
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code', { exact: true }).fill(await w.passcode(address, before));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Accept' }).waitFor();
  await atConsent?.(page);
  await page.getByRole('button', { name: 'Accept' }).click();
  return inv;
}
