/**
 * Personal-account sign-up: where nothing else is the address's home and the tenant's fallback is a
 * personal account (`microsoftAccount`), the person proves the address with a code, then chooses a name
 * and a password; the new account is the identity. Offered only to someone holding an invitation link.
 */
import { z } from 'zod';
import { type PasswordRule, passwordRuleOf } from '../../../directory/password-policy.js';
import { FoyerError } from '../../../platform/errors/foyer-error.js';
import { createPersonalAccount, personalIssuer } from '../../../redemption/index.js';
import { parseForm, textField } from '../../kit/forms.js';
import { saveFlow } from '../../kit/guest-flows.js';
import { type RedemptionText, redemptionText } from '../../kit/guest-texts.js';
import { G, type InFlow } from '../guest-page.js';
import { signUpStep } from '../views.js';
import type { SignInMethod } from './method.js';
import { checkCode, mayReceiveCode, passcodePage, sendCode } from './passcode.js';

const signUpForm = z.object({ name: textField(), password: textField() });

const passwordTexts = (t: RedemptionText): Record<PasswordRule, string> => ({
  too_short: t.passwordTooShort,
  too_long: t.passwordTooLong,
  too_common: t.passwordTooCommon,
  contains_name: t.passwordContainsName,
});

function signUpPage(f: InFlow, o: { name?: string; error?: string } = {}): string {
  // A personal account belongs to no organization: its pages carry no tenant's branding.
  return signUpStep({ ...f.v, brand: {} }, { address: f.loaded.flow.address, action: `${G}/signup`, cancelAction: `${G}/cancel`, ...o });
}

export const signUpMethod: SignInMethod = {
  name: 'personal-account sign-up',
  routes: ['personal-signup'],
  proves: 'a new personal account: the personal-account issuer and its id; the address, proven by a code first; amr pwd',
  limits: 'the passcode limits for the address; the password must pass the directory password rules',
  // A sign-up is always a new proof.
  async issuer() {
    return undefined;
  },
  async start(pages, f) {
    return pages.send(f.reply, 200, f.loaded.flow.signUpVerified ? signUpPage(f) : passcodePage(f));
  },
  endpoints: {
    'passcode/send': {
      method: 'POST',
      async handle(pages, f) {
        return sendCode(pages, f, 'sign-up', await mayReceiveCode(pages, f));
      },
    },
    'passcode/verify': {
      method: 'POST',
      async handle(pages, f) {
        const checked = await checkCode(pages, f);
        if ('page' in checked) return checked.page;
        f.loaded.flow.signUpVerified = true;
        f.loaded.flow.passcodeSent = false;
        await saveFlow(pages.ctx, f.loaded);
        return pages.showStep(f.reply);
      },
    },
    signup: {
      method: 'POST',
      async handle(pages, f) {
        const { flow } = f.loaded;
        if (!flow.signUpVerified) return pages.showStep(f.reply);
        const t = redemptionText(f.v.locale);
        const { name, password } = parseForm(signUpForm, f.request.body);
        const email = flow.address.toLowerCase();
        try {
          const account = await createPersonalAccount(pages.ctx, { email, displayName: name, password });
          return await pages.proved(f, {
            identity: {
              issuer: personalIssuer(pages.ctx.config.publicUrl),
              subject: account.id,
              email,
              displayName: account.displayName,
              amr: ['pwd'],
              authTime: pages.authTime(),
            },
            session: { tenantId: '', userId: '' },
          });
        } catch (err) {
          if (err instanceof FoyerError && err.code === 'directory.conflict') {
            // Someone (this person, in another window) created it meanwhile: sign in with it instead.
            flow.route = { kind: 'personal' };
            await saveFlow(pages.ctx, f.loaded);
            return pages.showStep(f.reply);
          }
          const rule = err instanceof FoyerError ? passwordRuleOf(err.code) : undefined;
          if (rule || (err instanceof FoyerError && err.code === 'request.invalid_body')) {
            // The page names the rule the password broke, in the page's language.
            const error = rule ? passwordTexts(t)[rule] : t.invalidName;
            return pages.send(f.reply, 400, signUpPage(f, { name: name.slice(0, 256), error }));
          }
          throw err;
        }
      },
    },
  },
};
