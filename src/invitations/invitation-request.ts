/**
 * An invitation request as `POST /invitations`, `foyer invite` and the bulk CSV give it, and everything
 * about it that can be checked before touching the database, in the order a person would fix it.
 */
import type { Actor } from '../directory/audit-log.js';
import { parseEmailAddress } from '../directory/domains.js';
import { FoyerError } from '../platform/errors/foyer-error.js';
import type { InvitationFields } from './invitation-queries.js';
import { checkRedirectUrl, type InvitingParty } from './invite-rules.js';

/** Entra allows one cc recipient (item 109) and five sponsors (item 20). */
export const MAX_CC_RECIPIENTS = 1;
export const MAX_SPONSORS = 5;
/** Long enough for any welcome note, short enough that nobody mails a document through Foyer. */
export const MAX_MESSAGE_CHARS = 4000;

export interface InvitationRequest {
  invitedUserEmailAddress: string;
  inviteRedirectUrl: string;
  invitedUserDisplayName?: string | null;
  invitedUserType?: 'Guest' | 'Member';
  sendInvitationMessage?: boolean;
  customizedMessageBody?: string | null;
  messageLanguage?: string | null;
  ccRecipients?: Array<{ address: string | null; name: string | null }>;
  /** `invitedUser.id`: re-invite this user, or reset their redemption. */
  invitedUserId?: string | null;
  resetRedemption?: boolean;
  /** `invitedUserSponsors` ids; empty: the inviting person is the sponsor. */
  sponsorIds?: string[];
}

export interface Inviter extends InvitingParty {
  actor: Actor;
}

export interface CreatedInvitation extends InvitationFields {
  /** Returned once, here; never stored. */
  inviteRedeemUrl: string;
  invitedUser: { id: string; userPrincipalName: string };
  sponsorIds: string[];
}

const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/;

/** `alice@Example.com` invited into contoso.foyer.example → `alice_example.com#EXT#@contoso.foyer.example`. */
export function guestUserPrincipalName(local: string, domain: string, initialDomain: string): string {
  return `${local}_${domain}#EXT#@${initialDomain}`;
}

export function refuse(refusal: { code: ConstructorParameters<typeof FoyerError>[0]; message: string } | undefined): void {
  if (refusal) throw new FoyerError(refusal.code, refusal.message);
}

/** Everything that can be checked before touching the database, in the order a person would fix them. */
export function checkRequest(req: InvitationRequest) {
  const address = parseEmailAddress(req.invitedUserEmailAddress);
  if (!address) {
    throw new FoyerError(
      'invitation.invalid_address',
      `The invitedUserEmailAddress '${String(req.invitedUserEmailAddress).slice(0, 256)}' is not a valid e-mail address. Use a single person's address; the characters ~ ! # $ % ^ & * ( ) + = [ ] { } \\ / | ; : " < > ? , are not allowed.`,
    );
  }
  refuse(checkRedirectUrl(req.inviteRedirectUrl));
  const message = req.customizedMessageBody?.trim() ? req.customizedMessageBody : null;
  if (message && message.length > MAX_MESSAGE_CHARS) {
    throw new FoyerError(
      'invitation.invalid_message',
      `The customizedMessageBody is ${message.length} characters long; at most ${MAX_MESSAGE_CHARS} are allowed.`,
    );
  }
  if (req.messageLanguage && !LANGUAGE_TAG.test(req.messageLanguage)) {
    throw new FoyerError('invitation.invalid_message', `The messageLanguage '${req.messageLanguage.slice(0, 40)}' is not a language tag like en-US.`);
  }
  // Graph's SDKs send an empty placeholder recipient ({ name: null, address: null }): not a recipient.
  const cc = (req.ccRecipients ?? []).filter((r) => r.address !== null && r.address !== '');
  if (cc.length > MAX_CC_RECIPIENTS) {
    throw new FoyerError('invitation.invalid_message', `Only ${MAX_CC_RECIPIENTS} additional recipient is supported in ccRecipients; ${cc.length} were given.`);
  }
  let ccRecipient: CreatedInvitation['ccRecipient'] = null;
  const ccAddress = cc[0] ? parseEmailAddress(cc[0].address) : undefined;
  if (cc[0]) {
    if (!ccAddress)
      throw new FoyerError('invitation.invalid_address', `The ccRecipients address '${String(cc[0].address).slice(0, 256)}' is not a valid e-mail address.`);
    ccRecipient = { address: ccAddress.address, name: cc[0].name ?? null };
  }
  // Names end up in mail headers and in the text part: no line breaks or other control characters.
  for (const [field, value] of [
    ['invitedUserDisplayName', req.invitedUserDisplayName],
    ['ccRecipients.emailAddress.name', cc[0]?.name],
  ] as const) {
    if (value && /[\u0000-\u001f\u007f]/.test(value)) {
      throw new FoyerError('request.invalid_body', `Invalid value for property '${field}': line breaks and other control characters are not allowed.`);
    }
  }
  if (req.resetRedemption && !req.invitedUserId) {
    throw new FoyerError('invitation.reset_invalid', 'resetRedemption needs invitedUser.id: the user whose redemption status is reset.');
  }
  const sponsorIds = [...new Set((req.sponsorIds ?? []).map((s) => s.toLowerCase()))];
  if (sponsorIds.length > MAX_SPONSORS) {
    throw new FoyerError('invitation.invalid_sponsors', `At most ${MAX_SPONSORS} sponsors can be named; ${sponsorIds.length} were given.`);
  }
  return { address, message, ccRecipient, ccAddress, sponsorIds };
}
