/**
 * E-mail one-time passcode: the fallback home of any address while the tenant's e-mail OTP
 * setting allows it. The person asks for a code, the code goes to the address, typing it proves the
 * address. Codes, their limits and their delivery are redemption/passcodes.ts; this is the page side.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { readInvitationPolicies } from '../../../directory/policies.js';
import { findPendingGuestByAddress, PASSCODE_ISSUER, sendPasscode, verifyPasscode } from '../../../redemption/index.js';
import { parseForm, textField } from '../../kit/forms.js';
import { saveFlow } from '../../kit/guest-flows.js';
import { redemptionText } from '../../kit/guest-texts.js';
import { G, type GuestPages, type InFlow } from '../guest-page.js';
import { passcodeStep } from '../views.js';
import type { SignInMethod } from './method.js';

/** A passcode proves an address for this long in this browser (Entra: "sessions expire after 24 hours"). */
export const PASSCODE_SESSION_MS = 24 * 3600_000;

const codeForm = z.object({ code: textField(40) });

export function passcodePage(f: InFlow, error?: string): string {
  return passcodeStep(f.v, {
    address: f.loaded.flow.address,
    sent: !!f.loaded.flow.passcodeSent,
    sendAction: `${G}/passcode/send`,
    verifyAction: `${G}/passcode/verify`,
    cancelAction: `${G}/cancel`,
    ...(error ? { error } : {}),
  });
}

/**
 * Could a code for this flow reach a guest of the tenant? From a sign-in page anyone can type any
 * address: codes go only to guests of this tenant, and the page looks the same either way.
 */
export async function mayReceiveCode(pages: GuestPages, f: InFlow): Promise<boolean> {
  const { flow } = f.loaded;
  if (flow.purpose !== 'signin' || flow.bound !== undefined) return true;
  return (await findPendingGuestByAddress(pages.ctx, f.tenant.id, flow.address.toLowerCase())) !== undefined;
}

/** Queues a code (or pretends to, when `deliver` is false) and shows the page to type it. */
export async function sendCode(pages: GuestPages, f: InFlow, purpose: 'sign-in' | 'sign-up', deliver: boolean): Promise<FastifyReply> {
  const { flow } = f.loaded;
  const result = await sendPasscode(pages.ctx, {
    flowIdHash: f.loaded.idHash,
    tenantId: f.tenant.id,
    organizationName: f.tenant.displayName,
    address: flow.address,
    locale: f.v.locale,
    purpose,
    clientIp: f.request.ip,
    deliver,
  });
  if ('retryAfterMs' in result) {
    const minutes = pages.retryAfter(f.reply, result.retryAfterMs);
    return pages.send(f.reply, 429, passcodePage(f, redemptionText(f.v.locale).tooManyCodes(minutes)));
  }
  flow.passcodeSent = true;
  await saveFlow(pages.ctx, f.loaded);
  return pages.showStep(f.reply);
}

/** Checks the typed code: the proven address, or the page again with what went wrong (already sent). */
export async function checkCode(pages: GuestPages, f: InFlow): Promise<{ address: string } | { page: FastifyReply }> {
  const t = redemptionText(f.v.locale);
  if (!f.loaded.flow.passcodeSent) return { page: pages.showStep(f.reply) };
  const { code } = parseForm(codeForm, f.request.body);
  const verdict = await verifyPasscode(pages.ctx, f.loaded.idHash, code);
  if (verdict.ok) return { address: verdict.address };
  const error = verdict.reason === 'wrong' ? t.wrongCode(verdict.attemptsLeft) : verdict.reason === 'expired' ? t.expiredCode : t.lockedCode;
  return { page: pages.send(f.reply, verdict.reason === 'locked' ? 429 : 400, passcodePage(f, error)) };
}

const otpAllowed = async (pages: GuestPages, tenantId: string) =>
  (await readInvitationPolicies(pages.ctx.db.kysely, tenantId)).emailOtp.allowExternalIdToUseEmailOtp !== 'disabled';

export const passcodeMethod: SignInMethod = {
  name: 'e-mail one-time passcode',
  routes: ['passcode'],
  proves: "issuer 'mail' and the address as subject; the address; amr otp; counts in this browser for 24 hours",
  limits: 'FOYER_PASSCODE_SEND_LIMIT codes per address and FOYER_PASSCODE_SEND_IP_LIMIT per client per 15 minutes, 5 per flow; 5 tries per code, 30 minutes',
  async issuer() {
    return PASSCODE_ISSUER;
  },
  async start(pages, f) {
    if (!(await otpAllowed(pages, f.tenant.id))) {
      // The same page for a passcode guest and for a stranger: the setting is the organization's.
      const t = redemptionText(f.v.locale);
      return pages.message(f.reply, f.v, 409, t.passcodesOffTitle, t.passcodesOffBody(f.tenant.displayName));
    }
    return pages.send(f.reply, 200, passcodePage(f));
  },
  endpoints: {
    'passcode/send': {
      method: 'POST',
      async handle(pages, f) {
        const deliver = (await otpAllowed(pages, f.tenant.id)) && (await mayReceiveCode(pages, f));
        return sendCode(pages, f, 'sign-in', deliver);
      },
    },
    'passcode/verify': {
      method: 'POST',
      async handle(pages, f) {
        const checked = await checkCode(pages, f);
        if ('page' in checked) return checked.page;
        const { address } = checked;
        return pages.proved(f, {
          identity: { issuer: PASSCODE_ISSUER, subject: address, email: address, displayName: null, amr: ['otp'], authTime: pages.authTime() },
          session: { tenantId: '', userId: '', expiresAt: pages.ctx.clock.now() + PASSCODE_SESSION_MS },
        });
      },
    },
  },
};
