/**
 * Personal accounts: the instance's consumer directory (what Microsoft accounts are to Entra). Anyone
 * may create one with an e-mail address they prove with a one-time code, and a password. A guest whose
 * home is a personal account has `{issuer: personalIssuer, issuerAssignedId: account id}` as identity.
 */

import { assertPasswordAcceptable } from '../directory/password-policy.js';
import { hashPassword } from '../directory/passwords.js';
import type { AppContext } from '../platform/context.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import { newId } from '../platform/ids.js';
import { type Executor, isUniqueViolation } from '../platform/storage/database.js';

export interface PersonalAccount {
  id: string;
  email: string;
  displayName: string;
  passwordHash: string;
}

export async function findPersonalAccount(db: Executor, address: string): Promise<PersonalAccount | undefined> {
  const row = await db.selectFrom('personal_accounts').selectAll().where('email_lower', '=', address.toLowerCase()).executeTakeFirst();
  return row ? { id: row.id, email: row.email, displayName: row.display_name, passwordHash: row.password_hash } : undefined;
}

export async function findPersonalAccountById(db: Executor, id: string): Promise<PersonalAccount | undefined> {
  const row = await db.selectFrom('personal_accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { id: row.id, email: row.email, displayName: row.display_name, passwordHash: row.password_hash } : undefined;
}

/** Creates the account for an address its owner has just proven. */
export async function createPersonalAccount(ctx: AppContext, input: { email: string; displayName: string; password: string }): Promise<PersonalAccount> {
  const displayName = input.displayName.trim();
  if (!displayName || displayName.length > 256) throw new FoyerError('request.invalid_body', 'The name must be 1 to 256 characters.');
  assertPasswordAcceptable(ctx, input.password, { mail: input.email, displayName });
  const passwordHash = await hashPassword(input.password);
  const account = { id: newId(), email: input.email, displayName, passwordHash };
  try {
    await ctx.db.transaction((trx) =>
      trx
        .insertInto('personal_accounts')
        .values({
          id: account.id,
          email: input.email,
          email_lower: input.email.toLowerCase(),
          display_name: displayName,
          password_hash: passwordHash,
          created_at: ctx.clock.now(),
        })
        .execute(),
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new FoyerError('directory.conflict', 'A personal account already exists for this address.');
    throw err;
  }
  return account;
}
