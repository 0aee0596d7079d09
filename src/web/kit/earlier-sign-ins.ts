/**
 * Whether what a browser proved earlier (its browser-session entries) still stands for someone now:
 * the single sign-on questions the sign-in pages and the guest pages both ask.
 */
import { findUser } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { findPersonalAccountById, personalIssuer } from '../../redemption/index.js';
import { type SignedInAccount, signInStillCounts } from './browser-session.js';

/**
 * Is this browser-session entry still good? A member's sign-in ends with a password reset or a
 * disable; a personal account's with the account.
 */
export async function entryStillValid(ctx: AppContext, entry: SignedInAccount): Promise<boolean> {
  if (entry.tenantId && entry.userId) return signInStillCounts(await findUser(ctx.db.kysely, entry.tenantId, entry.userId), entry.authTime);
  if (entry.issuer === personalIssuer(ctx.config.publicUrl)) return (await findPersonalAccountById(ctx.db.kysely, entry.subject ?? '')) !== undefined;
  return true;
}

/** Does this proven identity own the address? A member answers to their UPN, mail and other mails. */
export async function entryIsFor(ctx: AppContext, entry: SignedInAccount, lower: string): Promise<boolean> {
  if (entry.email?.toLowerCase() === lower) return true;
  if (!entry.tenantId || !entry.userId) return false;
  const member = await findUser(ctx.db.kysely, entry.tenantId, entry.userId);
  return !!member && [member.userPrincipalName, member.mail, ...member.otherMails].some((a) => a?.toLowerCase() === lower);
}
